// Needs Docker: real containers on the private engine, two real agents (in process, one
// engine, told apart by the alicia.agent label), an aedes broker on port 0, and the
// orchestrator as its own process (`node dist/src/cli/main.js orchestrator`, built by
// `npm run build`) so it can be killed with SIGKILL in the middle of a deploy, a scale up,
// a scale down and a down. After a restart on the same state dir each operation completes, the waiting CLI
// client (also the real CLI) is answered, and Docker holds exactly the desired containers:
// no duplicates, no orphans.
import { type ChildProcess, spawn } from 'node:child_process';
import * as await_fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, createDockerRuntime, startAgent } from '../../agents/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type AliciaEvent, EventSchema } from '../../src/protocol/index.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';

const STACK = 'e2ecrash';
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
const HEARTBEAT_MS = 200;

/** A layer: sleeps, healthy once its healthcheck ran; `slowStop` ignores SIGTERM (a 2 s grace). */
function layer(replicas: number, dependsOn: string | null, slowStop = false): string {
  const trap = slowStop ? "trap '' TERM" : "trap 'exit 0' TERM";
  return [
    '    image: alicia-test/busybox:latest',
    '    network_mode: host',
    `    command: ["sh", "-c", "${trap}; sleep 3600 & wait; sleep 3600"]`,
    '    stop_grace_period: 2s',
    '    healthcheck: { test: ["CMD", "true"], interval: 300ms, timeout: 1s, retries: 2 }',
    `    deploy: { replicas: ${replicas} }`,
    ...(dependsOn ? [`    depends_on: { ${dependsOn}: { condition: service_healthy } }`] : []),
  ].join('\n');
}

const YAML = [
  `name: ${STACK}`,
  'services:',
  '  l0:',
  layer(2, null, true),
  '  l1:',
  layer(2, 'l0', true),
  '  l2:',
  layer(1, 'l1', true),
  '  l3:',
  layer(2, 'l2', true),
  '',
].join('\n');
const DESIRED: Record<string, number> = { l0: 2, l1: 2, l2: 1, l3: 2 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dir = '';
let broker: EmbeddedBroker | null = null;
const agents: Agent[] = [];
const children: ChildProcess[] = [];
let events: mqtt.MqttClient | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-crash-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await events?.endAsync().catch(() => undefined);
  events = null;
  for (const a of agents.splice(0)) await a.close().catch(() => undefined);
  await broker?.close();
  broker = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
  await rm(dir, { recursive: true, force: true });
});

function spawnCli(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  if (process.env.ALICIA_CRASH_LOG && args[0] !== 'orchestrator') {
    const { createWriteStream } = await_fs;
    const out = createWriteStream(`${process.env.ALICIA_CRASH_LOG}.${args[0]}.${child.pid}`);
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
  }
  const done = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

let lastOnline: { state: string; session: number } | null = null;

/** The orchestrator as its own process on the test's state dir; resolves once it announced a new session. */
async function startOrchestratorProcess(): Promise<ChildProcess> {
  const before = lastOnline?.session ?? -1;
  const { child } = spawnCli([
    'orchestrator',
    '--broker',
    broker?.url ?? '',
    '--state-dir',
    path.join(dir, 'orchestrator'),
    '--heartbeat-ms',
    String(HEARTBEAT_MS),
    '--log-level',
    process.env.ALICIA_CRASH_LOG ? 'debug' : 'warn',
  ]);
  if (process.env.ALICIA_CRASH_LOG) {
    const { createWriteStream } = await import('node:fs');
    const out = createWriteStream(`${process.env.ALICIA_CRASH_LOG}.${child.pid}`);
    child.stderr?.pipe(out);
  }
  await until(() => lastOnline?.state === 'online' && lastOnline.session > before, {
    timeoutMs: 30_000,
    what: 'orchestrator online',
  });
  return child;
}

/** Every event on alicia/services/events and the orchestrator's presence, seen by a plain MQTT client. */
async function watch(url: string, seen: AliciaEvent[]): Promise<void> {
  events = await mqtt.connectAsync(url, { clientId: `crash-watch-${process.pid}` });
  events.on('message', (topic, payload) => {
    const json = JSON.parse(payload.toString()) as unknown;
    if (topic === 'alicia/orchestrator/state') lastOnline = json as { state: string; session: number };
    else seen.push(EventSchema.parse(json));
  });
  await events.subscribeAsync(['alicia/services/events', 'alicia/orchestrator/state'], { qos: 1 });
}

async function startAgents(url: string): Promise<void> {
  for (const id of ['crash-a', 'crash-b']) {
    agents.push(
      await startAgent({
        id,
        brokerUrl: url,
        stateDir: path.join(dir, `agent-${id}`),
        heartbeatMs: HEARTBEAT_MS,
        labels: {},
        hostname: id,
        runtime: createDockerRuntime({ log: silentLogger() }),
        log: silentLogger(),
      }),
    );
  }
}

/** The stack's containers on Docker: per service the running ones; throws on a duplicate instance. */
async function onDocker(d: Docker): Promise<{ running: Record<string, number>; total: number }> {
  const list = await d.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } });
  const instances = list.map((c) => c.Labels['alicia.instance']);
  expect(new Set(instances).size, 'one container per instance').toBe(instances.length);
  const running: Record<string, number> = {};
  for (const c of [...list].sort((a, b) =>
    (a.Labels['alicia.service'] ?? '').localeCompare(b.Labels['alicia.service'] ?? ''),
  )) {
    if (c.State !== 'running') continue;
    const s = c.Labels['alicia.service'] ?? '?';
    running[s] = (running[s] ?? 0) + 1;
  }
  return { running, total: list.length };
}

