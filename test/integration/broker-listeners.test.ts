// The embedded broker's listeners and limits with real clients: TLS with a CA made by
// openssl at test time (server cert for 127.0.0.1), client certificates, MQTT over
// WebSocket, the max packet size (over TCP and WebSocket) and the connect timeout.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  startEmbeddedBroker,
} from '../../broker/embedded.js';
import { hashPassword } from '../../broker/users.js';
import { usePkiPerFile } from '../fixtures/tls/make-certs.js';
import { connectAs, MATRIX_USERS, nextMessage, tryConnect } from '../helpers/acl-matrix.js';
import { until } from '../helpers/wait.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const certs = usePkiPerFile('tls');

async function secured(extra: Partial<EmbeddedBrokerOptions>): Promise<EmbeddedBroker> {
  const users = await Promise.all(
    Object.values(MATRIX_USERS).map(async (u) => ({
      name: u.name,
      role: u.role,
      password_hash: await hashPassword(u.password, { N: 1024, r: 8, p: 1 }),
    })),
  );
  const broker = await startEmbeddedBroker({ port: 0, security: { users }, ...extra });
  open.push(broker);
  return broker;
}

async function keep(client: MqttClient): Promise<MqttClient> {
  open.push({ close: () => client.endAsync(true) });
  return client;
}

/** The operator subscribes, the orchestrator publishes: proves a listener carries MQTT both ways. */
async function roundTrip(url: string, options: IClientOptions): Promise<void> {
  const op = await keep(await connectAs(url, MATRIX_USERS.operator, options));
  await op.subscribeAsync('alicia/services/events', { qos: 1 });
  const orch = await keep(await connectAs(url, { ...MATRIX_USERS.orchestrator }, options));
  const got = nextMessage(op, (t) => t === 'alicia/services/events');
  await orch.publishAsync('alicia/services/events', 'hello', { qos: 1 });
  expect((await got).payload).toBe('hello');
}

describe('TLS listener', () => {
  it('accepts a client that trusts the CA and refuses one that does not', async () => {
    const broker = await secured({
      tls: { port: 0, cert: await readFile(certs.pki.serverCert), key: await readFile(certs.pki.serverKey) },
    });
    const tls = broker.tls;
    expect(tls?.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    await roundTrip(tls?.url ?? '', { ca: await readFile(certs.pki.ca) });

    const untrusting = await tryConnect(tls?.url ?? '', {
      username: 'operator',
      password: 'operator-secret',
      clientId: 'no-ca',
      ca: await readFile(certs.pki.otherCa),
    });
    expect(untrusting.client).toBeNull();
    const noCa = await tryConnect(tls?.url ?? '', {
      username: 'operator',
      password: 'operator-secret',
      clientId: 'no-ca',
    });
    expect(noCa.client).toBeNull();
    await until(() => broker.stats.refused.tls >= 2, {
      what: 'two refused TLS handshakes',
      timeoutMs: 5_000,
    });
  });

  it('requires a client certificate signed by the CA when asked to', async () => {
    const broker = await secured({
      tls: {
        port: 0,
        cert: await readFile(certs.pki.serverCert),
        key: await readFile(certs.pki.serverKey),
        ca: await readFile(certs.pki.ca),
        requireClientCert: true,
      },
    });
    const url = broker.tls?.url ?? '';
    const ca = await readFile(certs.pki.ca);
    await roundTrip(url, {
      ca,
      cert: await readFile(certs.pki.clientCert),
      key: await readFile(certs.pki.clientKey),
    });
    const without = await tryConnect(url, {
      username: 'operator',
      password: 'operator-secret',
      clientId: 'nocert',
      ca,
    });
    expect(without.client).toBeNull();
    await until(() => broker.stats.refused.tls >= 1, { what: 'a refused TLS handshake', timeoutMs: 5_000 });
  });

  it('the transport adapter connects over TLS with the CA file', async () => {
    const { createMqttTransport } = await import('../../src/transport/index.js');
    const { silentLogger } = await import('../../src/logging/logger.js');
    const broker = await secured({
      tls: { port: 0, cert: await readFile(certs.pki.serverCert), key: await readFile(certs.pki.serverKey) },
    });
    const transport = createMqttTransport({
      url: broker.tls?.url ?? '',
      clientId: 'alicia-orchestrator',
      username: 'orchestrator',
      password: 'orchestrator-secret',
      tls: { ca: certs.pki.ca },
      prefix: 'alicia',
      log: silentLogger(),
    });
    open.push(transport);
    await transport.ready();
    expect(broker.identityOf('alicia-orchestrator')).toEqual({ user: 'orchestrator', role: 'orchestrator' });
  });
});

describe('WebSocket listener', () => {
  it('carries MQTT over ws:// with the same users and ACLs', async () => {
    const broker = await secured({ websocket: { port: 0, path: '/mqtt' } });
    expect(broker.websocket?.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/);
    await roundTrip(broker.websocket?.url ?? '', {});
    const bad = await tryConnect(broker.websocket?.url ?? '', {
      username: 'operator',
      password: 'nope',
      clientId: 'w',
    });
    expect(bad.returnCode).toBe(4);
    // Anonymous loopback clients are viewers here too: a request is refused (connection closed).
    const anon = await keep(await connectAs(broker.websocket?.url ?? '', null));
    const closed = new Promise<void>((resolve) => anon.once('close', () => resolve()));
    anon.publish('alicia/orchestrator/request/down', '{}', { qos: 1 });
    await closed;
    expect(broker.stats.refused.publish).toBe(1);
  });
});

describe('limits', () => {
  it('closes a connection whose packet exceeds max packet bytes, over TCP and WebSocket, and delivers nothing', async () => {
    const broker = await secured({ maxPacketBytes: 64 * 1024, websocket: { port: 0 } });
    const op = await keep(await connectAs(broker.url, MATRIX_USERS.operator));
    await op.subscribeAsync('alicia/services/#', { qos: 1 });
    const seen: number[] = [];
    op.on('message', (_t, p) => seen.push(p.byteLength));
    for (const url of [broker.url, broker.websocket?.url ?? '']) {
      const orch = await connectAs(url, {
        ...MATRIX_USERS.orchestrator,
        clientId: 'alicia-orchestrator-big',
      });
      const closed = new Promise<void>((resolve) => orch.once('close', () => resolve()));
      orch.publish('alicia/services/events', Buffer.alloc(64 * 1024, 0x61), { qos: 1 });
      await closed;
      orch.end(true);
    }
    expect(broker.stats.refused.oversized).toBe(2);
    // Just under the limit passes (topic + headers take the rest).
    const orch = await keep(await connectAs(broker.url, MATRIX_USERS.orchestrator));
    const got = nextMessage(op, (t) => t === 'alicia/services/events');
    await orch.publishAsync('alicia/services/events', Buffer.alloc(60 * 1024, 0x62), { qos: 1 });
    await got;
    expect(seen).toEqual([60 * 1024]);
  });

  it('closes a connection that sends no CONNECT within the connect timeout', async () => {
    await secured({ connectTimeoutMs: 300 }).then(async (broker) => {
      const socket = net.connect(broker.port, '127.0.0.1');
      open.push({ close: async () => void socket.destroy() });
      const started = Date.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('socket still open after 5 s')), 5_000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });
  });
});
