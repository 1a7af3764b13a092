// Needs Docker: the real orchestrator and two real agents (dockerode runtime on the private
// engine) behind the secured embedded broker. 10,000+ hostile payloads, published with
// orchestrator credentials on every topic they subscribe to, are each counted as rejected
// by the process that received them; nothing crashes and no container is started (checked
// on Docker by the label alicia.agent=fuzz-a|fuzz-b). Afterwards both still answer.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { type EmbeddedDefault, startEmbeddedDefault } from '../../broker/default.js';
import { connectClient } from '../../src/cli/client.js';
import type { Logger } from '../../src/logging/logger.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import { parseIncoming } from '../../src/protocol/messages.js';
import { AGENT_ACTIONS, REQUEST_METHODS } from '../../src/protocol/topics.js';
import { connectAs, nextMessage } from '../helpers/acl-matrix.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { hostilePayloads, oversizedPayloads } from './fuzz-payloads.js';

const AGENTS = ['fuzz-a', 'fuzz-b'] as const;
const docker = testDocker();
const cleanup: (() => Promise<void>)[] = [];

async function removeFuzzContainers(): Promise<void> {
  for (const id of AGENTS) await removeLabelled(docker, 'alicia.agent', id);
}
beforeEach(removeFuzzContainers);
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  await removeFuzzContainers();
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-fuzzsys-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A logger that counts the transport's "rejected message" lines (it logs each one) and the
 * connects to the broker (an agent logs each one).
 */
function countingLogger(): { log: Logger; rejected: () => number; connects: () => number } {
  let rejected = 0;
  let connects = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('"msg":"rejected message"')) rejected += 1;
        if (line.includes('"msg":"connected to broker"')) connects += 1;
      }
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), rejected: () => rejected, connects: () => connects };
}

// Every action and method of the protocol, plus one that does not exist.
const ACTIONS = [...AGENT_ACTIONS, 'bogus'];
const METHODS = [...REQUEST_METHODS, 'bogus'];
const AGENT_TOPICS = ['state', 'info', 'heartbeat', 'containers', 'response/start', 'response/apply'];