const waitForEvent = (seen: AliciaEvent[], match: (e: AliciaEvent) => boolean, what: string) =>
  until(() => seen.some(match), { timeoutMs: 60_000, what });

describe('e2e: kill -9 of the orchestrator in the middle of an operation', () => {
  it('deploy, scale up, scale down and down each resume after a restart: the CLI is answered, 0 duplicates, 0 orphans', async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    const seen: AliciaEvent[] = [];
    await watch(broker.url, seen);
    await startAgents(broker.url);
    let orchestrator = await startOrchestratorProcess();
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, YAML);

    // 1. Deploy: killed once the second layer is starting; layers 2-3 come from the resume.
    const t0 = Date.now();
    const up = spawnCli(['up', '-f', file, '--broker', broker.url, '--timeout', '120']);
    await waitForEvent(
      seen,
      (e) => e.event_type === 'service_starting' && e.event_data.service === 'l1',
      'l1 starting',
    );
    orchestrator.kill('SIGKILL');
    const firstSession = seen.at(-1)?.session ?? -1;
    const lastSeq = Math.max(...seen.map((e) => e.seq));
    expect((await onDocker(docker)).running.l3 ?? 0, 'killed before the last layer').toBe(0);
    orchestrator = await startOrchestratorProcess();
    const upRun = await up.done;
    expect(upRun.code, upRun.stdout + upRun.stderr).toBe(0);
    console.log(`deploy with a kill -9 in the middle: up --broker answered after ${Date.now() - t0} ms`);
    expect(upRun.stdout).toMatch(/waiting for it to resume the deploy/);
    expect(upRun.stdout).toMatch(/Stack e2ecrash is up/);
    await until(async () => JSON.stringify((await onDocker(docker)).running) === JSON.stringify(DESIRED), {
      timeoutMs: 30_000,
      what: 'desired containers running',
    });
    expect((await onDocker(docker)).total, 'no orphans').toBe(7);
    // The resumed deploy says so with the same deploy id; seq continued above the old run's.
    const resumed = seen.filter((e) => e.event_type === 'deploy_completed' && e.session > firstSession);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    const after = seen.filter((e) => e.session > firstSession);
    expect(Math.min(...after.map((e) => e.seq))).toBeGreaterThan(lastSeq);

    // 2. Scale l3 2 -> 4: killed once the scale is under way.
    const scale = spawnCli(['scale', 'l3=4', '--broker', broker.url]);
    await waitForEvent(
      seen,
      (e) =>
        e.event_type === 'service_starting' && e.event_data.service === 'l3' && e.event_data.replicas === 4,
      'l3 scaling',
    );
    orchestrator.kill('SIGKILL');
    orchestrator = await startOrchestratorProcess();
    const scaleRun = await scale.done;
    expect(scaleRun.code, scaleRun.stdout + scaleRun.stderr).toBe(0);
    await until(async () => (await onDocker(docker)).running.l3 === 4, {
      timeoutMs: 30_000,
      what: 'l3 at 4 replicas',
    });
    expect((await onDocker(docker)).total, 'no orphans after the scale').toBe(9);

    // 3. Scale l3 4 -> 1: killed while the surplus replicas stop (they ignore SIGTERM for 2 s).
    // A scale down emits nothing until it is done: Docker's own events say it is under way.
    const stream = await docker.getEvents({
      filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=l3'], event: ['kill'] },
    });
    const killing = new Promise<void>((resolve) => stream.once('data', () => resolve()));
    const shrink = spawnCli(['scale', 'l3=1', '--broker', broker.url]);
    await killing;
    (stream as unknown as { destroy(): void }).destroy();
    orchestrator.kill('SIGKILL');
    expect((await onDocker(docker)).total, 'killed before the surplus was removed').toBeGreaterThan(6);
    orchestrator = await startOrchestratorProcess();
    const shrinkRun = await shrink.done;
    expect(shrinkRun.code, shrinkRun.stdout + shrinkRun.stderr).toBe(0);
    await until(async () => (await onDocker(docker)).total === 6, {
      timeoutMs: 30_000,
      what: 'l3 down to 1 replica, surplus removed',
    });
    expect((await onDocker(docker)).running).toEqual({ ...DESIRED, l3: 1 });

    // 4. Down: killed while the first layer is being removed (its containers ignore SIGTERM for 2 s).
    const down = spawnCli(['down', '-p', STACK, '--broker', broker.url]);
    await waitForEvent(
      seen,
      (e) => e.event_type === 'service_stopping' && e.event_data.stack === STACK,
      'down under way',
    );
    orchestrator.kill('SIGKILL');
    orchestrator = await startOrchestratorProcess();
    const downRun = await down.done;
    expect(downRun.code, downRun.stdout + downRun.stderr).toBe(0);
    expect((await onDocker(docker)).total, 'everything removed').toBe(0);
    await waitForEvent(
      seen,
      (e) => e.event_type === 'stack_removed' && e.event_data.stack === STACK,
      'stack_removed',
    );
    orchestrator.kill('SIGTERM');
  }, 240_000);
});
