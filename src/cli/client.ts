// The request client the CLI uses: connects to the broker with the operator's credentials,
// sends requests on alicia/orchestrator/request/<method> with a reply_to of its own, and
// follows the event topics. Credentials: --username/--password, else ALICIA_USERNAME /
// ALICIA_PASSWORD, else ${ALICIA_HOME:-~/.alicia}/operator.json (whose url is used too
// when no --broker is given), else anonymous on mqtt://127.0.0.1:1883.
import { accessSync, constants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { nanoid } from 'nanoid';
import type { ZodType } from 'zod';
import { aliciaError, ERRORS, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import type {
  AliciaEvent,
  EventType,
  Reply,
  ReplyData,
  RequestBody,
  RequestMethod,
} from '../protocol/index.js';
import type { Transport } from '../transport/index.js';

// Only light modules at the top: every sub-command imports this file when it registers,
// so MQTT, pino and the zod schemas are loaded inside connectClient, when they are used.

export const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';

export interface ConnectionFlags {
  broker?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  prefix?: string | undefined;
  tlsCa?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

/** CA, client certificate and key files for mqtts:// and wss://. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface Connection {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  prefix: string;
  tls?: TlsFiles | undefined;
  /** Where the credentials came from (for messages; never the secret itself). */
  source: 'flags' | 'env' | 'operator-file' | 'none';
}

export interface OperatorFile {
  url: string;
  username: string;
  password: string;
}

export function aliciaHomeDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.ALICIA_HOME;
  return home !== undefined && home !== '' ? home : path.join(os.homedir(), '.alicia');
}

/** Reads `operator.json`, or null when it does not exist; a broken one is an error that names it. */
export function readOperatorFile(env: NodeJS.ProcessEnv = process.env): OperatorFile | null {
  const file = path.join(aliciaHomeDir(env), 'operator.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file} is not valid JSON`);
  }
  const o = json as Partial<Record<keyof OperatorFile, unknown>> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    typeof o.url !== 'string' ||
    o.url === '' ||
    typeof o.username !== 'string' ||
    typeof o.password !== 'string'
  ) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `${file} must hold {"url", "username", "password"} as strings`,
    );
  }
  return { url: o.url, username: o.username, password: o.password };
}

/** The --tls-* files, each checked readable now so a typo is named rather than a TLS error later. */
export function tlsFromFlags(flags: ConnectionFlags): TlsFiles | undefined {
  const files: [keyof TlsFiles, string, string | undefined][] = [
    ['ca', '--tls-ca', flags.tlsCa],
    ['cert', '--tls-cert', flags.tlsCert],
    ['key', '--tls-key', flags.tlsKey],
  ];
  const tls: TlsFiles = {};
  for (const [field, flag, file] of files) {
    if (file === undefined) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      throw aliciaError(
        'ALICIA_ERR_CONFIG_INVALID',
        `${flag}: cannot read ${file} (${(err as { code?: string }).code ?? String(err)})`,
      );
    }
    tls[field] = file;
  }
  return Object.keys(tls).length > 0 ? tls : undefined;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const tls = tlsFromFlags(flags);
  return { ...credentialsOf(flags, env), ...(tls !== undefined ? { tls } : {}) };
}

function credentialsOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const prefix = flags.prefix ?? env.ALICIA_PREFIX ?? 'alicia';
  if (flags.username !== undefined) {
    return {
      url: flags.broker ?? env.ALICIA_BROKER ?? DEFAULT_BROKER_URL,
      username: flags.username,
      password: flags.password,
      prefix,
      source: 'flags',
    };
  }
  if (env.ALICIA_USERNAME !== undefined && env.ALICIA_USERNAME !== '') {
    return {
      url: flags.broker ?? env.ALICIA_BROKER ?? DEFAULT_BROKER_URL,
      username: env.ALICIA_USERNAME,
      password: env.ALICIA_PASSWORD,
      prefix,
      source: 'env',
    };
  }
  const file = readOperatorFile(env);
  if (file !== null) {
    return {
      url: flags.broker ?? env.ALICIA_BROKER ?? file.url,
      username: file.username,
      password: file.password,
      prefix,
      source: 'operator-file',
    };
  }
  return { url: flags.broker ?? env.ALICIA_BROKER ?? DEFAULT_BROKER_URL, prefix, source: 'none' };
}

