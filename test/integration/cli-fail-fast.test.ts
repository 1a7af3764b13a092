// Requests fail fast and say why: the client reads the orchestrator's retained presence
// before sending, so a request with no orchestrator online fails at once (the real CLI
// process against an aedes broker on port 0 with no orchestrator), an orchestrator that
// leaves while a request waits fails it at once, and a reply that does not match its
// method's schema is an error naming the method.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { type Client, connectClient } from '../../src/cli/client.js';
import { runAlicia } from '../helpers/cli.js';

const brokers: EmbeddedBroker[] = [];
const clients: Client[] = [];
const raw: mqtt.MqttClient[] = [];
const children: ChildProcess[] = [];
let dir: string | null = null;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  for (const c of raw.splice(0)) await c.endAsync().catch(() => undefined);
  for (const b of brokers.splice(0)) await b.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

async function broker(): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ port: 0 });
  brokers.push(b);
  return b;
}

async function rawClient(url: string, clientId: string): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 4, clientId });
  raw.push(c);
  return c;
}

function presence(state: 'online' | 'offline', session: number): string {
  return JSON.stringify({ v: 1, state, session, ts: Date.now(), version: '0.1.0' });
}

async function client(url: string): Promise<Client> {
  const c = await connectClient({ url, prefix: 'alicia', source: 'none' }, { presenceWaitMs: 500 });
  clients.push(c);
  return c;
}

function alicia(args: string[], env: NodeJS.ProcessEnv) {
  return runAlicia(args, { env, onSpawn: (child) => children.push(child) });
}

describe('requests fail fast and say why', () => {
  it('alicia down --broker with no orchestrator ever started fails within seconds, naming the broker', async () => {
    const b = await broker();
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-fast-'));
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const started = Date.now();
    const down = await alicia(['down', '-p', 'x', '--broker', b.url], env);
    const elapsed = Date.now() - started;
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `alicia: ALICIA_ERR_ORCHESTRATOR_OFFLINE: No orchestrator is online: on ${b.url} (none has announced itself there); down was not sent\n`,
    );
    // Node start-up plus at most the ~1.5 s presence wait; it used to wait 300 s in silence.
    expect(elapsed).toBeLessThan(5_000);
  });

  it('alicia up --broker with no orchestrator online deploys nothing and says so before its header', async () => {
    const b = await broker();
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-fast-'));
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, 'name: fast\nservices:\n  s:\n    image: alicia-test/busybox:latest\n');
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const started = Date.now();
    const up = await alicia(['up', '-f', file, '--broker', b.url], env);
    expect(up.code).toBe(1);
    expect(up.stdout).toBe('');
    expect(up.stderr).toBe(
      `alicia: ALICIA_ERR_ORCHESTRATOR_OFFLINE: No orchestrator is online: on ${b.url} (none has announced itself there); deploy was not sent\n`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails a waiting request at once when the orchestrator goes offline, ignoring a late will of an older session', async () => {
    const b = await broker();
    const orch = await rawClient(b.url, 'fake-orchestrator');
    await orch.publishAsync('alicia/orchestrator/state', presence('online', 5), { qos: 1, retain: true });
    await orch.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
    const requests: string[] = [];
    const seen = new Promise<void>((resolve) => {
      orch.on('message', (topic) => {
        requests.push(topic);
        resolve();
      });
    });
    const c = await client(b.url);
    const waiting = c.request('ps', {}, { timeoutMs: 20_000 });
    const outcome = waiting.then(
      () => null,
      (err: unknown) => err,
    );
    await seen;
    expect(requests).toEqual(['alicia/orchestrator/request/ps']);
    // A will from session 4 arriving late says nothing about session 5.
    await orch.publishAsync('alicia/orchestrator/state', presence('offline', 4), { qos: 1, retain: true });
    // Session 5 leaves: the request is failed now, not after its 20 s timeout.
    const left = Date.now();
    await orch.publishAsync('alicia/orchestrator/state', presence('offline', 5), { qos: 1, retain: true });
    expect(await outcome).toMatchObject({
      code: 'ALICIA_ERR_ORCHESTRATOR_OFFLINE',
      message: expect.stringContaining(
        `the orchestrator on ${b.url} went offline (session 5) while ps waited`,
      ),
    });
    expect(Date.now() - left).toBeLessThan(2_000);
    // And the next request is not sent at all.
    await expect(c.request('agents', {})).rejects.toMatchObject({
      code: 'ALICIA_ERR_ORCHESTRATOR_OFFLINE',
      message: expect.stringMatching(/\(last seen \S+Z, \d+ s ago, session 5\); agents was not sent$/),
    });
    expect(requests).toEqual(['alicia/orchestrator/request/ps']);
  });

  it('refuses a reply that does not match its method, naming the method', async () => {
    const b = await broker();
    const orch = await rawClient(b.url, 'fake-orchestrator');
    await orch.publishAsync('alicia/orchestrator/state', presence('online', 1), { qos: 1, retain: true });
    await orch.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
    orch.on('message', (_topic, payload) => {
      const request = JSON.parse(payload.toString()) as { transaction: string; reply_to: string };
      // An older orchestrator's shape: replicas as text.
      void orch.publishAsync(
        request.reply_to,
        JSON.stringify({
          v: 1,
          transaction: request.transaction,
          status: 'ok',
          data: { stack: 'shop', service: 'web', from: '1', to: 2, direction: 'up', instances: [] },
        }),
        { qos: 1 },
      );
    });
    const c = await client(b.url);
    await expect(c.request('scale', { service: 'web', replicas: 2 })).rejects.toMatchObject({
      code: 'ALICIA_ERR_PAYLOAD_SCHEMA',
      message: expect.stringMatching(/the reply to scale does not match its schema .*from/),
    });
  });
});
