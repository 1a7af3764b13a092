// The Transport port's MQTT adapter (MQTT.js). Every incoming payload is parsed with its
// topic's schema here, at the edge: handlers receive typed messages or typed errors, a bad
// payload is counted and logged and never reaches business code as a throw.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import { type Incoming, parseIncoming } from '../protocol/messages.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../protocol/version.js';

export interface Will {
  topic: string;
  payload: unknown;
  qos: 0 | 1;
  retain: boolean;
}

export interface TransportOptions {
  /** mqtt://host:port, mqtts://…, ws://… */
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** CA, client certificate and key files for mqtts:// */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  prefix: string;
  /** Evaluated before every connect attempt, so a will can carry the next session number. */
  will?: () => Will;
  /** false keeps the broker-side session (QoS 1 messages queued while offline). */
  clean?: boolean;
  /**
   * MQTT version to speak: `auto` (default) offers 5 and falls back to 3.1.1 when the
   * broker refuses it (aedes 1.x); 5 or 4 pins one.
   */
  protocol?: 'auto' | 5 | 4;
  /**
   * MQTT 5 session expiry of a persistent session (clean: false), seconds. Default: never
   * (0xFFFFFFFF), the 3.1.1 behaviour; with 0 a v5 broker would drop the session (and the
   * commands queued in it) the moment the connection closes [MQTT-3.1.2-23].
   */
  sessionExpiryS?: number;
  keepaliveS?: number;
  /** First reconnect delay; doubles up to maxReconnectMs. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  connectTimeoutMs?: number;
  maxPayloadBytes?: number;
  /** Wall clock for lastHeardMs (ms); the process's Clock.now. Default Date.now. */
  now?: () => number;
  log: Logger;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

export interface TransportStats {
  received: number;
  rejected: number;
  published: number;
  /** Rejections by ALICIA_ERR_* code (the reason a payload was refused). */
  rejectedByReason: Record<string, number>;
  /** Connections made after the first one (the broker or the network came back). */
  reconnects: number;
}

/** MQTT protocol levels: 5 = MQTT 5.0, 4 = MQTT 3.1.1. */
export type ProtocolLevel = 5 | 4;

/** A message on a topic outside Alicia's protocol that a component asked for (see onForeign). */
export type ForeignHandler = (topic: string, payload: Buffer, retain: boolean) => void;

/** Published by this client: what the metrics time action round trips from. */
export type PublishListener = (topic: string, payload: unknown) => void;

export type MessageHandler = (
  message: Incoming,
  raw: { topic: string; payload: Buffer; retain: boolean },
) => void;

export interface Transport {
  readonly stats: Readonly<TransportStats>;
  /** A connection is up and its onConnect handlers have run; false once its loss is reported. */
  readonly connected: boolean;
  /** The MQTT version of the current (or last) connection; null before the first. */
  readonly protocolVersion: ProtocolLevel | null;
  /** This side's IP address of the current (or last) broker connection; null before the first or over WebSocket. */
  readonly localAddress: string | null;
  /**
   * When the broker last sent us anything (any packet, PINGRESP included), in `now()` ms; 0
   * before the first. A link frozen without a FIN stays `connected` until the keepalive runs
   * out (1.5 × keepalive): this is how a caller sees it sooner.
   */
  lastHeardMs(): number;
  /** Asks the broker for a sign of life (an MQTT PINGREQ) when a connection is up. */
  ping(): void;
  /**
   * Serializes `payload` as JSON. Resolves when the broker acknowledged it (QoS 1); a QoS 1
   * message published while the connection is down is sent after the reconnect, QoS 0 fails.
   */
  publish(topic: string, payload: unknown, options: PublishOptions): Promise<void>;
  /** Clears a retained message. */
  clearRetained(topic: string): Promise<void>;
  subscribe(filters: string[], qos?: 0 | 1): Promise<void>;
  unsubscribe(filters: string[]): Promise<void>;
  onMessage(handler: MessageHandler): () => void;
  /**
   * Hands messages under `root/` (outside the prefix, e.g. `homeassistant`) to `handler` as
   * they are: they are not Alicia's messages, so they are neither parsed nor counted as rejected.
   */
  onForeign(root: string, handler: ForeignHandler): () => void;
  /** Called after each publish the broker accepted (QoS 1: acknowledged). */
  onPublished(listener: PublishListener): () => void;
  /**
   * Publishes a payload as is, for topics outside Alicia's protocol that carry plain text
   * (e.g. Home Assistant's `homeassistant/status`); the size limit still applies.
   */
  publishRaw(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /** Called on every (re)connect; `sessionPresent` tells whether the broker kept our session. */
  onConnect(handler: (info: { sessionPresent: boolean }) => void): () => void;
  /** Called once per connection lost (or closed), not for reconnect attempts that fail. */
  onDisconnect(handler: () => void): () => void;
  /** Waits for the first connection; rejects after connectTimeoutMs. */
  ready(): Promise<void>;
  /**
   * Ends the connection cleanly: the broker does not publish the will. Idempotent; a
   * pending ready() rejects, and later calls fail with ALICIA_ERR_TRANSPORT_CLOSED.
   */
  close(): Promise<void>;
}

export function createMqttTransport(options: TransportOptions): Transport {
  const log = options.log;
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const stats: TransportStats = {
    received: 0,
    rejected: 0,
    published: 0,
    rejectedByReason: {},
    reconnects: 0,
  };
  const publishListeners = new Set<PublishListener>();
  const protocol = options.protocol ?? 'auto';
  /** Topic roots outside the prefix handed over raw (never parsed, never rejected): root -> handlers. */
  const foreign = new Map<string, Set<ForeignHandler>>();
  let connectedOnce = false;
  /** The next connect attempt is the 3.1.1 retry of a CONNECT the broker refused as v5. */
  let fallingBack = false;
  let version: ProtocolLevel | null = null;
  const now = options.now ?? Date.now;
  let heardMs = 0;
  const messageHandlers = new Set<MessageHandler>();
  const connectHandlers = new Set<(info: { sessionPresent: boolean }) => void>();
  const disconnectHandlers = new Set<() => void>();

  const willPacket = (): IClientOptions['will'] => {
    if (!options.will) return undefined;
    const will = options.will();
    return {
      topic: will.topic,
      payload: Buffer.from(JSON.stringify(will.payload)),
      qos: will.qos,
      retain: will.retain,
    };
  };

  const clean = options.clean ?? true;
  /** MQTT 5 CONNECT properties: a persistent session must say how long it outlives us. */
  const v5Properties = (): IClientOptions['properties'] =>
    clean ? {} : { sessionExpiryInterval: options.sessionExpiryS ?? 0xffff_ffff };
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    // MQTT 5 where the broker speaks it (Mosquitto; Home Assistant drops 3.x in 2027.1);
    // 3.1.1 for aedes 1.x, which refuses 5 (see the fallback in 'error' below).
    protocolVersion: protocol === 4 ? 4 : 5,
    ...(protocol === 4 ? {} : { properties: v5Properties() }),
    clean,
    keepalive: options.keepaliveS ?? 10,
    reconnectPeriod: options.reconnectMs ?? 500,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    resubscribe: true,
    queueQoSZero: false,
    // MQTT.js's default pre-builds 65,536 two-byte Buffers for packet ids (≈ 7 MB of heap);
    // making them per packet costs nothing at our message rates and matters on a Pi agent.
    writeCache: false,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    will: willPacket(),
  };
  if (options.tls) {
    if (options.tls.ca) clientOptions.ca = readFileSync(options.tls.ca);
    if (options.tls.cert) clientOptions.cert = readFileSync(options.tls.cert);
    if (options.tls.key) clientOptions.key = readFileSync(options.tls.key);
    clientOptions.rejectUnauthorized = options.tls.rejectUnauthorized ?? true;
  }

