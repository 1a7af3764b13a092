// The one contract of the Transport port (src/transport). Every broker it must work with
// runs it: the embedded aedes broker (transport-aedes.test.ts) and Debian's Mosquitto 2.0
// with the shipped conf and ACL (transport-mosquitto.test.ts). What the orchestrator, the
// agents and the CLI rely on from MQTT is asserted here, once.
//
// Connections are cut through a TCP proxy (transport-proxy.ts): the broker sees the socket
// close without a DISCONNECT, as on a network failure, whichever broker it is.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import type { Incoming } from '../../src/protocol/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../src/protocol/version.js';
import {
  createMqttTransport,
  type Transport,
  type TransportOptions,
  type Will,
} from '../../src/transport/index.js';
import { SAMPLES } from '../helpers/samples.js';
import { createRecorder, type Recorder, until } from '../helpers/wait.js';
import { startTcpProxy, type TcpProxy } from './transport-proxy.js';

export interface BrokerUnderTest {
  /** 127.0.0.1 port of its MQTT listener; stays the same across restart(). */
  readonly port: number;
  /** The highest MQTT version it speaks: 5 (Mosquitto) or 4 = 3.1.1 (aedes 1.x). */
  readonly mqttVersion: 5 | 4;
  /** A user that may publish and read everything under `alicia/` (none on an open broker). */
  readonly auth: { username?: string; password?: string };
  /** Stops the broker and starts it again on the same port (connections drop meanwhile). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

interface Received {
  message: Incoming;
  raw: { topic: string; payload: Buffer; retain: boolean };
}

const NOW = 1_790_000_000_000;

function presence(state: 'online' | 'offline', session: number) {
  return { v: 1, state, session, ts: NOW, version: '0.1.0' };
}

export function transportContract(name: string, startBroker: () => Promise<BrokerUnderTest>): void {
  describe(`Transport contract: MQTT adapter on ${name}`, () => {
    let broker: BrokerUnderTest;
    const open: { close(): Promise<unknown> }[] = [];
    let seq = 0;
    /** Ids unique to the test, so what one test retains never reaches another. */
    const unique = (what: string) => `${what}-${process.pid}-${++seq}`;

    beforeAll(async () => {
      broker = await startBroker();
    });
    afterAll(async () => {
      await broker?.close();
    });
    afterEach(async () => {
      for (const item of open.splice(0).reverse()) await item.close();
    });

    const directUrl = () => `mqtt://127.0.0.1:${broker.port}`;

    function transport(extra: Partial<TransportOptions> = {}): Transport {
      const t = createMqttTransport({
        url: directUrl(),
        clientId: unique('contract'),
        prefix: 'alicia',
        log: silentLogger(),
        // Fast reconnects: the cases below drop connections and restart the broker.
        reconnectMs: 50,
        maxReconnectMs: 200,
        connectTimeoutMs: 5_000,
        ...broker.auth,
        ...extra,
      });
      open.push(t);
      return t;
    }

    async function proxy(): Promise<TcpProxy> {
      const p = await startTcpProxy({ port: broker.port });
      open.push(p);
      return p;
    }

    /** A plain MQTT.js client, to put bytes on the wire that the adapter would never send. */
    async function rawClient(): Promise<MqttClient> {
      const c = await mqtt.connectAsync(directUrl(), {
        protocolVersion: 4,
        clientId: unique('raw'),
        reconnectPeriod: 0,
        ...broker.auth,
      });
      open.push({ close: () => c.endAsync() });
      return c;
    }

    function record(t: Transport): Recorder<Received> {
      const r = createRecorder<Received>();
      t.onMessage((message, raw) => r.push({ message, raw }));
      return r;
    }

    function counter<T>(subscribe: (handler: (info: T) => void) => () => void): Recorder<T> {
      const r = createRecorder<T>();
      subscribe((info) => r.push(info));
      return r;
    }

    /**
     * Subscribes `t` to `filter` and, in the same SUBSCRIBE, to a retained sentinel: the
     * broker sends retained messages filter by filter, so whatever `filter` retains arrives
     * before the sentinel. Resolves with the messages seen on `filter` by then.
     */
    async function retainedOn(t: Transport, filter: string, topicOf: (topic: string) => boolean) {
      const sentinel = `alicia/agents/${unique('sentinel')}/state`;
      const writer = await rawClient();
      await writer.publishAsync(sentinel, JSON.stringify(presence('online', 1)), { qos: 1, retain: true });
      const seen = record(t);
      const done = seen.next((m) => m.raw.topic === sentinel, 10_000, `the retained sentinel ${sentinel}`);
      await t.subscribe([filter, sentinel]);
      await done;
      await writer.publishAsync(sentinel, '', { qos: 1, retain: true });
      return seen.items.filter((m) => topicOf(m.raw.topic));
    }

