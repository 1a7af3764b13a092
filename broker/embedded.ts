// The embedded aedes broker: a TCP listener (port 0 in tests), optional TLS and MQTT over
// WebSocket listeners, a max packet size, a connect timeout, optional on-disk retained
// messages and — when `security` is given — users, roles and topic ACLs. Without `security`
// the broker is open (every client may do everything): that is for tests and in-process use.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesOptions, type Client, type Connection } from 'aedes';
import aedesPersistence from 'aedes-persistence';
import { type AnonymousPolicy, defaultAnonymousPolicy } from '../src/core/acl/index.js';
import { type Logger, silentLogger } from '../src/logging/logger.js';
import { createTopics, DEFAULT_PREFIX } from '../src/protocol/topics.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../src/protocol/version.js';
import {
  type Listener,
  startTcpListener,
  startTlsListener,
  startWebSocketListener,
  type TlsListenerOptions,
  type WebSocketListenerOptions,
} from './listeners.js';
import { limitPackets } from './packet-limit.js';
import { openRetainedStore, type RetainedStore } from './retained-store.js';
import { type ConnectionInfo, createSecurityHooks, type Identity } from './security.js';
import { type BrokerStats, createStats } from './stats.js';
import { createUserDirectory, type UserDirectory, type UserRecord } from './users.js';

// aedes-persistence is CommonJS and its types declare an ES default export: under NodeNext
// the default import is `module.exports` itself, which is that function.
const memoryPersistence = aedesPersistence as unknown as typeof aedesPersistence.default;

/**
 * Largest MQTT packet accepted (bytes): the protocol's largest payload plus room for the
 * topic and headers. Larger packets close the connection as soon as their header arrives.
 */
export const DEFAULT_MAX_PACKET_BYTES = DEFAULT_MAX_PAYLOAD_BYTES + 64 * 1024;
/** A connection that sends no CONNECT within this time is closed (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface BrokerSecurity {
  /** The users, or a directory built from them. */
  users: readonly UserRecord[] | UserDirectory;
  /** Topic prefix the ACLs guard (`alicia`). */
  prefix?: string;
  /**
   * Anonymous clients become viewers: from loopback only, from anywhere, or never. Default:
   * `loopback` when every listener is on a loopback address, else `refuse`.
   */
  anonymous?: AnonymousPolicy;
}

export interface EmbeddedBrokerOptions {
  /** 127.0.0.1 by default: an embedded broker is local unless asked otherwise. */
  host?: string;
  /** 0 picks a free port (tests); 1883 is MQTT's registered port. */
  port?: number;
  /** aedes settings and hooks; the security hooks replace the hooks given here. */
  aedes?: AedesOptions;
  /** Users, roles and ACLs; absent: an open broker. */
  security?: BrokerSecurity;
  tls?: TlsListenerOptions;
  websocket?: WebSocketListenerOptions;
  maxPacketBytes?: number;
  connectTimeoutMs?: number;
  /** Directory that keeps retained messages across restarts; absent: memory only. */
  persistenceDir?: string;
  log?: Logger;
}

export interface ListenerAddress {
  readonly host: string;
  readonly port: number;
  readonly url: string;
}