  const client: MqttClient = mqtt.connect(options.url, clientOptions);
  let closed = false;
  /** A connection is up (CONNACK received) and its loss not yet reported. */
  let up = false;
  let attempts = 0;

  // Every packet from the broker is a sign that the link carries traffic both ways.
  client.on('packetreceive', () => {
    heardMs = now();
  });

  client.on('reconnect', () => {
    // Backoff: grow the period until the cap so a lost broker is not hammered.
    const base = options.reconnectMs ?? 500;
    const cap = options.maxReconnectMs ?? 10_000;
    if (fallingBack) {
      // The same connect again in 3.1.1: the refused one started no session, so its will
      // (and the session number in it) still holds, and it was no failed attempt.
      fallingBack = false;
      client.options.reconnectOnConnackError = false;
      client.options.reconnectPeriod = base;
      return;
    }
    attempts += 1;
    client.options.reconnectPeriod = Math.min(cap, base * 2 ** Math.min(attempts, 10));
    client.options.will = willPacket();
  });
  client.on('connect', (connack) => {
    attempts = 0;
    up = true;
    if (connectedOnce) stats.reconnects += 1;
    connectedOnce = true;
    version = client.options.protocolVersion === 5 ? 5 : 4;
    // Commands, answers and snapshots are small packets sent back to back: with Nagle's
    // algorithm each one after the first waits for the broker's delayed ACK (≈ 40 ms on
    // Linux). MQTT.js does not turn it off; the embedded broker does on its side.
    (client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined)?.setNoDelay?.(true);
    client.options.reconnectPeriod = options.reconnectMs ?? 500;
    log.debug({ url: options.url, sessionPresent: connack.sessionPresent, mqtt: version }, 'mqtt connected');
    for (const handler of connectHandlers) handler({ sessionPresent: connack.sessionPresent });
  });
  client.on('close', () => {
    // MQTT.js emits 'close' after every failed reconnect attempt too; only the loss of a
    // connection that was up is a disconnect.
    if (!up) return;
    up = false;
    if (!closed) log.debug({ url: options.url }, 'mqtt connection closed');
    for (const handler of disconnectHandlers) handler();
  });
  client.on('error', (err) => {
    // A 3.1.1-only broker answers a v5 CONNECT with return code 1 ("unacceptable protocol
    // version", [MQTT-3.1.2-2]; aedes 1.x sends it in the 3.1.1 format, which MQTT.js reads as
    // reason code 1); a v5 broker that does not want 5 answers 0x84. Either way: offer 3.1.1
    // from now on. MQTT.js does not reconnect after a refused CONNACK unless told to, and
    // reads reconnectOnConnackError right after this handler: its own timer then makes the
    // next attempt (one timer: no second connection racing the first), at once.
    const code = (err as { code?: unknown }).code;
    if (protocol === 'auto' && client.options.protocolVersion === 5 && (code === 1 || code === 0x84)) {
      log.info({ url: options.url }, 'broker does not speak MQTT 5: using MQTT 3.1.1');
      client.options.protocolVersion = 4;
      delete client.options.properties;
      fallingBack = true;
      client.options.reconnectOnConnackError = !closed;
      client.options.reconnectPeriod = 1;
      return;
    }
    // The broker refused our credentials (3.1.1 return codes 4 and 5, v5 reason codes 0x86,
    // 0x87 and 0x8C): say so now instead of waiting out the connect timeout.
    if (code === 4 || code === 5 || code === 0x86 || code === 0x87 || code === 0x8c) {
      const who = options.username !== undefined ? `user "${options.username}"` : 'an anonymous client';
      abandonReady(
        aliciaError(
          'ALICIA_ERR_AUTH',
          `the broker at ${options.url} refused ${who} (${err.message}): check the user name and password`,
          { cause: err },
        ),
      );
    }
    log.warn({ err, url: options.url }, 'mqtt error');
  });
  client.on('message', (topic, payload, packet) => {
    // An empty retained payload is how MQTT deletes a retained message: nothing to parse.
    if (payload.byteLength === 0) return;
    const root = topic.slice(0, topic.indexOf('/'));
    const foreignHandlers = root.length > 0 ? foreign.get(root) : undefined;
    if (foreignHandlers && root !== options.prefix) {
      for (const handler of foreignHandlers) {
        try {
          handler(topic, payload, packet.retain);
        } catch (err) {
          log.error({ err, topic }, 'foreign message handler failed');
        }
      }
      return;
    }
    stats.received += 1;
    const message = parseIncoming(topic, payload, { prefix: options.prefix, maxBytes: maxPayloadBytes });
    if (!message.ok) {
      stats.rejected += 1;
      const reason = message.error.code;
      stats.rejectedByReason[reason] = (stats.rejectedByReason[reason] ?? 0) + 1;
      log.warn(
        { topic, code: message.error.code, reason: message.error.message, bytes: payload.byteLength },
        'rejected message',
      );
    }
    for (const handler of messageHandlers) {
      try {
        handler(message, { topic, payload, retain: packet.retain });
      } catch (err) {
        // A handler bug must not take the connection down; it is logged with the topic.
        log.error({ err, topic }, 'message handler failed');
      }
    }
  });

