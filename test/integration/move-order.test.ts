// Moves over a real broker (aedes on port 0) with real agents on the in-memory runtime
// (issue 13, counting right across moves): a lost host's db and api (api waits for db to be
// healthy) move as new incarnations and start in dependency order; the predecessors go when
// the host returns; and a move interrupted by an orchestrator crash is resumed in order from
// its persisted intent.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { instanceId } from '../../src/core/deploy/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startOrchestrator } from '../../src/orchestrator/index.js';
import { type OrchestratorStateData, STATE_FILE } from '../../src/orchestrator/store.js';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { until } from '../helpers/wait.js';
import {
  closeHarnesses,
  DB_API_YAML,
  labels,
  memoryOf,
  stackFrom,
  startHarness,
} from './orchestrator-harness.js';

afterEach(closeHarnesses);

const STACK = 'mv';
const running = (instances: { service: string; instance: string; state: string }[]) =>
  instances
    .filter((c) => c.state === 'running')
    .map((c) => `${c.service} ${c.instance}`)
    .sort();

/** The intents in the orchestrator's state file (written before anything they do goes out). */
async function intentsOnDisk(dir: string): Promise<Record<string, unknown>> {
  const state = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as {
    intents?: Record<string, unknown>;
  };
  return state.intents ?? {};
}

/** The start-order events of the stack, as `event_type:service`, from `since` on. */
const order = (events: readonly AliciaEvent[], since: number) =>
  labels(events.slice(since), STACK).filter((l) =>
    /^(service_starting|service_healthy|service_started):/.test(l),
  );

describe('moves (in process)', () => {
  it('a lost host: new incarnations, db before api, predecessors removed on return', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'a' }],
      orchestrator: { rescheduleGraceMs: 300 },
    });
    await harness.orchestrator.deploy(stackFrom(DB_API_YAML, STACK));
    const before = (await harness.orchestrator.ps(STACK)).flatMap((s) => s.instances.map((i) => i.instance));
    await harness.startAgent({ id: 'b' });
    await harness.orchestrator.waitForAgents(2, 10_000);
    const lost = memoryOf(harness, 'a');
    const since = harness.events.length;
    await harness.stopAgent('a');

    await until(
      () =>
        running(memoryOf(harness, 'b').all()).length === 2 &&
        order(harness.events, since).includes('service_started:api'),
      { timeoutMs: 15_000, what: 'db and api running on b' },
    );
    const moves = harness.events
      .slice(since)
      .flatMap((e) => (e.event_type === 'service_rescheduled' ? [e.event_data] : []));
    expect(moves.map((m) => [m.service, m.replaces, m.instance, m.from, m.to]).sort()).toEqual(
      before.map((old) => [old.split('_')[1], old, `${old}_1`, 'a', 'b']).sort(),
    );
    // api was started only after db was healthy on b.
    expect(order(harness.events, since)).toEqual([
      'service_starting:db',
      'service_started:db',
      'service_healthy:db',
      'service_starting:api',
      'service_started:api',
    ]);
    const ps = await harness.orchestrator.ps(STACK);
    expect(ps.flatMap((s) => s.instances.map((i) => [i.instance, i.incarnation, i.agent])).sort()).toEqual(
      before.map((old) => [`${old}_1`, 1, 'b']).sort(),
    );
    // The move ends: its intent goes.
    await until(async () => Object.keys(await intentsOnDisk(harness.orchestratorStateDir)).length === 0, {
      what: 'the move intent ended',
    });

    // a returns with its containers: they are not desired (other ids), so they go.
    expect(running(lost.all()).map((l) => l.split(' ')[1])).toEqual([...before].sort());
    await harness.startAgent({ id: 'a', runtime: lost });
    await until(() => lost.all().length === 0, { what: 'the predecessors removed from a' });
    expect(running(memoryOf(harness, 'b').all())).toEqual(
      before.map((old) => `${old.split('_')[1]} ${old}_1`).sort(),
    );
  });

  it('a move interrupted by a crash resumes from its intent, in order', async () => {
    // Only a online at the deploy: db and api both land there.
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.deploy(stackFrom(DB_API_YAML, STACK));
    await harness.startAgent({ id: 'b' });
    await harness.orchestrator.waitForAgents(2, 10_000);
    await harness.orchestrator.close();
    // What the crashed orchestrator had written: the new hosts and the move's intent, and
    // nothing started on b yet.
    const file = path.join(harness.orchestratorStateDir, STATE_FILE);
    const state = JSON.parse(await readFile(file, 'utf8')) as OrchestratorStateData;
    const record = state.stacks[STACK];
    if (record === undefined) throw new Error('no stack record');
    expect(record.assignments.map((a) => a.agent)).toEqual(['a', 'a']);
    const old = record.assignments.map((a) => ({ ...a }));
    record.assignments = record.assignments.map((a) => ({
      ...a,
      instance: instanceId(a.stack, a.service, a.slot, a.spec_hash, 1),
      agent: 'b',
      incarnation: 1,
    }));
    state.intents = {
      [STACK]: { kind: 'deploy', id: 'move-mv-1', op: 'move', scale: {}, unstop: [], started_ms: Date.now() },
    };
    await writeFile(file, JSON.stringify(state));
    // a's agent is gone (its containers stay, as on a lost host).
    await harness.stopAgent('a');
    const target = 'b';

    const events: AliciaEvent[] = [];
    const o = await startOrchestrator({
      brokerUrl: harness.broker.url,
      stateDir: harness.orchestratorStateDir,
      heartbeatMs: 200,
      log: silentLogger(),
      commandRetryMs: 500,
    });
    harness.orchestrator = o;
    o.events.onEvent((e) => events.push(e));
    await until(
      async () =>
        running(memoryOf(harness, target).all()).length === 2 &&
        (await intentsOnDisk(harness.orchestratorStateDir))[STACK] === undefined,
      {
        timeoutMs: 20_000,
        what: 'the moved db and api running, the intent done',
      },
    );
    expect(running(memoryOf(harness, target).all())).toEqual(
      old.map((a) => `${a.service} ${instanceId(a.stack, a.service, a.slot, a.spec_hash, 1)}`).sort(),
    );
    expect(order(events, 0)).toEqual([
      'service_starting:db',
      'service_started:db',
      'service_healthy:db',
      'service_starting:api',
      'service_started:api',
    ]);
  });
});