/** How long a request waits for the orchestrator's retained presence before saying none is online (ms). */
export const PRESENCE_WAIT_MS = 1_500;

export interface Client {
  readonly transport: Transport;
  readonly clientId: string;
  /**
   * Sends a request and resolves with the reply's data, checked against the method's reply
   * schema; an error reply rejects with its code and message. Fails at once, without
   * sending, when no orchestrator is online (its retained presence is offline or absent).
   */
  request<M extends RequestMethod>(
    method: M,
    body: RequestBody<M>,
    options?: { timeoutMs?: number },
  ): Promise<ReplyData<M>>;
  /**
   * Resolves when an orchestrator is online (its retained presence, awaited at most
   * PRESENCE_WAIT_MS); rejects with ALICIA_ERR_ORCHESTRATOR_OFFLINE naming `method` otherwise.
   */
  orchestratorOnline(method: RequestMethod): Promise<void>;
  /**
   * `request` for idempotent operations (down, scale, stop): when the orchestrator goes
   * offline while it waits (a crash, a restart), waits for it to come back and sends the
   * request again, until `timeoutMs` in all. The new orchestrator resumed the operation from
   * its persisted intent; the re-sent request queues behind it and reports the outcome.
   */
  requestAcrossRestarts<M extends RequestMethod>(
    method: M,
    body: RequestBody<M>,
    options: { timeoutMs: number; onRestart?: () => void },
  ): Promise<ReplyData<M>>;
  /** Resolves when an orchestrator is (or comes back) online; rejects after `timeoutMs`. */
  whenOrchestratorOnline(timeoutMs: number): Promise<void>;
  /** Calls `handler` for every lifecycle event (optionally of some types); resolves once subscribed. */
  followEvents(handler: (event: AliciaEvent) => void, types?: readonly EventType[]): Promise<() => void>;
  close(): Promise<void>;
}