    it('connects: ready() resolves, connected is true, onConnect is called once without a session', async () => {
      const t = transport();
      const connects = counter(t.onConnect.bind(t));
      await t.ready();
      expect(t.connected).toBe(true);
      await until(() => connects.items.length === 1, { what: 'onConnect' });
      expect(connects.items).toEqual([{ sessionPresent: false }]);
      expect(t.stats).toEqual({
        received: 0,
        rejected: 0,
        published: 0,
        rejectedByReason: {},
        reconnects: 0,
      });
      expect(t.protocolVersion).toBe(broker.mqttVersion);
    });

    it('speaks MQTT 5 where the broker does and 3.1.1 otherwise; a pinned 3.1.1 client talks with a v5 one', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const auto = transport();
      const old = transport({ protocol: 4 });
      await Promise.all([auto.ready(), old.ready()]);
      expect(auto.protocolVersion).toBe(broker.mqttVersion);
      expect(old.protocolVersion).toBe(4);
      // The fallback costs a refused CONNECT, not a lost connection nor a reconnect.
      expect(auto.stats.reconnects).toBe(0);
      const got = record(old);
      await old.subscribe([topic], 1);
      const arrived = got.next((m) => m.raw.topic === topic);
      await auto.publish(topic, presence('online', 11), { qos: 1 });
      expect((await arrived).message).toMatchObject({ ok: true, payload: presence('online', 11) });
      if (broker.mqttVersion === 5) {
        const pinned = transport({ protocol: 5 });
        await pinned.ready();
        expect(pinned.protocolVersion).toBe(5);
      }
    });

    it('ready() rejects with ALICIA_ERR_TIMEOUT when no broker answers', async () => {
      const dead = await proxy();
      dead.block(true); // every connection is closed at once, as by a broker that is down
      const t = transport({ url: dead.url, connectTimeoutMs: 300 });
      const downs = counter<void>(t.onDisconnect.bind(t));
      await expect(t.ready()).rejects.toMatchObject({ code: 'ALICIA_ERR_TIMEOUT' });
      expect(t.connected).toBe(false);
      // Attempts that never connected lose no connection: onDisconnect stays silent.
      expect(downs.items).toEqual([]);
    });

    it('round-trips a QoS 1 message: parsed and typed by its topic, publish resolves once acknowledged', async () => {
      const agent = unique('pi');
      const sub = transport();
      const pub = transport();
      await Promise.all([sub.ready(), pub.ready()]);
      const got = record(sub);
      await sub.subscribe([`alicia/agents/${agent}/+`], 1);
      const first = got.next((m) => m.raw.topic === `alicia/agents/${agent}/state`);
      await pub.publish(`alicia/agents/${agent}/state`, presence('online', 3), { qos: 1 });
      expect(pub.stats.published).toBe(1);
      const m = await first;
      expect(m.message).toEqual({
        ok: true,
        kind: 'agent_state',
        topic: { kind: 'agent_state', agent },
        payload: presence('online', 3),
      });
      expect(m.raw.retain).toBe(false);
      expect(JSON.parse(m.raw.payload.toString('utf8'))).toEqual(presence('online', 3));

      // After unsubscribe nothing more arrives: the publisher's later message on a topic still
      // subscribed comes in order after the one that must not [MQTT-4.6.0-6].
      await sub.unsubscribe([`alicia/agents/${agent}/+`]);
      await sub.subscribe([`alicia/agents/${agent}/heartbeat`], 1);
      const last = got.next((m) => m.raw.topic === `alicia/agents/${agent}/heartbeat`);
      await pub.publish(`alicia/agents/${agent}/state`, presence('offline', 3), { qos: 1 });
      await pub.publish(`alicia/agents/${agent}/heartbeat`, SAMPLES['alicia/agents/pi-1/heartbeat'], {
        qos: 1,
      });
      await last;
      expect(got.items.map((i) => i.raw.topic)).toEqual([
        `alicia/agents/${agent}/state`,
        `alicia/agents/${agent}/heartbeat`,
      ]);
      expect(sub.stats).toMatchObject({ received: 2, rejected: 0 });
    });

    it('delivers a retained message to a late subscriber, and clearRetained removes it', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const pub = transport();
      await pub.ready();
      await pub.publish(topic, presence('online', 5), { qos: 1, retain: true });

      const late = transport();
      await late.ready();
      const got = record(late);
      const first = got.next((m) => m.raw.topic === topic);
      await late.subscribe([topic], 1);
      const m = await first;
      expect(m.raw.retain).toBe(true);
      expect(m.message).toMatchObject({ ok: true, payload: presence('online', 5) });

      await pub.clearRetained(topic);
      const later = transport();
      await later.ready();
      expect(await retainedOn(later, topic, (t) => t === topic)).toEqual([]);
      // The empty payload that deleted it is not a message: nothing parsed, nothing rejected.
      expect(late.stats).toMatchObject({ received: 1, rejected: 0 });
    });

    it('has the broker publish the will when the connection dies without a DISCONNECT', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const watcher = transport();
      await watcher.ready();
      await watcher.subscribe([topic], 1);
      const got = record(watcher);
      const cut = await proxy();
      const dying = transport({
        url: cut.url,
        will: () => ({ topic, payload: presence('offline', 42), qos: 1, retain: true }),
      });
      const downs = counter<void>(dying.onDisconnect.bind(dying));
      await dying.ready();
      expect(dying.protocolVersion).toBe(broker.mqttVersion);
      const will = got.next((m) => m.raw.topic === topic, 10_000, 'the will');
      // [MQTT-3.1.2-8] the will is published when the network connection closes abnormally.
      expect(cut.dropAll()).toBe(1);
      expect((await will).message).toMatchObject({ ok: true, payload: presence('offline', 42) });
      await until(() => downs.items.length >= 1, { what: 'onDisconnect' });
      await watcher.clearRetained(topic);
    });

    it('reconnects after the broker restarts: onConnect again, subscriptions made again, a fresh will', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const cut = await proxy();
      let session = 0;
      const will = (): Will => {
        // Evaluated before every connect attempt: the will carries the session it is for.
        session += 1;
        return { topic, payload: presence('offline', session), qos: 1, retain: true };
      };
      const t = transport({ url: cut.url, will });
      const connects = createRecorder<number>();
      t.onConnect(() => connects.push(session));
      await t.ready();
      await until(() => connects.items.length === 1, { what: 'the first onConnect' });
      // One will made for the first connection: a v5 CONNECT refused for its version (aedes)
      // started no session, so the 3.1.1 retry keeps its will and session number.
      expect(connects.items).toEqual([1]);
      const beat = `alicia/agents/${agent}/heartbeat`;
      await t.subscribe([beat], 1);
      const mine = record(t);

      const watcher = transport();
      const watcherUp = counter(watcher.onConnect.bind(watcher));
      await watcher.ready();
      const again = connects.next(() => true, 20_000, 'onConnect after the broker restart');
      const watcherAgain = watcherUp.next(() => true, 20_000, "the watcher's reconnect");
      await broker.restart();
      const sessionAtReconnect = await again;
      await watcherAgain;
      expect(connects.items).toHaveLength(2);
      expect(sessionAtReconnect).toBeGreaterThan(connects.items[0] ?? 0);
      // The reconnect speaks the same version (after a fallback: 3.1.1 without asking again).
      expect(t.protocolVersion).toBe(broker.mqttVersion);
      expect(t.stats.reconnects).toBe(1);

      // Subscriptions made before the restart are made again (a broker that lost its
      // sessions included): published retained, it arrives whether it lands before or after
      // the new SUBSCRIBE.
      const beatArrives = mine.next(
        (m) => m.raw.topic === beat,
        10_000,
        'the message on the old subscription',
      );
      await watcher.publish(beat, SAMPLES['alicia/agents/pi-1/heartbeat'], { qos: 1, retain: true });
      expect((await beatArrives).message).toMatchObject({
        ok: true,
        topic: { kind: 'agent_heartbeat', agent },
      });
      await watcher.clearRetained(beat);

      await watcher.subscribe([topic], 1);
      const got = record(watcher);
      const dead = got.next((m) => m.raw.topic === topic && !m.raw.retain, 10_000, 'the fresh will');
      expect(cut.dropAll()).toBe(1);
      // The will is the one made for the connection that died, not the first one.
      expect((await dead).message).toMatchObject({
        ok: true,
        payload: presence('offline', sessionAtReconnect),
      });
      await watcher.clearRetained(topic);
    });

    it('keeps a persistent session (clean: false): QoS 1 messages published while offline arrive after reconnecting', async () => {
      const agent = unique('pi');
      const cmd = `alicia/agents/${agent}/cmd/resync`;
      const gone = `alicia/agents/${agent}/state`;
      const cut = await proxy();
      const t = transport({
        url: cut.url,
        clientId: unique('persistent'),
        clean: false,
        // Its will tells the test when the broker has noticed the connection is gone.
        will: () => ({ topic: gone, payload: presence('offline', 1), qos: 1, retain: false }),
      });
      const connects = counter(t.onConnect.bind(t));
      const downs = counter<void>(t.onDisconnect.bind(t));
      await t.ready();
      const got = record(t);
      await t.subscribe([`alicia/agents/${agent}/cmd/+`], 1);

      const watcher = transport();
      await watcher.ready();
      await watcher.subscribe([gone], 1);
      const seen = record(watcher);
      const noticed = seen.next((m) => m.raw.topic === gone, 10_000, 'the broker noticing the cut');
      cut.block(true);
      cut.dropAll();
      await noticed;

      const pub = transport();
      await pub.ready();
      const body = (transaction: string) => ({
        ...(SAMPLES['alicia/agents/pi-1/cmd/resync'] as object),
        transaction,
      });
      await pub.publish(cmd, body('while-away-1'), { qos: 1 });
      await pub.publish(cmd, body('while-away-2'), { qos: 1 });

      // Let the transport fail to reconnect at least once while the proxy refuses it.
      await until(() => cut.refused >= 1, { what: 'a refused reconnect attempt' });
      const back = connects.next(() => true, 10_000, 'the reconnect');
      const both = got.next(
        () => got.items.filter((m) => m.raw.topic === cmd).length === 2,
        10_000,
        'both queued commands',
      );
      cut.block(false);
      // On MQTT 5 the session outlives the connection only because the CONNECT gave it a
      // session expiry interval [MQTT-3.1.2-23]; 3.1.1 keeps it without one.
      expect(await back).toEqual({ sessionPresent: true });
      expect(t.protocolVersion).toBe(broker.mqttVersion);
      await both;
      expect(
        got.items.map((m) =>
          m.message.ok ? (m.message.payload as { transaction: string }).transaction : null,
        ),
      ).toEqual(['while-away-1', 'while-away-2']);
      // One connection lost, however many attempts failed before the next one.
      expect(downs.items).toHaveLength(1);
    });

    it('sends a QoS 1 message published while the connection is down once it is back; QoS 0 is not kept', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const sub = transport();
      await sub.ready();
      const got = record(sub);
      await sub.subscribe([topic], 1);
      const cut = await proxy();
      const t = transport({ url: cut.url });
      const downs = counter<void>(t.onDisconnect.bind(t));
      await t.ready();
      cut.block(true);
      cut.dropAll();
      await until(() => downs.items.length === 1, { what: 'onDisconnect' });
      expect(t.connected).toBe(false);

      // QoS 0 (heartbeats) is not queued while offline: the publish fails at once.
      await expect(
        t.publish(`alicia/agents/${agent}/heartbeat`, SAMPLES['alicia/agents/pi-1/heartbeat'], { qos: 0 }),
      ).rejects.toThrow();
      expect(t.stats.published).toBe(0);
      const queued = t.publish(topic, presence('online', 8), { qos: 1 });
      const arrived = got.next((m) => m.raw.topic === topic);
      cut.block(false);
      await queued;
      expect((await arrived).message).toMatchObject({ ok: true, payload: presence('online', 8) });
    });

    it('counts malformed payloads and unknown topics as rejections and hands them over as typed errors, never as throws', async () => {
      const agent = unique('pi');
      const sub = transport();
      await sub.ready();
      const got = record(sub);
      // A handler that throws must not stop delivery to the others, nor the connection.
      sub.onMessage(() => {
        throw new Error('handler bug');
      });
      await sub.subscribe([`alicia/agents/${agent}/#`, `alicia/nothing/${agent}`], 1);
      const raw = await rawClient();
      const sends: [string, string | Buffer][] = [
        [`alicia/agents/${agent}/state`, '{"v":1,"state":'],
        [`alicia/agents/${agent}/state`, JSON.stringify({ v: 1, state: 'sideways' })],
        [`alicia/agents/${agent}/state`, Buffer.from([0xff, 0xfe, 0x7b])],
        [`alicia/nothing/${agent}`, JSON.stringify(presence('online', 1))],
        [`alicia/agents/${agent}/cmd/explode`, JSON.stringify(presence('online', 1))],
        [`alicia/agents/${agent}/state`, JSON.stringify(presence('online', 9))],
      ];
      const last = got.next(
        (m) => m.message.ok && m.raw.topic === `alicia/agents/${agent}/state`,
        10_000,
        'the valid message sent last',
      );
      for (const [topic, payload] of sends) await raw.publishAsync(topic, payload, { qos: 1 });
      await last;
      expect(
        got.items.map((m) =>
          m.message.ok ? 'ok' : `${m.message.error.code} ${m.message.topic?.kind ?? 'null'}`,
        ),
      ).toEqual([
        'ALICIA_ERR_PAYLOAD_JSON agent_state',
        'ALICIA_ERR_PAYLOAD_SCHEMA agent_state',
        'ALICIA_ERR_PAYLOAD_JSON agent_state',
        'ALICIA_ERR_TOPIC_UNKNOWN null',
        'ALICIA_ERR_TOPIC_UNKNOWN agent_cmd',
        'ok',
      ]);
      expect(sub.stats).toMatchObject({
        received: 6,
        rejected: 5,
        rejectedByReason: {
          ALICIA_ERR_PAYLOAD_JSON: 2,
          ALICIA_ERR_PAYLOAD_SCHEMA: 1,
          ALICIA_ERR_TOPIC_UNKNOWN: 2,
        },
      });
      expect(sub.connected).toBe(true);
    });

    it('refuses payloads above the limit: on publish before sending, on receipt as a typed rejection', async () => {
      const agent = unique('pi');
      const pub = transport();
      await pub.ready();
      const big = { v: 1, blob: 'x'.repeat(DEFAULT_MAX_PAYLOAD_BYTES) };
      await expect(pub.publish(`alicia/agents/${agent}/state`, big, { qos: 1 })).rejects.toMatchObject({
        code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE',
      });
      expect(pub.stats.published).toBe(0);

      const small = transport({ maxPayloadBytes: 200 });
      await small.ready();
      const got = record(small);
      await small.subscribe([`alicia/agents/${agent}/state`], 1);
      const next = got.next(() => true);
      await pub.publish(
        `alicia/agents/${agent}/state`,
        { ...presence('online', 1), version: 'v'.repeat(300) },
        {
          qos: 1,
        },
      );
      expect((await next).message).toMatchObject({
        ok: false,
        error: { code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE' },
      });
      expect(small.stats).toMatchObject({ received: 1, rejected: 1 });
    });

    it('close() is idempotent, ends cleanly without the will, and settles ready() of a transport that never connected', async () => {
      const agent = unique('pi');
      const topic = `alicia/agents/${agent}/state`;
      const watcher = transport();
      await watcher.ready();
      const got = record(watcher);
      await watcher.subscribe([topic], 1);
      const t = transport({
        will: () => ({ topic, payload: presence('offline', 1), qos: 1, retain: false }),
      });
      const downs = counter<void>(t.onDisconnect.bind(t));
      await t.ready();
      await Promise.all([t.close(), t.close()]);
      await t.close();
      expect(t.connected).toBe(false);
      await until(() => downs.items.length >= 1, { what: 'onDisconnect' });
      for (const late of [
        () => t.publish(topic, presence('online', 1), { qos: 1 }),
        () => t.clearRetained(topic),
        () => t.subscribe([topic]),
        () => t.unsubscribe([topic]),
      ]) {
        await expect(late()).rejects.toMatchObject({ code: 'ALICIA_ERR_TRANSPORT_CLOSED' });
      }
      // A message published after the close comes in after any will would have.
      const after = got.next((m) => m.message.ok && (m.message.payload as { session: number }).session === 2);
      await watcher.publish(topic, presence('online', 2), { qos: 1 });
      await after;
      expect(got.items.map((m) => (m.message.ok ? m.message.payload : m.message.error))).toEqual([
        presence('online', 2),
      ]);

      const dead = await proxy();
      dead.block(true);
      const never = transport({ url: dead.url, connectTimeoutMs: 60_000 });
      const ready = never.ready();
      await Promise.all([never.close(), never.close()]);
      // At once, not after connectTimeoutMs.
      await expect(ready).rejects.toMatchObject({ code: 'ALICIA_ERR_TRANSPORT_CLOSED' });
      expect(never.connected).toBe(false);
    });
  });
}
