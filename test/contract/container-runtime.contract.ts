// The one contract of the ContainerRuntime port. Every implementation runs it: the Docker
// adapter on the real engine (docker-runtime.test.ts) and the in-memory one
// (memory-runtime.test.ts). What the agent relies on is asserted here, once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerRuntime, RuntimeEvent } from '../../agents/runtime/index.js';
import { containerName, LABELS } from '../../agents/runtime/index.js';
import { createRecorder, type Recorder } from '../helpers/wait.js';
import { instanceSpec, readyAfter, readyCheck } from './specs.js';

export interface RuntimeHarness {
  runtime: ContainerRuntime;
  /** Makes the healthcheck of a running instance fail from now on. */
  breakHealth(instance: string): Promise<void>;
  /** Makes the process of a running instance pass its healthcheck test (or fail it) from now on. */
  setReady(instance: string, ready: boolean): Promise<void>;
  /** Removes everything the test made (containers labelled with the harness's stack). */
  cleanup(): Promise<void>;
}

type ContainerEvent = Extract<RuntimeEvent, { type: 'container' }>;

/**
 * `stack` must be unique to the test file: containers are labelled alicia.stack=<stack>
 * and the harness removes them before and after each test.
 */
export function containerRuntimeContract(
  name: string,
  stack: string,
  makeHarness: () => Promise<RuntimeHarness>,
): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let harness: RuntimeHarness;
    let runtime: ContainerRuntime;
    let agent: string;
    let events: Recorder<RuntimeEvent>;
    let subscription: { close(): void } | null = null;

    beforeEach(async () => {
      harness = await makeHarness();
      runtime = harness.runtime;
      await harness.cleanup();
      agent = `contract-${Math.random().toString(36).slice(2, 8)}`;
      events = createRecorder<RuntimeEvent>();
      const connected = events.next((e) => e.type === 'connected', 10_000, 'the event stream to connect');
      subscription = runtime.events(agent, (event) => events.push(event));
      await connected;
    });

    afterEach(async () => {
      subscription?.close();
      subscription = null;
      await harness.cleanup();
      await runtime.close();
    });

    const containerEvent = (
      action: ContainerEvent['action'],
      instance: string,
      extra: (e: ContainerEvent) => boolean = () => true,
    ) =>
      events.next(
        (e) => e.type === 'container' && e.action === action && e.instance === instance && extra(e),
        15_000,
        `${action} of ${instance}`,
      );

    it('creates and starts alicia-<instance> with Alicia labels and the service labels, host network by default', async () => {
      const spec = instanceSpec(stack, 'web', 1, { labels: { 'com.example.team': 'garage' } });
      const started = containerEvent('start', spec.instance);
      const created = await runtime.create(spec, agent);
      expect(created).toMatchObject({
        name: containerName(spec.instance),
        instance: spec.instance,
        stack,
        service: 'web',
        slot: 1,
        agent,
        specHash: spec.spec_hash,
        state: 'running',
        health: 'none',
        exitCode: null,
        networkMode: 'host',
        restartPolicy: 'unless-stopped',
      });
      expect(created.labels).toMatchObject({
        'com.example.team': 'garage',
        [LABELS.stack]: stack,
        [LABELS.instance]: spec.instance,
        [LABELS.agent]: agent,
        [LABELS.slot]: '1',
        [LABELS.specHash]: spec.spec_hash,
      });
      expect((await started).type).toBe('container');
      const listed = await runtime.list(agent);
      expect(listed.map((c) => c.id)).toEqual([created.id]);
      expect(await runtime.inspect(created.name)).toMatchObject({ id: created.id, state: 'running' });
    });

    it('lists only the containers of the agent asked about', async () => {
      const mine = await runtime.create(instanceSpec(stack, 'web', 1), agent);
      await runtime.create(instanceSpec(stack, 'web', 2), `${agent}-other`);
      expect((await runtime.list(agent)).map((c) => c.id)).toEqual([mine.id]);
    });

    it('refuses a second container for the same instance and leaves the first one untouched', async () => {
      const spec = instanceSpec(stack, 'web', 1);
      const first = await runtime.create(spec, agent);
      await expect(runtime.create(spec, agent)).rejects.toMatchObject({ code: 'ALICIA_ERR_RUNTIME' });
      const listed = await runtime.list(agent);
      expect(listed.map((c) => [c.id, c.state])).toEqual([[first.id, 'running']]);
    });

    it('stops (die with an exit code), starts again and restarts the same container', async () => {
      const spec = instanceSpec(stack, 'web', 1);
      const created = await runtime.create(spec, agent);
      const died = containerEvent('die', spec.instance);
      await runtime.stop(created.id, 0);
      expect(typeof ((await died) as ContainerEvent).exitCode).toBe('number');
      const stopped = await runtime.inspect(created.id);
      expect(stopped).toMatchObject({ id: created.id, state: 'exited' });
      expect(stopped?.exitCode).not.toBeNull();
      expect(stopped?.finishedAt).not.toBeNull();
      await runtime.stop(created.id, 0); // stopping a stopped container is not an error

      const started = containerEvent('start', spec.instance);
      await runtime.start(created.id);
      await started;
      const running = await runtime.inspect(created.id);
      expect(running).toMatchObject({ id: created.id, state: 'running', exitCode: null });
      await runtime.start(created.id); // starting a running container is not an error

      const restarted = containerEvent('restart', spec.instance);
      await runtime.restart(created.id, 0);
      await restarted;
      const after = await runtime.inspect(created.id);
      expect(after).toMatchObject({ id: created.id, state: 'running' });
      expect(after?.startedAt ?? 0).toBeGreaterThanOrEqual(running?.startedAt ?? Number.POSITIVE_INFINITY);
    });

    it('removes a running container, with a destroy event, and forgets it', async () => {
      const spec = instanceSpec(stack, 'web', 1);
      const created = await runtime.create(spec, agent);
      const destroyed = containerEvent('destroy', spec.instance);
      await runtime.remove(created.id);
      await destroyed;
      expect(await runtime.inspect(created.id)).toBeNull();
      expect(await runtime.inspect(containerName(spec.instance))).toBeNull();
      expect(await runtime.list(agent)).toEqual([]);
    });

    it("reports health starting, then healthy from the spec's healthcheck, then unhealthy when the probe fails", async () => {
      const spec = instanceSpec(stack, 'api', 1, { command: readyAfter(0.3), healthcheck: readyCheck(200) });
      const healthy = containerEvent('health_status', spec.instance, (e) => e.health === 'healthy');
      const created = await runtime.create(spec, agent);
      expect(created.health).toBe('starting');
      await healthy;
      expect((await runtime.inspect(created.id))?.health).toBe('healthy');

      const unhealthy = containerEvent('health_status', spec.instance, (e) => e.health === 'unhealthy');
      await harness.breakHealth(spec.instance);
      await unhealthy;
      expect((await runtime.inspect(created.id))?.health).toBe('unhealthy');
    });

    it("probes: runs the healthcheck test once, now, without changing the engine's verdict", async () => {
      // Docker's own probe is an hour away: every answer below comes from probe() itself.
      const check = {
        ...readyCheck(3_600_000, 3_600_000),
        test: ['CMD', 'test', '-f', '/tmp/ready'] as ['CMD', string, string, string],
      };
      const spec = instanceSpec(stack, 'probe', 1, { command: readyAfter(3_600), healthcheck: check });
      const created = await runtime.create(spec, agent);
      await harness.setReady(spec.instance, false);
      expect(await runtime.probe(created.id, check.test, 5_000)).toBe(false);
      await harness.setReady(spec.instance, true);
      expect(await runtime.probe(created.id, check.test, 5_000)).toBe(true);
      // The shell form runs under /bin/sh -c, as the engine's healthcheck does.
      expect(await runtime.probe(created.id, ['CMD-SHELL', 'test -f /tmp/ready && exit 0'], 5_000)).toBe(
        true,
      );
      expect((await runtime.inspect(created.id))?.health).toBe('starting');

      await runtime.stop(created.id);
      expect(await runtime.probe(created.id, check.test, 5_000)).toBe(false);
      await expect(runtime.probe('alicia-no-such-instance', check.test, 5_000)).rejects.toMatchObject({
        code: 'ALICIA_ERR_NOT_FOUND',
      });
    });

    it('fails with ALICIA_ERR_IMAGE_PULL naming an image it cannot get, and creates nothing', async () => {
      const image = 'alicia-test/not-there:1';
      const spec = instanceSpec(stack, 'ghost', 1, { image });
      const error = await runtime.create(spec, agent).then(
        () => null,
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ code: 'ALICIA_ERR_IMAGE_PULL' });
      expect((error as Error).message).toContain(image);
      expect(await runtime.list(agent)).toEqual([]);
    });

    it('reads at most `tail` log lines of a container, oldest first; none of an unknown one', async () => {
      expect(await runtime.logs('alicia-no-such-instance', 20)).toEqual([]);
      const created = await runtime.create(instanceSpec(stack, 'talker', 1), agent);
      const lines = await runtime.logs(created.id, 2);
      expect(Array.isArray(lines)).toBe(true);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(typeof line).toBe('string');
    });

    it('answers null for an unknown container and ALICIA_ERR_NOT_FOUND when asked to act on one', async () => {
      expect(await runtime.inspect('alicia-no-such-instance')).toBeNull();
      await expect(runtime.start('alicia-no-such-instance')).rejects.toMatchObject({
        code: 'ALICIA_ERR_NOT_FOUND',
      });
      await expect(runtime.stop('alicia-no-such-instance')).rejects.toMatchObject({
        code: 'ALICIA_ERR_NOT_FOUND',
      });
      await expect(runtime.restart('alicia-no-such-instance')).rejects.toMatchObject({
        code: 'ALICIA_ERR_NOT_FOUND',
      });
      await expect(runtime.remove('alicia-no-such-instance')).rejects.toMatchObject({
        code: 'ALICIA_ERR_NOT_FOUND',
      });
    });

    it('reports its engine version', async () => {
      expect(await runtime.version()).toEqual(expect.any(String));
    });
  });
}
