// Needs Docker and Debian's Mosquitto 2.0 (shipped conf and ACL, see mosquitto-harness.ts).
// 1. The shipped conf's persistence (`persistence true`): a retained message and a QoS 1
//    message queued for a persistent session both survive a restart of mosquitto.
// 2. The whole system (orchestrator and two real agents in process, containers on the private
//    engine, `alicia events` as real CLI processes) with mosquitto down for five heartbeat
//    TTLs: everything reconnects, no agent is declared lost (the orchestrator was the one cut
//    off), a request right after is answered, `ps` agrees with Docker, a follower that ran
//    throughout reports no gap, and one that was away gets what was queued for it before the
//    restart. Labels: alicia.stack=mosqrestart.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { type Mosquitto, startMosquitto } from './mosquitto-harness.js';
import { stackFrom } from './orchestrator-harness.js';

const STACK = 'mosqrestart';
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const docker = testDocker();
const HEARTBEAT_MS = 200; // TTL 600 ms
const USERS = {
  orchestrator: { name: 'orchestrator', password: 'mr-orchestrator-pw' },
  operator: { name: 'operator', password: 'mr-operator-pw' },
  a: { name: 'mr-a', password: 'mr-a-pw' },
  b: { name: 'mr-b', password: 'mr-b-pw' },
};
const JUDGEMENTS = ['agent_lost', 'agent_offline', 'service_rescheduled', 'orchestration_error'];
const cleanup: (() => Promise<void>)[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-mosqrestart-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `alicia events --json --client-id` as the operator, as its own process. */
function follow(url: string, clientId: string, home: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      CLI,
      'events',
      '--json',
      '--broker',
      url,
      '--username',
      USERS.operator.name,
      '--password',
      USERS.operator.password,
      '--client-id',
      clientId,
    ],
    { env: { ...process.env, ALICIA_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const out = { child, events: [] as AliciaEvent[], stderr: '' };
  let buffer = '';
  child.stdout?.on('data', (c: Buffer) => {
    buffer += c.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) if (line !== '') out.events.push(JSON.parse(line) as AliciaEvent);
  });
  child.stderr?.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  return out;
}

describe('Mosquitto restarts', () => {
  it('keeps retained messages and the QoS 1 queue of a persistent session across a restart', async () => {
    const mosquitto: Mosquitto = await startMosquitto({ users: Object.values(USERS) });
    cleanup.push(() => mosquitto.close());
    const auth = (u: { name: string; password: string }) => ({ username: u.name, password: u.password });
    // A persistent session (MQTT 5, session never expires) subscribes, then goes away.
    const sub = { clientId: 'mr-persistent', clean: false, protocolVersion: 5 as const };
    const away = await mqtt.connectAsync(mosquitto.url, {
      ...sub,
      ...auth(USERS.operator),
      properties: { sessionExpiryInterval: 0xffff_ffff },
    });
    await away.subscribeAsync('alicia/services/events', { qos: 1 });
    await away.endAsync();
    const writer = await mqtt.connectAsync(mosquitto.url, {
      ...auth(USERS.orchestrator),
      clientId: 'mr-writer',
    });
    await writer.publishAsync('alicia/orchestrator/health', '{"retained":true}', { qos: 1, retain: true });
    await writer.publishAsync('alicia/services/events', '{"queued":true}', { qos: 1 });
    await writer.endAsync();

    await mosquitto.restart(1_000);

    // The handler is on before the CONNACK: queued messages follow it at once.
    const got: string[] = [];
    const back = mqtt.connect(mosquitto.url, {
      ...sub,
      ...auth(USERS.operator),
      properties: { sessionExpiryInterval: 0xffff_ffff },
    });
    cleanup.push(() => back.endAsync());
    back.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    // The session and its subscription came back from disk: the queued message arrives
    // without subscribing again; the retained one on a fresh subscription.
    await until(() => got.includes('alicia/services/events {"queued":true}'), {
      timeoutMs: 10_000,
      what: 'the queued QoS 1 message',
    });
    await back.subscribeAsync('alicia/orchestrator/health', { qos: 1 });
    await until(() => got.includes('alicia/orchestrator/health {"retained":true}'), {
      timeoutMs: 10_000,
      what: 'the retained message',
    });
  }, 60_000);

  it('down for five TTLs: all reconnect, nobody lost, requests answered, ps agrees, events without a silent gap', async () => {
    const mosquitto: Mosquitto = await startMosquitto({ users: Object.values(USERS) });
    cleanup.push(() => mosquitto.close());
    const orchestrator: Orchestrator = await startOrchestrator({
      brokerUrl: mosquitto.url,
      ...{ username: USERS.orchestrator.name, password: USERS.orchestrator.password },
      stateDir: await tmp(),
      heartbeatMs: HEARTBEAT_MS,
      log: silentLogger(),
    });
    cleanup.push(() => orchestrator.close());
    const seen: AliciaEvent[] = [];
    orchestrator.events.onEvent((e) => seen.push(e));
    const agents: Agent[] = [];
    for (const user of [USERS.a, USERS.b]) {
      const agent = await startAgent({
        id: user.name,
        brokerUrl: mosquitto.url,
        username: user.name,
        password: user.password,
        labels: {},
        stateDir: await tmp(),
        heartbeatMs: HEARTBEAT_MS,
        log: silentLogger(),
      });
      agents.push(agent);
      cleanup.push(() => agent.close());
    }
    await orchestrator.waitForAgents(2, 20_000);
    const yaml = [
      'services:',
      '  app:',
      '    image: alicia-test/busybox:latest',
      '    network_mode: none',
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
      '    deploy: { replicas: 2 }',
      '',
    ].join('\n');
    await orchestrator.deploy(stackFrom(yaml, STACK));
    const home = await tmp();

    // A follower that runs throughout, and one that is away during the restart.
    const throughout = follow(mosquitto.url, 'mr-throughout', home);
    const away = follow(mosquitto.url, 'mr-away', home);
    await until(
      async () => {
        await orchestrator.restart('app', STACK);
        return [throughout, away].every((f) => f.events.some((e) => e.event_type === 'service_restarted'));
      },
      { everyMs: 500, timeoutMs: 20_000, what: 'both followers subscribed' },
    );
    away.child.kill('SIGKILL');
    await new Promise((resolve) => away.child.once('exit', resolve));
    const missedFrom = seen.length;
    await orchestrator.restart('app', STACK);
    const missed = seen.slice(missedFrom).map((e) => e.id);
    expect(missed.length).toBeGreaterThan(0);
    // Published and acknowledged (QoS 1) before the broker goes down.
    await orchestrator.events.flush();

    const before = seen.length;
    const t0 = Date.now();
    await mosquitto.restart(5 * 3 * HEARTBEAT_MS);
    const client = await (await import('../../src/cli/client.js')).connectClient({
      url: mosquitto.url,
      prefix: 'alicia',
      source: 'none',
      username: USERS.operator.name,
      password: USERS.operator.password,
    });
    cleanup.push(() => client.close());
    const rows = await until(
      async () => {
        const reply = await client.request('agents', {}, { timeoutMs: 5_000 }).catch(() => null);
        return reply?.agents.length === 2 && reply.agents.every((a) => a.status === 'online') ? reply : null;
      },
      { timeoutMs: 30_000, what: 'both agents online again' },
    );
    console.log(
      `mosquitto down ${5 * 3 * HEARTBEAT_MS} ms: agents answered online ${Date.now() - t0} ms after the stop`,
    );
    expect(rows.agents.map((a) => a.agent).sort()).toEqual(['mr-a', 'mr-b']);
    // Two more TTLs of fresh sight: nobody judged.
    await sleep(6 * HEARTBEAT_MS);
    expect(
      seen
        .slice(before)
        .filter((e) => JUDGEMENTS.includes(e.event_type))
        .map((e) => e.event_type),
    ).toEqual([]);

    // ps agrees with Docker.
    const ps = await client.request('ps', { stack: STACK });
    const onDocker = await docker.listContainers({ filters: { label: [`alicia.stack=${STACK}`] } });
    expect(ps.services.reduce((n, s) => n + s.running_replicas, 0)).toBe(onDocker.length);
    expect(onDocker.length).toBe(2);

    // After the broker is back: the follower that ran throughout sees new events, no gap;
    // the one that was away gets what was queued for it before the restart.
    await orchestrator.restart('app', STACK);
    const last = seen.at(-1)?.id;
    await until(() => throughout.events.some((e) => e.id === last), {
      timeoutMs: 15_000,
      what: 'the follower that ran throughout sees the new event',
    });
    expect(throughout.stderr).not.toMatch(/lost/);
    const again = follow(mosquitto.url, 'mr-away', home);
    await until(() => missed.every((id) => again.events.some((e) => e.id === id)), {
      timeoutMs: 15_000,
      what: 'the queued events, across the restart',
    });
  }, 120_000);
});