  let readyTimer: NodeJS.Timeout | null = null;
  let abandonReady: (err: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    if (client.connected) return resolve();
    abandonReady = reject;
    readyTimer = setTimeout(() => {
      reject(aliciaError('ALICIA_ERR_TIMEOUT', `could not connect to the broker at ${options.url}`));
    }, options.connectTimeoutMs ?? 10_000);
    client.once('connect', () => {
      if (readyTimer) clearTimeout(readyTimer);
      resolve();
    });
  });
  // Callers that never await ready() must not see an unhandled rejection.
  ready.catch(() => undefined);

  const notifyPublished = (topic: string, payload: unknown): void => {
    for (const listener of publishListeners) {
      try {
        listener(topic, payload);
      } catch (err) {
        log.error({ err, topic }, 'publish listener failed');
      }
    }
  };
  const closedError = (what: string) =>
    aliciaError('ALICIA_ERR_TRANSPORT_CLOSED', `${what} after close() (${options.url})`);
  let closing: Promise<void> | null = null;

  /** Every publish goes through here: the size limit, then the listeners see what was sent. */
  const send = async (topic: string, body: Buffer, publishOptions: PublishOptions, payload: unknown) => {
    if (closed) throw closedError(`publish to ${topic}`);
    if (body.byteLength > maxPayloadBytes) {
      throw aliciaError(
        'ALICIA_ERR_PAYLOAD_TOO_LARGE',
        `${topic}: ${body.byteLength} bytes, limit ${maxPayloadBytes}`,
      );
    }
    await client.publishAsync(topic, body, {
      qos: publishOptions.qos,
      retain: publishOptions.retain ?? false,
    });
    stats.published += 1;
    notifyPublished(topic, payload);
  };

