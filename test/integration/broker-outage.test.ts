// The broker restarts (embedded aedes, same port, down for longer than the heartbeat TTL):
// the orchestrator was the one cut off, so no agent is declared lost and nothing moves;
// everything reconnects; a request right after the broker returns is answered; `ps` agrees
// with what runs. And `alicia events --client-id` (a persistent session) receives the events
// published while it was not running. Agents on the in-memory runtime; the real CLI
// (`node dist/src/cli/main.js`, built by `npm run build`) for `events`.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/index.js';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { until } from '../helpers/wait.js';
import { closeHarnesses, DB_API_YAML, memoryOf, stackFrom, startHarness } from './orchestrator-harness.js';

const MAIN = path.resolve('dist/src/cli/main.js');
const extra: EmbeddedBroker[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await closeHarnesses();
  for (const b of extra.splice(0)) await b.close().catch(() => undefined);
});

/** `alicia events --json` as its own process; its output lines so far. */
function followEvents(url: string, clientId: string, home: string): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    [MAIN, 'events', '--json', '--broker', url, '--client-id', clientId],
    {
      env: { ...process.env, ALICIA_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const lines: string[] = [];
  let buffer = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l !== ''));
  });
  return { child, lines };
}

describe('broker outage', () => {
  it('a broker down longer than the heartbeat TTL: no agent lost, requests answered at once, ps agrees', async () => {
    const heartbeatMs = 200; // TTL 600 ms
    const h = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'bo-a' }, { id: 'bo-b' }],
      heartbeatMs,
    });
    await h.orchestrator.deploy(stackFrom(DB_API_YAML, 'outage'));
    const port = h.broker.port;
    const before = h.events.length;

    await h.broker.close();
    // Five TTLs without a broker (3 s): long enough for every judgement the orchestrator must not make.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const back = await startEmbeddedBroker({ port });
    extra.push(back);

    // A request as soon as the orchestrator is back online is answered (not lost before it subscribed).
    const client = await h.client();
    const agents = await until(
      async () => {
        const rows = await client.request('agents', {}, { timeoutMs: 5_000 }).catch(() => null);
        const all = rows?.agents.every((a) => a.status === 'online') && rows?.agents.length === 2;
        return all ? rows : null;
      },
      { timeoutMs: 15_000, what: 'both agents online again' },
    );
    expect(agents.agents.map((a) => a.agent).sort()).toEqual(['bo-a', 'bo-b']);

    // Two more TTLs of fresh sight: still nobody lost.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const during: AliciaEvent[] = h.events.slice(before);
    const judged = during.filter((e) =>
      ['agent_lost', 'agent_offline', 'service_rescheduled', 'orchestration_error'].includes(e.event_type),
    );
    expect(judged.map((e) => e.event_type)).toEqual([]);

    // ps agrees with what runs on the agents.
    const ps = await client.request('ps', { stack: 'outage' });
    const running = [...memoryOf(h, 'bo-a').all(), ...memoryOf(h, 'bo-b').all()].filter(
      (c) => c.labels['alicia.stack'] === 'outage' && c.state === 'running',
    ).length;
    expect(ps.services.reduce((n, s) => n + s.running_replicas, 0)).toBe(running);
    expect(running).toBe(2);
  }, 60_000);

  it('alicia events --client-id receives what was published while it was not running', async () => {
    const h = await startHarness({ runtime: 'memory', agents: [{ id: 'ev-a' }] });
    const home = path.join(h.dir, 'home');
    await h.orchestrator.deploy(stackFrom(DB_API_YAML, 'evq'));
    const first = followEvents(h.broker.url, 'events-test', home);
    // Subscribed once it prints an event: restarts of db until one shows (no fixed wait).
    await until(
      async () => {
        await h.orchestrator.restart('db', 'evq');
        return first.lines.some((l) => l.includes('"service_restarted"'));
      },
      { everyMs: 300, what: 'the follower subscribed' },
    );
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    // While nobody follows: a scale. The broker queues its events for the persistent session.
    await h.orchestrator.scale('api', 2, 'evq');
    const missed = h.events.filter((e) => e.event_type === 'service_scaled').map((e) => e.id);
    expect(missed).toHaveLength(1);

    const second = followEvents(h.broker.url, 'events-test', home);
    await until(() => second.lines.some((l) => l.includes('"service_scaled"')), {
      timeoutMs: 10_000,
      what: 'the queued service_scaled',
    });
    const seen = second.lines.map((l) => JSON.parse(l) as AliciaEvent);
    expect(seen.map((e) => e.id)).toContain(missed[0]);
  }, 60_000);
});