export async function connectClient(
  connection: Connection,
  options: {
    log?: Logger;
    connectTimeoutMs?: number;
    presenceWaitMs?: number;
    /**
     * A fixed client id with a persistent session (clean: false): the broker keeps the
     * subscriptions and queues QoS 1 messages while this client is away (`alicia events --client-id`).
     */
    persistentId?: string | undefined;
  } = {},
): Promise<Client> {
  const { createTopics } = await import('../protocol/topics.js');
  const { PROTOCOL_VERSION } = await import('../protocol/version.js');
  const { REQUESTS } = await import('../protocol/requests.js');
  const { createMqttTransport } = await import('../transport/mqtt.js');
  const { silentLogger } = await import('../logging/logger.js');
  const { prettifyError } = await import('zod');
  const { createPresenceWatch } = await import('./presence-watch.js');
  const topics = createTopics(connection.prefix);
  const clientId = options.persistentId ?? `cli-${nanoid(10).replace(/[^A-Za-z0-9]/g, 'x')}`;
  const replyTopic = topics.clientReply(clientId);
  const transport = createMqttTransport({
    url: connection.url,
    clientId,
    username: connection.username,
    password: connection.password,
    ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
    prefix: connection.prefix,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    ...(options.persistentId !== undefined ? { clean: false } : {}),
    log: options.log ?? silentLogger(),
  });
  const waiting = new Map<
    string,
    { method: string; resolve(reply: Reply): void; reject(err: Error): void }
  >();
  const eventHandlers = new Set<(event: AliciaEvent) => void>();
  const early: AliciaEvent[] = [];
  const presence = createPresenceWatch(connection.url, options.presenceWaitMs ?? PRESENCE_WAIT_MS);
  presence.onOffline((error) => {
    // The orchestrator left (its will, or a clean stop): nobody will answer what waits.
    for (const w of [...waiting.values()]) w.reject(error(w.method));
  });
  transport.onMessage((message) => {
    if (!message.ok) return;
    switch (message.kind) {
      case 'client_reply': {
        const reply = message.payload;
        if (reply.transaction !== null) waiting.get(reply.transaction)?.resolve(reply);
        return;
      }
      case 'orchestrator_state':
        presence.update(message.payload);
        return;
      case 'services_events':
        // A persistent session delivers what was queued right after connecting, before
        // anyone follows: kept until the first follower (bounded).
        if (eventHandlers.size === 0) {
          if (early.length < 10_000) early.push(message.payload);
          return;
        }
        for (const handler of eventHandlers) handler(message.payload);
        return;
      default:
        return;
    }
  });
  try {
    await transport.ready();
  } catch (err) {
    await transport.close().catch(() => undefined);
    // Refused credentials are said as such (the transport names the user); anything else
    // is a broker that did not answer in time.
    if ((err as { code?: unknown }).code === 'ALICIA_ERR_AUTH') throw err;
    const who = connection.username !== undefined ? ` as ${connection.username}` : '';
    throw aliciaError('ALICIA_ERR_TIMEOUT', `cannot reach the broker at ${connection.url}${who}`, {
      cause: err,
    });
  }
  // The orchestrator's presence is retained: it arrives right after the subscription.
  await transport.subscribe([replyTopic, topics.orchestratorState]);

  // The same map, seen per method: lets `replySchemas[method]` keep the method's own type.
  const replySchemas: { [K in RequestMethod]: { reply: ZodType<ReplyData<K>> } } = REQUESTS;
  /** The reply's data checked against the method's reply schema: a mismatch names the method. */
  function replyData<M extends RequestMethod>(method: M, data: unknown): ReplyData<M> {
    const parsed = replySchemas[method].reply.safeParse(data);
    if (!parsed.success) {
      throw aliciaError(
        'ALICIA_ERR_PAYLOAD_SCHEMA',
        `the reply to ${method} does not match its schema (is the orchestrator another version?): ${prettifyError(parsed.error).replaceAll('\n', '; ')}`,
      );
    }
    return parsed.data;
  }

  const client: Client = {
    transport,
    clientId,
    orchestratorOnline: (method) => presence.online(method),
    whenOrchestratorOnline: (timeoutMs) => presence.whenOnline(timeoutMs),
    async request(method, body, requestOptions = {}) {
      await presence.online(method);
      const transaction = nanoid();
      // Queries wait 30 s by default ($ALICIA_REQUEST_TIMEOUT_MS overrides it); deploys pass their own.
      const fromEnv = Number(process.env.ALICIA_REQUEST_TIMEOUT_MS);
      const timeoutMs =
        requestOptions.timeoutMs ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 30_000);
      const reply = await new Promise<Reply>((resolve, reject) => {
        const settle = () => {
          clearTimeout(timer);
          waiting.delete(transaction);
        };
        const timer = setTimeout(() => {
          settle();
          reject(
            aliciaError(
              'ALICIA_ERR_REQUEST_TIMEOUT',
              `no answer to ${method} within ${timeoutMs} ms from the orchestrator on ${connection.url} (${presence.describe()})`,
            ),
          );
        }, timeoutMs);
        waiting.set(transaction, {
          method,
          resolve: (r) => {
            settle();
            resolve(r);
          },
          reject: (err) => {
            settle();
            reject(err);
          },
        });
        transport
          .publish(
            topics.orchestratorRequest(method),
            { ...body, v: PROTOCOL_VERSION, transaction, reply_to: replyTopic },
            { qos: 1 },
          )
          .catch((err: unknown) => {
            settle();
            reject(err);
          });
      });
      if (reply.status === 'error') {
        throw aliciaError(reply.error.code, stripPrefix(reply.error.code, reply.error.message));
      }
      return replyData(method, reply.data);
    },
    async requestAcrossRestarts(method, body, options) {
      const deadline = Date.now() + options.timeoutMs;
      // No orchestrator online now: fail at once, as `request` does (nothing was sent). Only
      // one that goes away while we wait is waited for.
      await presence.online(method);
      for (;;) {
        try {
          return await client.request(method, body, { timeoutMs: Math.max(1, deadline - Date.now()) });
        } catch (err) {
          if ((err as { code?: string }).code !== 'ALICIA_ERR_ORCHESTRATOR_OFFLINE' || Date.now() >= deadline)
            throw err;
          options.onRestart?.();
          await presence.whenOnline(Math.max(1, deadline - Date.now()));
        }
      }
    },
    async followEvents(handler, types) {
      const filter = types === undefined || types.length === 0 ? undefined : new Set<string>(types);
      const wrapped = (event: AliciaEvent): void => {
        if (filter === undefined || filter.has(event.event_type)) handler(event);
      };
      eventHandlers.add(wrapped);
      for (const event of early.splice(0)) wrapped(event);
      if (eventHandlers.size === 1) await transport.subscribe([topics.servicesEvents]);
      return () => {
        eventHandlers.delete(wrapped);
      };
    },
    async close() {
      presence.close();
      // What still waits gets no answer now: its timer must not keep the process alive.
      for (const w of [...waiting.values()])
        w.reject(
          aliciaError('ALICIA_ERR_REQUEST_TIMEOUT', `the client closed before ${w.method} was answered`),
        );
      await transport.close();
    },
  };
  return client;
}

