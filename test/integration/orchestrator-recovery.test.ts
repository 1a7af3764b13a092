// Recovery and self-healing of the control plane over a real broker (aedes on port 0) with
// real agents on the in-memory runtime: an orchestrator restart recovers from its state dir
// plus the agents' retained containers (no duplicates, no orphans); a host lost for longer
// than the grace period has its instances rescheduled, and its duplicates are removed when
// it comes back.
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { compileContainerSpec, parseBundle } from '../../src/compose/index.js';
import { specHash } from '../../src/protocol/index.js';
import { until } from '../helpers/wait.js';
import {
  closeHarnesses,
  currentHarness,
  DB_API_YAML,
  memoryOf,
  nextEvent,
  stackFrom,
  startHarness,
} from './orchestrator-harness.js';

afterEach(closeHarnesses);

/** Sends one command straight to an agent, as if from an earlier orchestrator, and waits for its answer. */
async function command(url: string, agent: string, action: string, body: object): Promise<unknown> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: `direct-${Date.now()}` });
  try {
    await client.subscribeAsync(`alicia/agents/${agent}/response/${action}`, { qos: 1 });
    const transaction = `direct-${action}-${Date.now()}`;
    const answer = new Promise<unknown>((resolve) => {
      client.on('message', (_t, payload) => {
        const parsed = JSON.parse(payload.toString()) as { transaction?: string };
        if (parsed.transaction === transaction) resolve(parsed);
      });
    });
    const now = Date.now();
    await client.publishAsync(
      `alicia/agents/${agent}/cmd/${action}`,
      JSON.stringify({ v: 1, transaction, issued_at: now, expires_at: now + 30_000, session: 0, ...body }),
      { qos: 1 },
    );
    return await answer;
  } finally {
    await client.endAsync();
  }
}

describe('orchestrator recovery', () => {
  it('after a restart, restarts what went missing and removes an orphan, keeping the rest untouched', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const stack = stackFrom(DB_API_YAML, 'rec');
    await harness.orchestrator.deploy(stack);
    const m = memoryOf(harness, 'a');
    const before = new Map(m.all().map((c) => [c.instance, c.id]));
    const firstSession = harness.orchestrator.session;
    const db = m.all().find((c) => c.service === 'db');
    const api = m.all().find((c) => c.service === 'api');
    if (!db || !api) throw new Error('deploy did not create db and api');
    await harness.orchestrator.close();

    // While the orchestrator is away: api is removed behind its back, and an extra api
    // instance it never asked for appears (a half-done operation of an earlier run).
    await command(harness.broker.url, 'a', 'remove', { instances: [api.instance] });
    const apiSpec = parseBundle(stack).services.api;
    if (!apiSpec) throw new Error('no api spec');
    await command(harness.broker.url, 'a', 'start', {
      instances: [
        {
          instance: 'rec_api_9_orphan',
          stack: 'rec',
          service: 'api',
          slot: 9,
          spec: compileContainerSpec('rec', apiSpec),
          spec_hash: specHash(compileContainerSpec('rec', apiSpec)),
        },
      ],
    });
    expect(
      m
        .all()
        .map((c) => c.instance)
        .sort(),
    ).toEqual([db.instance, 'rec_api_9_orphan'].sort());

    // A new orchestrator on the same state dir.
    const restarted = await harness.restartOrchestrator();
    expect(restarted.session).toBeGreaterThan(firstSession);
    await until(
      () => {
        const now = m
          .all()
          .map((c) => c.instance)
          .sort();
        return now.length === 2 && now.includes(api.instance) && now.includes(db.instance);
      },
      { what: 'api back and the orphan gone', timeoutMs: 10_000 },
    );
    // db was never touched: same container.
    expect(m.all().find((c) => c.instance === db.instance)?.id).toBe(before.get(db.instance));
    await until(async () => (await restarted.ps('rec')).every((s) => s.running_replicas === 1), {
      what: 'ps to report one running replica of each service',
    });
    const healing = harness.events
      .filter((e) => e.event_type === 'healing_action')
      .map((e) => e.event_data.action);
    expect(healing).toEqual(expect.arrayContaining(['start_missing', 'remove_unwanted']));
  });

  it('reschedules the instances of a host offline past the grace period, and removes its duplicates when it returns', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'a' }, { id: 'b' }],
      orchestrator: { rescheduleGraceMs: 300 },
    });
    const yaml = `
services:
  solo:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
`;
    const report = await harness.orchestrator.deploy(stackFrom(yaml, 'move'));
    const from = report.services[0]?.hosts[0];
    const to = from === 'a' ? 'b' : 'a';
    if (from === undefined) throw new Error('solo was not placed');
    const lostRuntime = memoryOf(harness, from);
    const rescheduled = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_rescheduled',
      'service_rescheduled',
    );
    await harness.stopAgent(from);
    const event = await rescheduled;
    expect(event.event_data).toMatchObject({ stack: 'move', service: 'solo', from, to });
    await until(
      () =>
        memoryOf(currentHarness(), to)
          .all()
          .some((c) => c.service === 'solo' && c.state === 'running'),
      { what: 'solo running on the other host' },
    );
    // The lost host kept running its container while away (the agent leaves containers on close).
    expect(lostRuntime.all().map((c) => c.service)).toEqual(['solo']);

    // It comes back with the same state: the duplicate is removed, the moved one stays.
    await harness.startAgent({ id: from, runtime: lostRuntime });
    await until(() => lostRuntime.all().length === 0, {
      what: 'the duplicate on the returning host removed',
    });
    expect(
      memoryOf(harness, to)
        .all()
        .map((c) => c.service),
    ).toEqual(['solo']);
    expect((await harness.orchestrator.ps('move'))[0]).toMatchObject({ running_replicas: 1, hosts: [to] });
  });
});
