// The orchestrator's link to the broker frozen without a FIN (a TCP proxy that stops
// forwarding and closes nothing, as a pulled cable looks): MQTT.js still calls itself
// connected until its keepalive runs out (1.5 × 5 s), while the agents' heartbeats stop
// reaching it after one. Longer than the heartbeat TTL, the orchestrator judges nothing (no
// agent_lost, no reschedule); once the link carries traffic again it waits a fresh TTL and a
// request right after is answered. Then the same for a freeze longer than the keepalive (the
// client gives the connection up and reconnects once the link is back). Agents on the
// in-memory runtime, connected to the broker directly; they keep running throughout.
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../../bench/tcp-proxy.js';
import type { Client } from '../../src/cli/client.js';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { until } from '../helpers/wait.js';
import {
  closeHarnesses,
  DB_API_YAML,
  type Harness,
  stackFrom,
  startHarness,
} from './orchestrator-harness.js';

const HEARTBEAT_MS = 200; // TTL 600 ms
const JUDGEMENTS = ['agent_lost', 'agent_offline', 'service_rescheduled', 'orchestration_error'];
let proxy: TcpProxy | null = null;

afterEach(async () => {
  await closeHarnesses();
  await proxy?.close();
  proxy = null;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Freezes the link for `ms`, thaws it, and times the first `agents` request after. */
async function partition(
  h: Harness,
  client: Client,
  ms: number,
): Promise<{ judged: string[]; answerMs: number }> {
  if (proxy === null) throw new Error('no proxy');
  const before = h.events.length;
  proxy.freeze();
  await sleep(ms);
  proxy.thaw();
  const t0 = Date.now();
  const rows = await until(
    async () => {
      const reply = await client.request('agents', {}, { timeoutMs: 5_000 }).catch(() => null);
      return reply?.agents.length === 2 && reply.agents.every((a) => a.status === 'online') ? reply : null;
    },
    { timeoutMs: 20_000, what: 'agents answered, both online' },
  );
  const answerMs = Date.now() - t0;
  expect(rows.agents.map((a) => a.agent).sort()).toEqual(['part-a', 'part-b']);
  // Three TTLs of fresh sight after the thaw: still nobody judged.
  await sleep(6 * HEARTBEAT_MS + 600);
  const during: AliciaEvent[] = h.events.slice(before);
  return {
    judged: during.filter((e) => JUDGEMENTS.includes(e.event_type)).map((e) => e.event_type),
    answerMs,
  };
}

describe('orchestrator partition without FIN', () => {
  it('frozen longer than the TTL, then than the keepalive: nothing judged, requests answered right after', async () => {
    const h = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'part-a' }, { id: 'part-b' }],
      heartbeatMs: HEARTBEAT_MS,
      orchestratorUrl: async (url) => {
        proxy = await startTcpProxy({ port: Number(new URL(url).port) });
        return proxy.url;
      },
    });
    await h.orchestrator.deploy(stackFrom(DB_API_YAML, 'partition'));
    const client = await h.client();
    // (Two already: aedes refuses MQTT 5 and the client retries in 3.1.1.)
    const opened = proxy?.connections() ?? 0;

    // 1. Five TTLs frozen, well inside the keepalive: MQTT.js never notices, the orchestrator must.
    const short = await partition(h, client, 3_000);
    console.log(`frozen 3 s (< keepalive): answered ${short.answerMs} ms after the thaw`);
    expect(short.judged).toEqual([]);
    expect(proxy?.connections(), 'the same connection throughout').toBe(opened);

    // 2. Frozen past the keepalive (7.5 s): the client drops the connection and reconnects.
    const long = await partition(h, client, 9_000);
    console.log(`frozen 9 s (> keepalive): answered ${long.answerMs} ms after the thaw`);
    expect(long.judged).toEqual([]);
    expect(proxy?.connections() ?? 0, 'a reconnect through the proxy').toBeGreaterThan(opened);

    // ps agrees with what runs: nothing moved.
    const ps = await client.request('ps', { stack: 'partition' });
    expect(ps.services.reduce((n, s) => n + s.running_replicas, 0)).toBe(2);
  }, 60_000);
});
