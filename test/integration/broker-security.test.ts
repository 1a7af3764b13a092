// Users, roles and refusals on the embedded broker (aedes, port 0) seen from real clients:
// MQTT.js, and Debian's mosquitto_sub / mosquitto_pub.
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  startEmbeddedBroker,
} from '../../broker/embedded.js';
import { hashPassword } from '../../broker/users.js';
import type { Logger } from '../../src/logging/logger.js';
import {
  connectAs,
  MATRIX_USERS,
  type MatrixUser,
  nextMessage,
  OTHER_AGENT,
  subscribeGranted,
  tryConnect,
} from '../helpers/acl-matrix.js';
import { mosquittoSubOnce } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

const FAST = { N: 1024, r: 8, p: 1 };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

interface LogLine {
  msg: string;
  [key: string]: unknown;
}

function captureLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as LogLine);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

async function secured(extra: Partial<EmbeddedBrokerOptions> = {}): Promise<EmbeddedBroker> {
  const users = await Promise.all(
    [...Object.values(MATRIX_USERS), OTHER_AGENT].map(async (u) => ({
      name: u.name,
      role: u.role,
      password_hash: await hashPassword(u.password, FAST),
    })),
  );
  const broker = await startEmbeddedBroker({ port: 0, security: { users }, ...extra });
  open.push(broker);
  return broker;
}

async function client(url: string, user: MatrixUser | null, clientId?: string): Promise<MqttClient> {
  const c = await connectAs(url, user, clientId ? { clientId } : {});
  open.push({ close: () => c.endAsync(true) });
  return c;
}

describe('embedded broker: authentication', () => {
  it('answers a bad password or an unknown user with CONNACK 4, counted and logged without the password', async () => {
    const { log, lines } = captureLogger();
    const broker = await secured({ log });
    const bad = await tryConnect(broker.url, { username: 'operator', password: 'wrong-pw', clientId: 'x1' });
    expect(bad.returnCode).toBe(4);
    const unknown = await tryConnect(broker.url, { username: 'mallory', password: 'pw', clientId: 'x2' });
    expect(unknown.returnCode).toBe(4);
    expect(broker.stats.refused.connect).toBe(2);
    const refusals = lines.filter((l) => l.msg === 'refused connect');
    expect(refusals.map((l) => [l.user, l.clientId, l.returnCode])).toEqual([
      ['operator', 'x1', 4],
      ['mallory', 'x2', 4],
    ]);
    expect(JSON.stringify(lines)).not.toContain('wrong-pw');
  });

  it('refuses anonymous clients (CONNACK 5) on a broker that listens beyond loopback, and says so at start', async () => {
    const { log, lines } = captureLogger();
    // 0.0.0.0 is every address; the test still connects over 127.0.0.1 only.
    const broker = await secured({ host: '0.0.0.0', log });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    expect((await tryConnect(url, { clientId: 'anon' })).returnCode).toBe(5);
    expect(lines.find((l) => l.msg.startsWith('broker listening'))?.msg).toBe(
      'broker listening; anonymous clients are refused',
    );
    // Users still get in.
    expect((await tryConnect(url, { username: 'operator', password: 'operator-secret' })).returnCode).toBe(0);
    (await tryConnect(url, { username: 'operator', password: 'operator-secret' })).client?.end(true);
  });

  it('lets anonymous loopback clients read services with mosquitto_sub, and nothing else', async () => {
    const broker = await secured();
    const orchestrator = await client(broker.url, MATRIX_USERS.orchestrator);
    const sub = mosquittoSubOnce(broker.port, 'alicia/services/events', {
      verbose: true,
      waitS: 10,
      timeoutMs: 15_000,
    });
    // Publish until the subscriber is in: mosquitto_sub's subscribe is not observable otherwise.
    const event = JSON.stringify({ event_type: 'service_started' });
    const pump = setInterval(
      () => void orchestrator.publishAsync('alicia/services/events', event, { qos: 1 }),
      50,
    );
    try {
      expect(await sub).toEqual([`alicia/services/events ${event}`]);
    } finally {
      clearInterval(pump);
    }
    // An anonymous viewer may not subscribe to commands (SUBACK 0x80) nor publish a request.
    const anonymous = await client(broker.url, null, 'dashboard');
    expect(await subscribeGranted(anonymous, 'alicia/agents/pi-1/cmd/+', 1)).toBe(128);
    await orchestrator.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
    const refused = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-q',
      '1',
      '-t',
      'alicia/orchestrator/request/down',
      '-m',
      'x',
    ]).then(
      () => 'exited 0',
      () => 'failed',
    );
    const seen = nextMessage(orchestrator, (t) => t.startsWith('alicia/orchestrator/request/'));
    await orchestrator.publishAsync('alicia/orchestrator/request/sentinel', 's', { qos: 1 });
    expect((await seen).topic).toBe('alicia/orchestrator/request/sentinel');
    expect(broker.stats.refused.publish).toBe(1);
    expect(['exited 0', 'failed']).toContain(refused);
  });
});

