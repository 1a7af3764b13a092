// Needs Docker. Feature negotiation with an agent pinned to an older feature set (as an
// agent one release behind would be): the orchestrator never sends it a field it lacks and
// names it for upgrade; an agent that still receives one answers ALICIA_ERR_UNSUPPORTED,
// naming the field, and creates nothing.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActionResponse } from '../../src/protocol/agent-actions.js';
import type { AgentInfo } from '../../src/protocol/presence.js';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import {
  agentTestEnv,
  Closer,
  closeAgentTest,
  inProcessAgent,
  send,
  start,
  type Watcher,
} from './agent-harness.js';
import { closeHarnesses, nextEvent, stackFrom, startHarness } from './orchestrator-harness.js';

const STACK = 'feat-it';
const docker = testDocker();
const closer = new Closer();
/** What the pinned agent speaks: everything but healthcheck and probe. */
const OLD_FEATURES = ['resources'];

async function containersOf(label: string, value: string) {
  return docker.listContainers({ all: true, filters: { label: [`${label}=${value}`] } });
}

function errorOf(answer: ActionResponse) {
  if (answer.status !== 'error') throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
  return answer.error;
}

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'feat'));
});

afterEach(async () => {
  await closeHarnesses();
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('feature negotiation on real Docker', () => {
  it('an agent announces the features it speaks in its retained info', async () => {
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, protocolFeatures: OLD_FEATURES });
    const info = await w.until<AgentInfo>(`alicia/agents/${agentId}/info`, () => true);
    expect(info).toMatchObject({ protocol: 1, features: OLD_FEATURES });
  });

  it('the orchestrator refuses to place a service needing a feature no agent speaks, naming the agent to upgrade', async () => {
    const harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'old-1', protocolFeatures: OLD_FEATURES }],
    });
    const yaml = `
services:
  plain:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 0s
  checked:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
`;
    await expect(harness.orchestrator.deploy(stackFrom(yaml, STACK))).rejects.toMatchObject({
      code: 'ALICIA_ERR_PLACEMENT',
      message: expect.stringContaining(
        `service "${STACK}/checked" needs feature "healthcheck"; agent old-1 speaks protocol 1 without it — upgrade it`,
      ),
    });
    // Nothing was sent: no container of the stack exists on the engine.
    expect(await containersOf('alicia.stack', STACK)).toEqual([]);

    // The base set still runs there: a service that needs no feature is placed on it.
    const report = await harness.orchestrator.deploy(
      stackFrom(yaml.slice(0, yaml.indexOf('  checked:')), STACK),
    );
    expect(report.services.map((s) => [s.service, s.phase, s.hosts])).toEqual([
      ['plain', 'ready', ['old-1']],
    ]);
    const created = await containersOf('alicia.stack', STACK);
    expect(created.map((c) => c.Labels['alicia.service'])).toEqual(['plain']);
  });

  it('a pinned agent answers unsupported, naming the field, to a start with an unknown field, and creates nothing', async () => {
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, protocolFeatures: OLD_FEATURES });
    const web = instanceSpec(STACK, 'web', 1);
    // A field from a newer protocol (issue 11's devices), published straight to the agent.
    const raw = { ...web, spec: { ...web.spec, devices: ['/dev/null:/dev/ttyACM0'] } };
    const error = errorOf(await send(w, agentId, 'start', { instances: [raw] }));
    expect(error.code).toBe('ALICIA_ERR_UNSUPPORTED');
    expect(error.message).toContain('"devices"');
    expect(error.message).toContain(web.instance);
    expect(await containersOf('alicia.agent', agentId)).toEqual([]);

    // A feature it does not speak (healthcheck) is refused the same way, for apply too.
    const checked = instanceSpec(STACK, 'api', 1, {
      healthcheck: { test: ['CMD', 'true'], interval_ms: 200, disable: false },
    });
    const refused = errorOf(await start(w, agentId, [web, checked]));
    expect(refused).toMatchObject({
      code: 'ALICIA_ERR_UNSUPPORTED',
      message: expect.stringContaining('"healthcheck"'),
    });
    const applied = errorOf(await send(w, agentId, 'apply', { instances: [checked] }));
    expect(applied.code).toBe('ALICIA_ERR_UNSUPPORTED');
    expect(await containersOf('alicia.agent', agentId)).toEqual([]);

    // What it does speak still runs.
    const ok = await start(w, agentId, [web]);
    expect(ok).toMatchObject({ status: 'ok', data: { results: [{ instance: web.instance, status: 'ok' }] } });
    expect((await containersOf('alicia.agent', agentId)).map((c) => c.Labels['alicia.instance'])).toEqual([
      web.instance,
    ]);
  });

  it('an agent of this version answers unsupported (not a schema error) to a field it does not know', async () => {
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    const web = instanceSpec(STACK, 'web', 1);
    // A field of a later protocol (sysctls is known since issue 11).
    const raw = { ...web, spec: { ...web.spec, cdi_devices: ['vendor.com/gpu=0'] } };
    const error = errorOf(await send(w, agentId, 'start', { instances: [raw] }));
    expect(error.code).toBe('ALICIA_ERR_UNSUPPORTED');
    expect(error.message).toContain('"cdi_devices"');
    expect(await containersOf('alicia.agent', agentId)).toEqual([]);
  });

  it('the orchestrator does not send an earlier placement to an agent now pinned without its feature', {
    timeout: 60_000,
  }, async () => {
    // In memory: the point is what the orchestrator sends, seen on the broker.
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const yaml = `
services:
  checked:
    image: alicia-test/busybox:latest
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
`;
    await harness.orchestrator.deploy(stackFrom(yaml, STACK));
    // The host comes back as an older agent, its containers and desired instances gone (a new
    // engine, its desired state lost; its session counter kept, as after a reinstall).
    const before = harness.agents.get('a');
    if (!before) throw new Error('no agent a');
    await harness.stopAgent('a');
    await rm(path.join(before.stateDir, 'agent-state.json'), { force: true });
    const spy = await mqtt.connectAsync(harness.broker.url, { reconnectPeriod: 0 });
    closer.add(() => spy.endAsync(true));
    const sent: string[] = [];
    spy.on('message', (topic) => sent.push(topic.split('/').at(-1) ?? topic));
    await spy.subscribeAsync('alicia/agents/a/cmd/#', { qos: 1 });
    const retry = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'start_missing',
      'the orchestrator noticing the missing instance',
      // The deploy's start stays pending for 15 s (the orchestrator's pendingStartMs) first.
      30_000,
    );
    await harness.startAgent({ id: 'a', protocolFeatures: OLD_FEATURES });
    await retry;
    // Commands to one agent arrive in order: once the down's remove is seen, a start sent
    // before it would have been seen too.
    const removed = new Promise<void>((resolve) =>
      spy.on('message', (topic) => {
        if (topic.endsWith('/cmd/remove')) resolve();
      }),
    );
    await harness.orchestrator.down(STACK);
    await removed;
    expect(sent).not.toContain('start');
  });
});
