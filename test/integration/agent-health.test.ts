// Needs Docker: health and local self-healing on the real engine. Docker runs each
// container's healthcheck itself; the agent hears the verdicts on the event stream and
// restarts an unhealthy container with backoff — with or without a broker.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instanceSpec, readyAfter, readyCheck, serviceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import {
  agentTestEnv,
  broker,
  Closer,
  closeAgentTest,
  inProcessAgent,
  start,
  tempDir,
  untilReport,
  type Watcher,
  watcher,
} from './agent-harness.js';

const STACK = 'agent-health-it';
const docker = testDocker();
const closer = new Closer();

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'health'));
});

afterEach(async () => {
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

async function breakProbe(instance: string): Promise<void> {
  const exec = await docker.getContainer(`alicia-${instance}`).exec({ Cmd: ['rm', '-f', '/tmp/ready'] });
  await exec.start({ Detach: true });
}

describe('agent health and self-healing on real Docker', () => {
  it('reports a container starting, then healthy, from Docker’s own healthcheck', async () => {
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    // No start probe: every verdict here is Docker's.
    const api = instanceSpec(STACK, 'api', 1, {
      command: readyAfter(1),
      healthcheck: readyCheck(200),
      x_alicia: { ...serviceSpec().x_alicia, start_probe: false },
    });
    const answer = await start(w, agentId, [api]);
    expect(answer.status).toBe('ok');
    expect(await untilReport(w, agentId, api.instance, (r) => r.state === 'starting')).toMatchObject({
      health: 'unknown',
    });
    const healthy = await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy');
    expect(healthy).toMatchObject({ state: 'running', restarts: 0, recovery: null });
    const inspected = await docker.getContainer(`alicia-${api.instance}`).inspect();
    expect(inspected.State.Health?.Status).toBe('healthy');
    // The healthcheck is Docker's own, so it keeps running without the agent.
    expect(inspected.Config.Healthcheck).toMatchObject({
      Test: ['CMD-SHELL', 'test -f /tmp/ready'],
      Interval: 200_000_000,
      StartPeriod: 10_000_000_000,
      Retries: 1,
    });
  });

  it("reports healthy the moment the healthcheck first passes, before Docker's own first probe", async () => {
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    // Docker probes once a minute: only the agent's start probe can see it ready now.
    const api = instanceSpec(STACK, 'api', 1, {
      command: readyAfter(0.3),
      healthcheck: readyCheck(60_000, 120_000),
    });
    await start(w, agentId, [api]);
    const healthy = await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy');
    expect(healthy).toMatchObject({ state: 'running', restarts: 0, recovery: null });
    const inspected = await docker.getContainer(`alicia-${api.instance}`).inspect();
    expect(inspected.State.Health?.Status).toBe('starting');
    expect(inspected.State.Health?.Log ?? []).toEqual([]);
  });

  it("restarts a container that breaks right after its first pass, without waiting out Docker's start_period", async () => {
    const agent = await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    // Docker alone would not judge failures for 2 minutes (start_period) once it missed the
    // pass; the agent applies Docker's rules to its own probes: one failure (retries: 1) after
    // a pass is unhealthy.
    const api = instanceSpec(STACK, 'api', 1, {
      command: readyAfter(0.2),
      healthcheck: readyCheck(1_000, 120_000),
      x_alicia: { backoff: { min_ms: 100, max_ms: 1_000, reset_after_ms: 60_000, max_attempts: 3 } },
    });
    await start(w, agentId, [api]);
    const before = await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy');
    await breakProbe(api.instance);
    const healed = await untilReport(
      w,
      agentId,
      api.instance,
      (r) => r.health === 'healthy' && r.restarts === 1,
      15_000,
    );
    expect(healed).toMatchObject({ container_id: before.container_id, recovery: { attempts: 1 } });
    expect(agent.stats.heal_restarts).toBe(1);
  });

  it('restarts a container whose healthcheck starts failing, and it becomes healthy again', async () => {
    const agent = await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    // 500 ms before the first restart, so the scheduled attempt shows in a snapshot.
    const api = instanceSpec(STACK, 'api', 1, {
      command: readyAfter(0.5),
      healthcheck: readyCheck(200),
      x_alicia: { backoff: { min_ms: 500, max_ms: 2_000, reset_after_ms: 60_000, max_attempts: 3 } },
    });
    await start(w, agentId, [api]);
    const before = await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy');

    const brokenAt = Date.now();
    await breakProbe(api.instance);
    expect(await untilReport(w, agentId, api.instance, (r) => r.health === 'unhealthy')).toMatchObject({
      recovery: { attempts: 0, gave_up: false, next_attempt_at: expect.any(Number) },
    });
    const healed = await untilReport(
      w,
      agentId,
      api.instance,
      (r) => r.health === 'healthy' && r.restarts === 1,
    );
    const healedInMs = Date.now() - brokenAt;
    expect(healed).toMatchObject({
      container_id: before.container_id,
      state: 'running',
      recovery: { attempts: 1, gave_up: false },
    });
    expect(agent.stats.heal_restarts).toBe(1);
    // Budget: unhealthy after one 200 ms probe, 500 ms backoff, ready 0.5 s after the restart.
    expect(healedInMs).toBeLessThan(5_000);
    // Docker's own probe agrees (the agent's start probe may have said so first).
    await until(
      async () =>
        (await docker.getContainer(before.container_id).inspect()).State.Health?.Status === 'healthy',
      { what: 'Docker to call the healed container healthy' },
    );
  });

  it('gives up after max_attempts: leaves the container stopped and reports it failed', async () => {
    // Readiness is a file in a host directory the policy allows: absent, every run ends
    // unhealthy after its first probe; the operator creates it, then starts the instance.
    const flags = await tempDir(closer, 'agent-health-flags');
    const agent = await inProcessAgent(closer, {
      id: agentId,
      brokerUrl,
      stateDir,
      policy: { allowedHostPaths: [flags] },
    });
    const bad = instanceSpec(STACK, 'bad', 1, {
      command: ['sleep', '3600'],
      volumes: [{ type: 'bind', source: flags, target: '/flags', read_only: true }],
      healthcheck: {
        test: ['CMD-SHELL', 'test -f /flags/ready'],
        interval_ms: 200,
        timeout_ms: 1_000,
        retries: 1,
        disable: false,
      },
      x_alicia: { backoff: { min_ms: 100, max_ms: 200, reset_after_ms: 60_000, max_attempts: 2 } },
    });
    await start(w, agentId, [bad]);
    const failed = await untilReport(w, agentId, bad.instance, (r) => r.state === 'failed', 20_000);
    expect(failed).toMatchObject({ state: 'failed', restarts: 2, recovery: { attempts: 2, gave_up: true } });
    const inspected = await docker.getContainer(failed.container_id).inspect();
    expect(inspected.State.Running).toBe(false);
    expect(agent.stats.heal_restarts).toBe(2);
    expect(agent.stats.heal_gave_up).toBe(1);

    // The operator fixes the cause and starts it: the same container, a fresh streak, healthy.
    await writeFile(join(flags, 'ready'), '');
    expect((await start(w, agentId, [bad])).status).toBe('ok');
    expect(await untilReport(w, agentId, bad.instance, (r) => r.health === 'healthy')).toMatchObject({
      container_id: failed.container_id,
      state: 'running',
      recovery: null,
    });
  });

  it('heals while the broker is gone, and reports the restart once it is back', async () => {
    const b = await broker(closer);
    const w2 = await watcher(closer, b.url);
    await inProcessAgent(closer, { id: agentId, brokerUrl: b.url, stateDir });
    const api = instanceSpec(STACK, 'api', 1, { command: readyAfter(0.5), healthcheck: readyCheck(200) });
    await start(w2, agentId, [api]);
    const before = await untilReport(w2, agentId, api.instance, (r) => r.health === 'healthy');
    const port = b.port;
    await b.close();

    const startedAt = (await docker.getContainer(before.container_id).inspect()).State.StartedAt;
    await breakProbe(api.instance);
    // No broker: watch Docker. The agent restarts the container (StartedAt moves) and it recovers.
    await until(
      async () => {
        const state = (await docker.getContainer(before.container_id).inspect()).State;
        return state.StartedAt !== startedAt && state.Health?.Status === 'healthy';
      },
      { timeoutMs: 15_000, retryErrors: true, what: 'the agent to restart the container without a broker' },
    );

    const back = await broker(closer, port);
    const w3 = await watcher(closer, back.url);
    expect(
      await untilReport(w3, agentId, api.instance, (r) => r.health === 'healthy' && r.restarts === 1, 20_000),
    ).toMatchObject({
      container_id: before.container_id,
      recovery: { attempts: 1 },
    });
  });
});