export interface EmbeddedBroker {
  readonly aedes: Aedes;
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  /** mqtts://host:port when a TLS listener runs. */
  readonly tls: ListenerAddress | null;
  /** ws://host:port/path when a WebSocket listener runs. */
  readonly websocket: ListenerAddress | null;
  /** Refusals and deliveries held back, by kind. */
  readonly stats: Readonly<BrokerStats>;
  /** The user and role a connected client authenticated as (secured brokers only). */
  identityOf(clientId: string): Identity | undefined;
  /** Cuts one client's connection without a DISCONNECT, as a network failure would. */
  dropClient(clientId: string): boolean;
  /** Closes the listeners, drops every client, writes retained state and stops aedes. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const log = (options.log ?? silentLogger()).child({ component: 'broker' });
  const maxPacketBytes = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  const stats = createStats();
  const connections = new WeakMap<Connection, ConnectionInfo>();

  let retained: RetainedStore | null = null;
  const aedesOptions: AedesOptions = {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...options.aedes,
  };
  if (options.persistenceDir !== undefined) {
    retained = await openRetainedStore(options.persistenceDir, log);
    const store = retained;
    const persistence = memoryPersistence();
    const storeRetained = persistence.storeRetained.bind(persistence);
    // aedes calls storeRetained for every retained publish (an empty payload deletes).
    persistence.storeRetained = ((
      packet: { topic: string; qos: 0 | 1 | 2; payload: Buffer },
      cb?: unknown,
    ) => {
      store.record({ topic: packet.topic, qos: packet.qos, payload: packet.payload });
      return (storeRetained as (p: unknown, c?: unknown) => unknown)(packet, cb);
    }) as typeof persistence.storeRetained;
    aedesOptions.persistence = persistence;
  }

  let identityOf: (client: Client) => Identity | undefined = () => undefined;
  let anonymous: AnonymousPolicy | null = null;
  if (options.security) {
    const prefix = createTopics(options.security.prefix ?? DEFAULT_PREFIX).prefix;
    const listenHosts = [
      host,
      ...(options.tls ? [options.tls.host ?? host] : []),
      ...(options.websocket ? [options.websocket.host ?? host] : []),
    ];
    anonymous = options.security.anonymous ?? defaultAnonymousPolicy(listenHosts);
    const users = options.security.users;
    const directory = Array.isArray(users)
      ? createUserDirectory(users as readonly UserRecord[])
      : (users as UserDirectory);
    const security = createSecurityHooks({ users: directory, prefix, anonymous, stats, log, connections });
    Object.assign(aedesOptions, security.hooks);
    identityOf = security.identityOf;
  }

  const aedes = await Aedes.createBroker(aedesOptions);
  if (retained) {
    // Fed in before any listener opens, so the first subscriber already sees them.
    for (const message of retained.loaded) {
      await new Promise<void>((resolve, reject) =>
        aedes.publish(
          {
            cmd: 'publish',
            topic: message.topic,
            payload: message.payload,
            qos: message.qos,
            retain: true,
            dup: false,
          },
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    }
    log.info({ file: retained.file, retained: retained.loaded.length }, 'retained messages restored');
  }

  const clients = new Map<string, Client>();
  aedes.on('client', (client) => clients.set(client.id, client));
  aedes.on('clientDisconnect', (client) => {
    if (clients.get(client.id) === client) clients.delete(client.id);
  });
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err }, 'client error'));
  aedes.on('connectionError', (_client, err) => log.debug({ err }, 'connection error'));

  const accept = (stream: Duplex, info: ConnectionInfo, req?: IncomingMessage): void => {
    const limited = limitPackets(stream, maxPacketBytes, (refused) => {
      stats.refused.oversized += 1;
      log.warn({ remote: info.remoteAddress, listener: info.listener, ...refused }, 'refused packet');
    });
    connections.set(limited, info);
    aedes.handle(limited, req);
  };

  const listeners: Listener[] = [];
  const closeAll = async (): Promise<void> => {
    for (const listener of listeners.splice(0).reverse()) await listener.close();
  };
  let tcp: Listener;
  let tlsAddress: ListenerAddress | null = null;
  let wsAddress: ListenerAddress | null = null;
  try {
    tcp = await startTcpListener(host, options.port ?? 1883, accept);
    listeners.push(tcp);
    if (options.tls) {
      const listener = await startTlsListener(host, options.tls, accept, (err, remote) => {
        stats.refused.tls += 1;
        log.warn({ remote, reason: err.message }, 'refused TLS handshake');
      });
      listeners.push(listener);
      tlsAddress = {
        host: listener.host,
        port: listener.port,
        url: `mqtts://${urlHost(listener.host)}:${listener.port}`,
      };
    }
    if (options.websocket) {
      // One MQTT packet per WebSocket message at most: the same limit bounds both.
      const listener = await startWebSocketListener(host, options.websocket, maxPacketBytes, accept);
      listeners.push(listener);
      wsAddress = {
        host: listener.host,
        port: listener.port,
        url: `ws://${urlHost(listener.host)}:${listener.port}${options.websocket.path ?? ''}`,
      };
    }
  } catch (err) {
    await closeAll();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await retained?.close();
    throw err;
  }

  const url = `mqtt://${urlHost(host)}:${tcp.port}`;
  log.info(
    {
      url,
      tls: tlsAddress?.url,
      websocket: wsAddress?.url,
      secured: options.security !== undefined,
      anonymous: anonymous ?? 'open broker',
      maxPacketBytes,
      persistence: retained?.file,
    },
    options.security
      ? anonymous === 'refuse'
        ? 'broker listening; anonymous clients are refused'
        : `broker listening; anonymous clients are viewers (${anonymous} addresses)`
      : 'broker listening without authentication: every client may do everything',
  );

  let closing: Promise<void> | null = null;
  return {
    aedes,
    host,
    port: tcp.port,
    url,
    tls: tlsAddress,
    websocket: wsAddress,
    stats,
    identityOf(clientId) {
      const client = clients.get(clientId);
      return client ? identityOf(client) : undefined;
    },
    dropClient(clientId) {
      const client = clients.get(clientId);
      if (!client) return false;
      client.conn.destroy();
      return true;
    },
    close() {
      closing ??= (async () => {
        // Listeners first (which ends every connection), then aedes, then the last write.
        await closeAll();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await retained?.close();
      })();
      return closing;
    },
  };
}