/** The error's own detail: aliciaError puts the table's message back in front of it. */
function stripPrefix(code: ErrorCode, message: string): string | undefined {
  const head = ERRORS[code];
  if (message === head) return undefined;
  return message.startsWith(`${head}: `) ? message.slice(head.length + 2) : message;
}

/** The connection flags every client sub-command takes. */
export function addConnectionOptions(command: Command): Command {
  return addTlsOptions(
    command
      .option('--broker <url>', 'broker URL (default: operator.json, else mqtt://127.0.0.1:1883)')
      .option('--username <user>', 'broker user (default: $ALICIA_USERNAME, else operator.json)')
      .option('--password <password>', 'broker password (default: $ALICIA_PASSWORD, else operator.json)')
      .option('--prefix <prefix>', 'topic prefix (default alicia)'),
  ).option('--json', 'print JSON');
}

/** The TLS flags of every command that connects to a broker (`when`: a note such as "with --broker: "). */
export function addTlsOptions(command: Command, when = ''): Command {
  return command
    .option('--tls-ca <file>', `${when}CA certificate for mqtts:// and wss://`)
    .option('--tls-cert <file>', `${when}client certificate, when the broker asks for one`)
    .option('--tls-key <file>', `${when}client key, when the broker asks for one`);
}

/** Connects with the sub-command's flags; the caller closes the client. */
export async function clientFromFlags(
  flags: ConnectionFlags,
  options: { persistentId?: string | undefined } = {},
): Promise<Client> {
  return connectClient(resolveConnection(flags), options);
}

/**
 * The body of every request sub-command: connect with its flags, run `work`, close, and on
 * any error print it (as JSON with --json) and exit 1.
 */
export async function withClient(
  flags: ConnectionFlags & { json?: boolean },
  work: (client: Client) => Promise<void>,
): Promise<void> {
  const { fail } = await import('./output.js');
  try {
    const client = await clientFromFlags(flags);
    try {
      await work(client);
    } finally {
      await client.close();
    }
  } catch (err) {
    fail(err, flags.json);
  }
}

/** Left-aligned columns separated by two spaces, header first (like `docker ps`). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

// Moved to the event view (exhaustive over event types); kept here for existing importers.
export { formatEvent } from './event-view.js';
