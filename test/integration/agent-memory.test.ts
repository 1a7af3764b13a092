// The agent's logic on the in-memory runtime (fast, no Docker) with a real aedes broker:
// what it remembers across restarts, what it republishes, how commands race.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRuntime, type MemoryRuntime } from '../../agents/runtime/index.js';
import type { Heartbeat } from '../../src/protocol/presence.js';
import { instanceSpec, readyCheck } from '../contract/specs.js';
import {
  agentTestEnv,
  Closer,
  closeAgentTest,
  inProcessAgent,
  send,
  start,
  untilPresence,
  untilReport,
  type Watcher,
} from './agent-harness.js';

const STACK = 'mem';
const closer = new Closer();

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;
let runtime: MemoryRuntime;

beforeEach(async () => {
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'mem'));
  runtime = createMemoryRuntime();
});

afterEach(async () => {
  await closeAgentTest(closer);
  await runtime.close();
});

const agent = (extra: Record<string, unknown> = {}) =>
  inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, runtime, ...extra });
const okResults = (answer: Awaited<ReturnType<typeof send>>) =>
  answer.status === 'ok' ? (answer.data?.results ?? []) : [];

describe('agent on the in-memory runtime', () => {
  it('never makes two containers for one instance, even for concurrent start commands', async () => {
    await agent();
    const web = instanceSpec(STACK, 'web', 1);
    const answers = await Promise.all([
      start(w, agentId, [web]),
      start(w, agentId, [web]),
      start(w, agentId, [web, web]),
    ]);
    const ids = new Set(answers.flatMap((a) => okResults(a).map((r) => r.container_id)));
    expect(ids.size).toBe(1);
    expect(runtime.all()).toHaveLength(1);
  });

  it('remembers a give-up across an agent restart: not restarted on boot, kept by apply, retried by start', async () => {
    const first = await agent();
    const api = instanceSpec(STACK, 'api', 1, {
      healthcheck: readyCheck(50, 0),
      x_alicia: { backoff: { min_ms: 10, max_ms: 20, reset_after_ms: 60_000, max_attempts: 1 } },
    });
    await start(w, agentId, [api]);
    await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy');
    runtime.setHealth(api.instance, 'unhealthy', { sticky: true });
    const failed = await untilReport(w, agentId, api.instance, (r) => r.state === 'failed');
    expect(failed).toMatchObject({ state: 'failed', restarts: 1, recovery: { attempts: 1, gave_up: true } });
    expect(first.stats.heal_gave_up).toBe(1);
    await first.close();

    const second = await agent();
    const online = await untilPresence(
      w,
      agentId,
      (p) => p.state === 'online' && p.session === second.session,
    );
    expect(online.session).toBe(2);
    expect(await untilReport(w, agentId, api.instance, () => true, 10_000, { session: 2 })).toMatchObject({
      state: 'failed',
      restarts: 1,
      recovery: { gave_up: true },
    });
    expect(okResults(await send(w, agentId, 'apply', { instances: [api] }))).toEqual([
      { instance: api.instance, status: 'ok', container_id: failed.container_id },
    ]);
    expect(runtime.all()[0]?.state).toBe('exited');

    // The operator fixed the cause and starts it again: a fresh streak, healthy.
    runtime.setHealth(api.instance, 'healthy');
    await start(w, agentId, [api]);
    expect(runtime.all()[0]?.state).toBe('running');
    expect(await untilReport(w, agentId, api.instance, (r) => r.health === 'healthy')).toMatchObject({
      container_id: failed.container_id,
      state: 'running',
      recovery: null,
    });
  });

  it('keeps an instance that apply lists but policy refuses (nothing created, nothing removed)', async () => {
    await agent({ policy: { allowedImages: ['alicia-test/*'] } });
    const web = instanceSpec(STACK, 'web', 1);
    await start(w, agentId, [web]);
    const changed = instanceSpec(STACK, 'web', 1, { image: 'evil/miner:latest' });
    const answer = okResults(await send(w, agentId, 'apply', { instances: [changed] }));
    expect(answer).toEqual([
      {
        instance: web.instance,
        status: 'error',
        error: { code: 'ALICIA_ERR_POLICY_IMAGE', message: expect.stringContaining('evil/miner') },
      },
    ]);
    expect(runtime.all().map((c) => [c.instance, c.image, c.state])).toEqual([
      [web.instance, web.spec.image, 'running'],
    ]);
  });

  it('republishes info and containers on resync and when a new orchestrator session comes online', async () => {
    await agent();
    await untilPresence(w, agentId, (p) => p.state === 'online');
    const infoTopic = `alicia/agents/${agentId}/info`;
    await w.until(infoTopic, () => true);
    const count = () => w.messages.items.filter((m) => m.topic === infoTopic).length;
    const before = count();
    expect(await send(w, agentId, 'resync', {})).toMatchObject({ status: 'ok', data: { results: [] } });
    expect(count()).toBe(before + 1);

    const orchestrator = (session: number) =>
      JSON.stringify({ v: 1, state: 'online', session, ts: Date.now(), version: '0.1.0' });
    // The first orchestrator session the agent sees is only noted (it has just announced
    // itself); a different one later means a restarted orchestrator: tell it everything again.
    const beforeSessions = count();
    const republished = w.messages.next(
      (m) => m.topic === infoTopic,
      5_000,
      'info after a new orchestrator session',
    );
    await w.client.publishAsync('alicia/orchestrator/state', orchestrator(1), { qos: 1 });
    await w.client.publishAsync('alicia/orchestrator/state', orchestrator(2), { qos: 1 });
    await republished;
    // A resync answered is a barrier: everything the agent published before is in by now.
    await send(w, agentId, 'resync', {});
    expect(count()).toBe(beforeSessions + 2);
  });

  it('counts an invalid orchestrator presence message and carries on', async () => {
    const running = await agent();
    await untilPresence(w, agentId, (p) => p.state === 'online');
    await w.client.publishAsync('alicia/orchestrator/state', '{"state": "online"', { qos: 1 });
    await w.client.publishAsync('alicia/orchestrator/state', JSON.stringify({ v: 1, state: 'sideways' }), {
      qos: 1,
    });
    const web = instanceSpec(STACK, 'web', 1);
    expect(okResults(await start(w, agentId, [web]))[0]).toMatchObject({ status: 'ok' });
    expect(running.stats.rejected_other).toBe(2);
    expect(running.stats.rejected).toBe(0);
  });

  it('sends heartbeats with a growing seq and the running count, starting again at 0 on each connect', async () => {
    const running = await agent({ heartbeatMs: 50 });
    await start(w, agentId, [instanceSpec(STACK, 'web', 1)]);
    const beat = await w.until<Heartbeat>(
      `alicia/agents/${agentId}/heartbeat`,
      (h) => h.running === 1 && h.seq >= 3,
    );
    expect(beat).toMatchObject({
      session: running.session,
      load: expect.any(Array),
      mem: { rss_bytes: expect.any(Number) },
    });
    const beats = w.messages.items
      .filter((m) => m.topic === `alicia/agents/${agentId}/heartbeat`)
      .map((m) => (m.payload as Heartbeat).seq);
    expect(beats.slice(0, 4)).toEqual([0, 1, 2, 3]);
  });

  it('answers commands with ALICIA_ERR_DOCKER_UNREACHABLE while the engine is down, and catches up when it is back', async () => {
    await agent();
    const web = instanceSpec(STACK, 'web', 1);
    runtime.setReachable(false);
    const answer = okResults(await start(w, agentId, [web]));
    expect(answer[0]).toMatchObject({ status: 'error', error: { code: 'ALICIA_ERR_DOCKER_UNREACHABLE' } });
    runtime.setReachable(true);
    // The start was recorded as desired: recovery creates it once the engine answers.
    expect(await untilReport(w, agentId, web.instance, (r) => r.state === 'running')).toMatchObject({
      spec_hash: web.spec_hash,
    });
  });

  it('refuses an invalid agent id and heartbeat period before touching anything', async () => {
    const { startAgent } = await import('../../agents/index.js');
    await expect(startAgent({ id: 'a/b', brokerUrl, stateDir, runtime })).rejects.toMatchObject({
      code: 'ALICIA_ERR_ID_INVALID',
    });
    await expect(
      startAgent({ id: 'ok', brokerUrl, stateDir, runtime, heartbeatMs: 0 }),
    ).rejects.toMatchObject({ code: 'ALICIA_ERR_CONFIG_INVALID' });
  });
});
