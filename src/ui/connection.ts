// The page's one MQTT connection (MQTT.js's browser build, over WebSocket): subscribes to
// what the dashboard shows, parses every message with the protocol's schemas at the edge,
// finds out the role the broker gave it, and sends typed requests like the CLI does.
import mqtt, { type MqttClient } from 'mqtt';
import { type IncomingMessage, parseIncoming } from '../protocol/messages.js';
import { REQUESTS, type ReplyData, type RequestBody } from '../protocol/requests.js';
import { createTopics, parseTopic, type RequestMethod } from '../protocol/topics.js';
import { PROTOCOL_VERSION } from '../protocol/version.js';

export interface Login {
  /** Absent: anonymous (the broker makes loopback clients viewers). */
  username?: string;
  password?: string;
}

/** What the broker lets this page do: operators may send requests; viewers only watch. */
export type PageRole = 'operator' | 'viewer';

export type ConnectionStatus = 'connecting' | 'connected' | 'closed' | 'refused';

export interface ConnectionHandlers {
  onMessage(message: IncomingMessage): void;
  onCleared(topic: string): void;
  onStatus(status: ConnectionStatus, detail?: string): void;
  onRole(role: PageRole): void;
}

export interface Connection {
  readonly clientId: string;
  request<M extends RequestMethod>(
    method: M,
    body: RequestBody<M>,
    timeoutMs?: number,
  ): Promise<ReplyData<M>>;
  close(): void;
}

interface Pending {
  method: RequestMethod;
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A request's failure, with the orchestrator's (or the page's) error code. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function randomId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function connect(
  brokerWsUrl: string,
  prefix: string,
  login: Login,
  handlers: ConnectionHandlers,
): Connection {
  const topics = createTopics(prefix);
  const clientId = `alicia-ui-${randomId()}`;
  const replyTopic = topics.clientReply(clientId);
  const pending = new Map<string, Pending>();
  const client: MqttClient = mqtt.connect(brokerWsUrl, {
    clientId,
    ...(login.username ? { username: login.username, password: login.password ?? '' } : {}),
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
  });
  handlers.onStatus('connecting');

  const failPending = (code: string, message: string) => {
    for (const [transaction, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(code, message));
      pending.delete(transaction);
    }
  };

  client.on('connect', () => {
    handlers.onStatus('connected');
    client.subscribe(
      [
        topics.orchestratorState,
        topics.servicesEvents,
        topics.filters.serviceStates,
        ...['state', 'info', 'heartbeat', 'containers'].map((t) => `${prefix}/agents/+/${t}`),
      ],
      { qos: 1 },
    );
    // The role probe: the broker grants a reply-topic subscription only to roles that may
    // read it (operators); a viewer gets SUBACK 0x80 [MQTT-3.9.3-2] and sees no actions.
    client.subscribe(replyTopic, { qos: 1 }, (err, granted) => {
      const ok = !err && granted !== undefined && granted.length > 0 && granted.every((g) => g.qos !== 128);
      handlers.onRole(ok ? 'operator' : 'viewer');
    });
  });
  client.on('reconnect', () => handlers.onStatus('connecting'));
  client.on('close', () => {
    // aedes closes the connection of a client whose publish the ACL refuses. MQTT.js would
    // send the unacknowledged request again on reconnect (and be closed again, forever; or
    // scale twice): a request cut off is failed here instead, for the user to retry.
    for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    failPending('ALICIA_ERR_TRANSPORT_CLOSED', 'the broker closed the connection (request not authorized?)');
    handlers.onStatus('closed');
  });
  client.on('error', (err) => {
    console.warn(`alicia: broker connection: ${err.message}`);
    const code = (err as { code?: number }).code;
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      // Bad user name or password / not authorized: retrying would only be refused again.
      client.end(true);
      handlers.onStatus('refused', err.message);
    }
  });
  client.on('message', (topic, payload) => {
    if (payload.length === 0) {
      handlers.onCleared(topic);
      return;
    }
    const parsed = parseIncoming(topic, payload, { prefix });
    if (!parsed.ok) {
      console.warn(`alicia: dropped a message on ${topic}: ${parsed.error.code} ${parsed.error.message}`);
      return;
    }
    if (parsed.kind === 'client_reply') {
      const reply = parsed.payload;
      const p = reply.transaction === null ? undefined : pending.get(reply.transaction);
      if (!p || reply.transaction === null) return;
      pending.delete(reply.transaction);
      clearTimeout(p.timer);
      if (reply.status === 'error') {
        p.reject(new RequestError(reply.error.code, reply.error.message));
        return;
      }
      const data = REQUESTS[p.method].reply.safeParse(reply.data);
      if (data.success) p.resolve(data.data);
      else
        p.reject(
          new RequestError('ALICIA_ERR_PAYLOAD_SCHEMA', `reply to ${p.method} does not match its schema`),
        );
      return;
    }
    handlers.onMessage(parsed);
  });

  return {
    clientId,
    request<M extends RequestMethod>(method: M, body: RequestBody<M>, timeoutMs = 15_000) {
      return new Promise<ReplyData<M>>((resolve, reject) => {
        if (!client.connected) {
          reject(new RequestError('ALICIA_ERR_TRANSPORT_CLOSED', 'not connected to the broker'));
          return;
        }
        const transaction = `ui-${randomId()}`;
        const timer = setTimeout(() => {
          pending.delete(transaction);
          reject(
            new RequestError('ALICIA_ERR_REQUEST_TIMEOUT', `no reply to ${method} within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        pending.set(transaction, {
          method,
          resolve: resolve as (data: unknown) => void,
          reject,
          timer,
        });
        const wire = { ...body, v: PROTOCOL_VERSION, transaction, reply_to: replyTopic };
        client.publish(topics.orchestratorRequest(method), JSON.stringify(wire), { qos: 1 }, (err) => {
          if (!err) return;
          pending.delete(transaction);
          clearTimeout(timer);
          reject(new RequestError('ALICIA_ERR_TRANSPORT_CLOSED', err.message));
        });
      });
    },
    close() {
      failPending('ALICIA_ERR_TRANSPORT_CLOSED', 'connection closed');
      client.end(true);
    },
  };
}

/** The topic a cleared retained message was on, when it is one the page shows. */
export function clearedTopic(topic: string, prefix: string) {
  return parseTopic(topic, prefix);
}