describe('fuzz: the real orchestrator and agents', () => {
  it('rejects and counts 10,000+ hostile messages, starts nothing and keeps answering', {
    timeout: 240_000,
  }, async () => {
    const embedded: EmbeddedDefault = await startEmbeddedDefault({
      port: 0,
      stateDir: await tmp(),
      agentIds: [...AGENTS],
      home: await tmp(),
    });
    cleanup.push(() => embedded.broker.close());
    const orchLog = countingLogger();
    const orchestrator: Orchestrator = await startOrchestrator({
      brokerUrl: embedded.broker.url,
      username: embedded.credentials.orchestrator.username,
      password: embedded.credentials.orchestrator.password,
      stateDir: await tmp(),
      heartbeatMs: 1000,
      log: orchLog.log,
    });
    cleanup.push(() => orchestrator.close());
    const agents = new Map<string, { agent: Agent; rejected: () => number; connects: () => number }>();
    for (const id of AGENTS) {
      const counter = countingLogger();
      const creds = embedded.credentials.agents[id];
      const agent = await startAgent({
        id,
        brokerUrl: embedded.broker.url,
        username: creds?.username,
        password: creds?.password,
        stateDir: await tmp(),
        heartbeatMs: 1000,
        log: counter.log,
      });
      cleanup.push(() => agent.close());
      agents.set(id, { agent, rejected: counter.rejected, connects: counter.connects });
    }
    await orchestrator.waitForAgents(2, 20_000);

    // Topics each process subscribes to, with how many hostile payloads go to each.
    const plan: { topic: string; count: number; to: 'agent' | 'orchestrator' | 'agents'; agent?: string }[] =
      [];
    for (const id of AGENTS)
      for (const a of ACTIONS)
        plan.push({ topic: `alicia/agents/${id}/cmd/${a}`, count: 380, to: 'agent', agent: id });
    for (const m of METHODS)
      plan.push({ topic: `alicia/orchestrator/request/${m}`, count: 340, to: 'orchestrator' });
    for (const id of AGENTS)
      for (const t of AGENT_TOPICS)
        plan.push({ topic: `alicia/agents/${id}/${t}`, count: 170, to: 'orchestrator' });
    plan.push({ topic: 'alicia/orchestrator/state', count: 400, to: 'agents' });

    const messages: { topic: string; payload: Buffer }[] = [];
    const expected = {
      orchestrator: 0,
      agents: new Map<string, number>(AGENTS.map((id) => [id, 0])),
      cmds: new Map<string, number>(AGENTS.map((id) => [id, 0])),
    };
    for (const [i, p] of plan.entries()) {
      const payloads = [
        ...hostilePayloads(p.topic, p.count, 4242 + i),
        ...oversizedPayloads(i % 10 === 0 ? 1 : 0),
      ];
      for (const { payload } of payloads) {
        // Only what the protocol refuses, so the counts below are exact.
        if (parseIncoming(p.topic, payload).ok) continue;
        messages.push({ topic: p.topic, payload });
        if (p.to === 'orchestrator') expected.orchestrator += 1;
        if (p.to === 'agent' && p.agent) {
          expected.agents.set(p.agent, (expected.agents.get(p.agent) ?? 0) + 1);
          expected.cmds.set(p.agent, (expected.cmds.get(p.agent) ?? 0) + 1);
        }
        if (p.to === 'agents')
          for (const id of AGENTS) expected.agents.set(id, (expected.agents.get(id) ?? 0) + 1);
      }
    }
    expect(messages.length).toBeGreaterThanOrEqual(10_000);

    const fuzzer: MqttClient = await connectAs(embedded.broker.url, {
      name: embedded.credentials.orchestrator.username,
      password: embedded.credentials.orchestrator.password,
      role: 'orchestrator',
      clientId: 'alicia-orchestrator-fuzz',
    });
    cleanup.push(() => fuzzer.endAsync(true));
    const baseline = { orchestrator: orchLog.rejected(), requests: { ...orchestrator.requestStats } };
    const connectsBefore = new Map(AGENTS.map((id) => [id, agents.get(id)?.connects()]));
    for (let i = 0; i < messages.length; i += 200) {
      await Promise.all(
        messages.slice(i, i + 200).map((m) => fuzzer.publishAsync(m.topic, m.payload, { qos: 1 })),
      );
    }

    const progress = () =>
      JSON.stringify({
        orchestrator: [orchLog.rejected() - baseline.orchestrator, expected.orchestrator],
        agents: AGENTS.map((id) => [
          agents.get(id)?.rejected(),
          expected.agents.get(id),
          agents.get(id)?.agent.stats.rejected,
        ]),
      });
    await until(
      () =>
        orchLog.rejected() - baseline.orchestrator >= expected.orchestrator &&
        AGENTS.every((id) => (agents.get(id)?.rejected() ?? 0) >= (expected.agents.get(id) ?? 0)),
      { what: progress, timeoutMs: 90_000 },
    );
    expect(orchLog.rejected() - baseline.orchestrator).toBe(expected.orchestrator);
    for (const id of AGENTS) {
      const entry = agents.get(id);
      if (entry?.connects() === connectsBefore.get(id)) {
        expect(entry?.rejected()).toBe(expected.agents.get(id));
        // Bad commands are also counted by the agent itself.
        expect(entry?.agent.stats.rejected).toBe(expected.cmds.get(id));
      } else {
        // The flood cost the agent its connection (keepalive on a starved machine): QoS 1 is
        // at least once, so the messages in flight then are delivered, and refused, again.
        expect(entry?.rejected()).toBeGreaterThanOrEqual(expected.agents.get(id) ?? 0);
        expect(entry?.agent.stats.rejected).toBeGreaterThanOrEqual(expected.cmds.get(id) ?? 0);
      }
      expect(entry?.agent.stats.commands).toBe(0);
    }
    // Every bad request was answered with an error or, without a usable reply_to, counted.
    const requestsSent = messages.filter((m) => m.topic.startsWith('alicia/orchestrator/request/')).length;
    await until(
      () =>
        orchestrator.requestStats.failed -
          baseline.requests.failed +
          orchestrator.requestStats.unanswerable -
          baseline.requests.unanswerable >=
        requestsSent,
      { what: () => JSON.stringify(orchestrator.requestStats), timeoutMs: 90_000 },
    );

    // Nothing started on Docker.
    for (const id of AGENTS) {
      expect(await docker.listContainers({ all: true, filters: { label: [`alicia.agent=${id}`] } })).toEqual(
        [],
      );
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

    // Still answering: the CLI's request client lists both agents online, and an agent
    // answers a valid resync.
    const cli = await connectClient({
      url: embedded.broker.url,
      username: embedded.credentials.operator.username,
      password: embedded.credentials.operator.password,
      prefix: 'alicia',
      source: 'flags',
    });
    cleanup.push(() => cli.close());
    const listed = JSON.stringify(await cli.request('agents', {}));
    for (const id of AGENTS) expect(listed).toContain(id);
    await fuzzer.subscribeAsync('alicia/agents/fuzz-a/response/resync', { qos: 1 });
    const answer = nextMessage(
      fuzzer,
      (t, p) => t.endsWith('/response/resync') && p.includes('"after-fuzz"'),
      15_000,
    );
    const now = Date.now();
    await fuzzer.publishAsync(
      'alicia/agents/fuzz-a/cmd/resync',
      JSON.stringify({
        v: 1,
        transaction: 'after-fuzz',
        issued_at: now,
        expires_at: now + 30_000,
        session: 1,
      }),
      { qos: 1 },
    );
    expect(JSON.parse((await answer).payload)).toMatchObject({ status: 'ok' });
  });
});