  return {
    stats,
    get connected() {
      // Not MQTT.js's flag: it turns true at CONNACK, before the stored packets are flushed
      // and 'connect' is emitted, so a timer could see "connected" before onConnect ran.
      return up;
    },
    get protocolVersion() {
      return version;
    },
    get localAddress() {
      // The socket's own end: the address the broker (and so, usually, other hosts) reach us at.
      const address = (client.stream as { localAddress?: unknown } | undefined)?.localAddress;
      return typeof address === 'string' && address !== '' ? address.replace(/^::ffff:/, '') : null;
    },
    lastHeardMs: () => heardMs,
    ping() {
      if (up && !closed) client.sendPing();
    },
    async publish(topic, payload, publishOptions) {
      await send(topic, Buffer.from(JSON.stringify(payload)), publishOptions, payload);
    },
    async publishRaw(topic, payload, publishOptions) {
      await send(
        topic,
        typeof payload === 'string' ? Buffer.from(payload) : payload,
        publishOptions,
        payload,
      );
    },
    async clearRetained(topic) {
      if (closed) throw closedError(`clear ${topic}`);
      await client.publishAsync(topic, Buffer.alloc(0), { qos: 1, retain: true });
    },
    async subscribe(filters, qos = 1) {
      if (closed) throw closedError(`subscribe to ${filters.join(', ')}`);
      const forbidden = (refused: readonly string[], cause?: unknown) =>
        aliciaError(
          'ALICIA_ERR_FORBIDDEN',
          `the broker refused the subscription to ${refused.join(', ')}: this user's role may not read it`,
          { cause },
        );
      let granted: { qos: number }[];
      try {
        granted = await client.subscribeAsync(filters, { qos });
      } catch (err) {
        // MQTT 5: a SUBACK reason code >= 0x80 rejects the subscribe ("Subscribe error: …").
        if (err instanceof Error && err.message.startsWith('Subscribe error')) throw forbidden(filters, err);
        throw err;
      }
      // MQTT 3.1.1: a refused filter is granted 0x80 [MQTT-3.9.3-2].
      const refused = filters.filter((_, i) => (granted[i]?.qos ?? 0) >= 0x80);
      if (refused.length > 0) throw forbidden(refused);
    },
    async unsubscribe(filters) {
      if (closed) throw closedError(`unsubscribe from ${filters.join(', ')}`);
      await client.unsubscribeAsync(filters);
    },
    onMessage(handler) {
      messageHandlers.add(handler);
      return () => messageHandlers.delete(handler);
    },
    onForeign(root, handler) {
      let set = foreign.get(root);
      if (!set) {
        set = new Set();
        foreign.set(root, set);
      }
      set.add(handler);
      return () => set.delete(handler);
    },
    onPublished(listener) {
      publishListeners.add(listener);
      return () => publishListeners.delete(listener);
    },
    onConnect(handler) {
      connectHandlers.add(handler);
      return () => connectHandlers.delete(handler);
    },
    onDisconnect(handler) {
      disconnectHandlers.add(handler);
      return () => disconnectHandlers.delete(handler);
    },
    ready: () => ready,
    close() {
      // Idempotent: every caller waits for the one DISCONNECT (or the end of reconnecting).
      if (closing !== null) return closing;
      closed = true;
      // A ready() still waiting would otherwise hang until connectTimeoutMs (and hold the
      // process open that long).
      if (readyTimer) clearTimeout(readyTimer);
      if (!client.connected) abandonReady(closedError('connect'));
      closing = client.endAsync();
      return closing;
    },
  };
}