describe('embedded broker: identities', () => {
  it('pins agents to client id alicia-agent-<id> and keeps that id from everyone else (CONNACK 2)', async () => {
    const broker = await secured();
    const pi1 = MATRIX_USERS.agent;
    expect(
      (await tryConnect(broker.url, { username: pi1.name, password: pi1.password, clientId: 'pi-1' }))
        .returnCode,
    ).toBe(2);
    expect(
      (
        await tryConnect(broker.url, {
          username: pi1.name,
          password: pi1.password,
          clientId: 'alicia-agent-pi-2',
        })
      ).returnCode,
    ).toBe(2);
    const op = MATRIX_USERS.operator;
    expect(
      (
        await tryConnect(broker.url, {
          username: op.name,
          password: op.password,
          clientId: 'alicia-agent-pi-1',
        })
      ).returnCode,
    ).toBe(2);
    const agent = await client(broker.url, pi1);
    expect(broker.identityOf('alicia-agent-pi-1')).toEqual({ user: 'pi-1', role: 'agent' });
    expect(agent.connected).toBe(true);
  });

  it('checks wills at connect (CONNACK 5 for a will on another agent) and publishes an allowed one', async () => {
    const broker = await secured();
    const pi1 = MATRIX_USERS.agent;
    const impostor = await tryConnect(broker.url, {
      username: pi1.name,
      password: pi1.password,
      clientId: pi1.clientId,
      will: { topic: 'alicia/agents/pi-2/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    expect(impostor.returnCode).toBe(5);
    const viewer = await client(broker.url, MATRIX_USERS.viewer);
    await viewer.subscribeAsync('alicia/agents/+/state', { qos: 1 });
    const honest = await tryConnect(broker.url, {
      username: pi1.name,
      password: pi1.password,
      clientId: pi1.clientId,
      will: { topic: 'alicia/agents/pi-1/state', payload: Buffer.from('offline-7'), qos: 1, retain: true },
    });
    expect(honest.returnCode).toBe(0);
    const will = nextMessage(viewer, (t) => t === 'alicia/agents/pi-1/state');
    // [MQTT-3.1.2-8] the will goes out when the connection dies without DISCONNECT.
    expect(broker.dropClient(pi1.clientId)).toBe(true);
    expect(await will).toEqual({ topic: 'alicia/agents/pi-1/state', payload: 'offline-7' });
  });
});

describe('embedded broker: refusals seen by mosquitto_pub', () => {
  it('does not deliver an agent publishing to another agent cmd/start, nor a viewer publishing a request', async () => {
    const { log, lines } = captureLogger();
    const broker = await secured({ log });
    const pi2 = await client(broker.url, OTHER_AGENT);
    await pi2.subscribeAsync('alicia/agents/pi-2/cmd/+', { qos: 1 });
    await pi2.subscribeAsync('alicia/orchestrator/state', { qos: 1 });
    const orchestrator = await client(broker.url, MATRIX_USERS.orchestrator);
    await orchestrator.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
    const port = String(broker.port);
    const pi1 = MATRIX_USERS.agent;
    const viewer = MATRIX_USERS.viewer;
    const received: string[] = [];
    pi2.on('message', (t) => received.push(t));
    orchestrator.on('message', (t) => received.push(t));
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-q',
      '1',
      '-i',
      pi1.clientId,
      '-u',
      pi1.name,
      '-P',
      pi1.password,
      '-t',
      'alicia/agents/pi-2/cmd/start',
      '-m',
      '{"instances":[]}',
    ]).catch(() => undefined);
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-q',
      '1',
      '-u',
      viewer.name,
      '-P',
      viewer.password,
      '-t',
      'alicia/orchestrator/request/down',
      '-m',
      '{}',
    ]).catch(() => undefined);
    // Sentinels after the refused publishes: both subscribers get theirs, and nothing else.
    const s1 = nextMessage(pi2, (t) => t === 'alicia/orchestrator/state');
    const s2 = nextMessage(orchestrator, (t) => t === 'alicia/orchestrator/request/sentinel');
    await orchestrator.publishAsync('alicia/orchestrator/state', 'sentinel', { qos: 1 });
    await orchestrator.publishAsync('alicia/orchestrator/request/sentinel', 'sentinel', { qos: 1 });
    await Promise.all([s1, s2]);
    // Two subscribers: their deliveries interleave in any order.
    expect(received.sort()).toEqual(['alicia/orchestrator/request/sentinel', 'alicia/orchestrator/state']);
    expect(broker.stats.refused.publish).toBe(2);
    const refusals = lines.filter((l) => l.msg === 'refused publish');
    expect(refusals).toEqual([
      expect.objectContaining({
        user: 'pi-1',
        clientId: 'alicia-agent-pi-1',
        topic: 'alicia/agents/pi-2/cmd/start',
        reason: expect.stringContaining('only its own alicia/agents/pi-1/'),
      }),
      expect.objectContaining({
        user: 'dashboard',
        topic: 'alicia/orchestrator/request/down',
        reason: 'viewer publishes nothing',
      }),
    ]);
  });

  it('holds back retained messages a viewer may not read when it subscribes to alicia/#', async () => {
    const broker = await secured();
    const orchestrator = await client(broker.url, MATRIX_USERS.orchestrator);
    await orchestrator.publishAsync('alicia/agents/pi-1/state', 'online', { qos: 1, retain: true });
    await orchestrator.publishAsync('alicia/clients/cli-1/reply', 'secret reply', { qos: 1, retain: true });
    await orchestrator.publishAsync('alicia/stacks/demo/services/web/state', 'running', {
      qos: 1,
      retain: true,
    });
    const viewer = await client(broker.url, MATRIX_USERS.viewer);
    const got: string[] = [];
    viewer.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
    expect(await subscribeGranted(viewer, 'alicia/#', 1)).toBe(1);
    // Retained messages stream in after the SUBACK in no set order: wait until the two
    // readable ones arrived and the reply was held back (counted), then check nothing else came.
    await until(() => got.length >= 2 && broker.stats.filtered >= 1, {
      what: 'two retained messages and one filtered',
      timeoutMs: 5_000,
    });
    const sentinel = nextMessage(viewer, (t, p) => t === 'alicia/services/events' && p === 'sentinel');
    await orchestrator.publishAsync('alicia/services/events', 'sentinel', { qos: 1 });
    await sentinel;
    expect(got.sort()).toEqual([
      'alicia/agents/pi-1/state online',
      'alicia/services/events sentinel',
      'alicia/stacks/demo/services/web/state running',
    ]);
    expect(broker.stats.filtered).toBeGreaterThanOrEqual(1);
  });
});
