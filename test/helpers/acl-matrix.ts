// One allow/deny table for every role × topic family × publish/subscribe. It drives the
// unit test of src/core/acl, the embedded-broker test and the Mosquitto test, so the three
// agree on the same rules. Written out by hand (not computed from the ACL code) on purpose.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Role } from '../../src/core/acl/index.js';

export interface MatrixUser {
  name: string;
  role: Role;
  password: string;
  /** Agents must use `alicia-agent-<id>`. */
  clientId: string;
}

export const MATRIX_USERS: Record<Role, MatrixUser> = {
  orchestrator: {
    name: 'orchestrator',
    role: 'orchestrator',
    password: 'orchestrator-secret',
    clientId: 'alicia-orchestrator',
  },
  agent: { name: 'pi-1', role: 'agent', password: 'pi-1-secret', clientId: 'alicia-agent-pi-1' },
  operator: { name: 'operator', role: 'operator', password: 'operator-secret', clientId: 'matrix-operator' },
  viewer: { name: 'dashboard', role: 'viewer', password: 'viewer-secret', clientId: 'matrix-viewer' },
  homeassistant: {
    name: 'homeassistant',
    role: 'homeassistant',
    password: 'homeassistant-secret',
    clientId: 'matrix-homeassistant',
  },
};

/** A second agent, the one pi-1 must not impersonate. */
export const OTHER_AGENT: MatrixUser = {
  name: 'pi-2',
  role: 'agent',
  password: 'pi-2-secret',
  clientId: 'alicia-agent-pi-2',
};

const O = 'orchestrator';
const A = 'agent';
const P = 'operator';
const V = 'viewer';
const H = 'homeassistant';

interface Family {
  family: string;
  topic: string;
  publish: readonly Role[];
  subscribe: readonly Role[];
}

/** Concrete topics (agent = pi-1, the other agent = pi-2). */
const FAMILIES: readonly Family[] = [
  { family: 'orchestrator state', topic: 'alicia/orchestrator/state', publish: [O], subscribe: [O, A, P, V] },
  { family: 'orchestrator health', topic: 'alicia/orchestrator/health', publish: [O], subscribe: [O, P, V] },
  { family: 'request', topic: 'alicia/orchestrator/request/deploy', publish: [O, P], subscribe: [O, P] },
  { family: 'own agent state', topic: 'alicia/agents/pi-1/state', publish: [O, A], subscribe: [O, P, V] },
  { family: 'other agent state', topic: 'alicia/agents/pi-2/state', publish: [O], subscribe: [O, P, V] },
  { family: 'own agent info', topic: 'alicia/agents/pi-1/info', publish: [O, A], subscribe: [O, P, V] },
  { family: 'other agent info', topic: 'alicia/agents/pi-2/info', publish: [O], subscribe: [O, P, V] },
  { family: 'own heartbeat', topic: 'alicia/agents/pi-1/heartbeat', publish: [O, A], subscribe: [O, P, V] },
  { family: 'other heartbeat', topic: 'alicia/agents/pi-2/heartbeat', publish: [O], subscribe: [O, P, V] },
  { family: 'own containers', topic: 'alicia/agents/pi-1/containers', publish: [O, A], subscribe: [O, P, V] },
  { family: 'other containers', topic: 'alicia/agents/pi-2/containers', publish: [O], subscribe: [O, P, V] },
  { family: 'own cmd', topic: 'alicia/agents/pi-1/cmd/start', publish: [O], subscribe: [O, A, P] },
  { family: 'other cmd', topic: 'alicia/agents/pi-2/cmd/start', publish: [O], subscribe: [O, P] },
  { family: 'own response', topic: 'alicia/agents/pi-1/response/start', publish: [O, A], subscribe: [O, P] },
  { family: 'other response', topic: 'alicia/agents/pi-2/response/start', publish: [O], subscribe: [O, P] },
  { family: 'events', topic: 'alicia/services/events', publish: [O], subscribe: [O, P, V] },
  { family: 'event type', topic: 'alicia/services/service_started', publish: [O], subscribe: [O, P, V] },
  {
    family: 'service state',
    topic: 'alicia/stacks/demo/services/web/state',
    publish: [O],
    subscribe: [O, P, V],
  },
  { family: 'stack level', topic: 'alicia/stacks/demo/other', publish: [O], subscribe: [O, P] },
  { family: 'client reply', topic: 'alicia/clients/cli-1/reply', publish: [O], subscribe: [O, P] },
  { family: 'unknown under prefix', topic: 'alicia/elsewhere/x', publish: [O], subscribe: [O, P] },
  // Home Assistant: its restart button is a restart request; discovery under homeassistant/.
  {
    family: 'restart request',
    topic: 'alicia/orchestrator/request/restart',
    publish: [O, P, H],
    subscribe: [O, P],
  },
  {
    family: 'discovery config',
    topic: 'homeassistant/device/alicia_alicia_demo_web/config',
    publish: [O, H],
    subscribe: [O, H],
  },
  { family: 'home assistant status', topic: 'homeassistant/status', publish: [O, H], subscribe: [O, H] },
];

/** Home Assistant reads whatever a viewer reads (and more, listed explicitly above). */
const withHomeAssistant = (roles: readonly Role[]): readonly Role[] =>
  roles.includes(V) && !roles.includes(H) ? [...roles, H] : roles;

export interface MatrixRow {
  name: string;
  role: Role;
  action: 'publish' | 'subscribe';
  /** Topic published to, or filter subscribed to. */
  topic: string;
  /** Subscribe rows: the concrete topic the orchestrator publishes to test delivery. */
  probe: string;
  /** The publish is delivered / the probe reaches the subscriber. */
  allowed: boolean;
  /**
   * Subscribe rows on the embedded broker: `granted` (SUBACK with the QoS) or `refused`
   * (SUBACK 0x80). A wildcard grant may still hold back what the role may not read.
   */
  suback: 'granted' | 'refused';
}

const ROLES_IN_MATRIX: readonly Role[] = [O, A, P, V, H];

interface WildcardRow {
  filter: string;
  probe: string;
  /** Roles that get the probe. */
  delivered: readonly Role[];
  /** Roles whose SUBACK is a grant (full or filtered). */
  granted: readonly Role[];
}

/** Broad filters: granted when they reach anything the role may read; deliveries filtered. */
const WILDCARDS: readonly WildcardRow[] = [
  { filter: 'alicia/#', probe: 'alicia/agents/pi-2/cmd/start', delivered: [O, P], granted: [O, A, P, V] },
  { filter: 'alicia/#', probe: 'alicia/services/events', delivered: [O, P, V], granted: [O, A, P, V] },
  { filter: '#', probe: 'alicia/agents/pi-1/cmd/stop', delivered: [O, A, P], granted: [O, A, P, V] },
  { filter: '#', probe: 'homeassistant/status', delivered: [O, H], granted: [O, A, P, V, H] },
  {
    filter: 'alicia/agents/+/cmd/+',
    probe: 'alicia/agents/pi-1/cmd/start',
    delivered: [O, A, P],
    granted: [O, A, P],
  },
  {
    filter: 'alicia/agents/+/cmd/+',
    probe: 'alicia/agents/pi-2/cmd/start',
    delivered: [O, P],
    granted: [O, A, P],
  },
  {
    filter: 'alicia/agents/pi-1/cmd/#',
    probe: 'alicia/agents/pi-1/cmd/apply',
    delivered: [O, A, P],
    granted: [O, A, P],
  },
  {
    filter: 'alicia/agents/+/state',
    probe: 'alicia/agents/pi-2/state',
    delivered: [O, P, V],
    granted: [O, P, V],
  },
  {
    filter: 'alicia/clients/+/reply',
    probe: 'alicia/clients/cli-9/reply',
    delivered: [O, P],
    granted: [O, P],
  },
];

function build(): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const f of FAMILIES) {
    for (const role of ROLES_IN_MATRIX) {
      const pub = f.publish.includes(role);
      const sub = withHomeAssistant(f.subscribe).includes(role);
      rows.push({
        name: `${role} publish ${f.family} (${f.topic}) → ${pub ? 'allowed' : 'denied'}`,
        role,
        action: 'publish',
        topic: f.topic,
        probe: f.topic,
        allowed: pub,
        suback: 'refused',
      });
      rows.push({
        name: `${role} subscribe ${f.family} (${f.topic}) → ${sub ? 'allowed' : 'denied'}`,
        role,
        action: 'subscribe',
        topic: f.topic,
        probe: f.topic,
        allowed: sub,
        suback: sub ? 'granted' : 'refused',
      });
    }
  }
  for (const w of WILDCARDS) {
    for (const role of ROLES_IN_MATRIX) {
      const delivered = withHomeAssistant(w.delivered).includes(role);
      rows.push({
        name: `${role} subscribe ${w.filter}, probe ${w.probe} → ${delivered ? 'delivered' : 'held back'}`,
        role,
        action: 'subscribe',
        topic: w.filter,
        probe: w.probe,
        allowed: delivered,
        suback: withHomeAssistant(w.granted).includes(role) ? 'granted' : 'refused',
      });
    }
  }
  return rows;
}

export const ACL_MATRIX: readonly MatrixRow[] = build();

// ---------------------------------------------------------------------------------------
// Running the matrix against a real broker (embedded aedes or Mosquitto) with MQTT.js.

/** A topic every role may read: the sentinel that proves "nothing more is coming". */
export const SENTINEL_TOPIC = 'alicia/orchestrator/state';

export interface ConnectResult {
  client: MqttClient | null;
  /** CONNACK return code: 0 accepted. */
  returnCode: number;
}

/** Connects once (no reconnects) and reports the CONNACK return code. */
export function tryConnect(url: string, options: IClientOptions = {}): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      ...options,
    });
    const done = (result: ConnectResult): void => {
      client.removeAllListeners('connect');
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      resolve(result);
    };
    client.once('connect', () => done({ client, returnCode: 0 }));
    client.once('error', (err: Error & { code?: unknown }) => {
      client.end(true);
      done({ client: null, returnCode: typeof err.code === 'number' ? err.code : -1 });
    });
  });
}

export async function connectAs(
  url: string,
  user: MatrixUser | null,
  options: IClientOptions = {},
): Promise<MqttClient> {
  const result = await tryConnect(url, {
    clientId: user?.clientId ?? `matrix-anon-${Math.random().toString(36).slice(2)}`,
    ...(user ? { username: user.name, password: user.password } : {}),
    ...options,
  });
  if (!result.client)
    throw new Error(`${user?.name ?? 'anonymous'} could not connect: CONNACK ${result.returnCode}`);
  return result.client;
}

/** Resolves with the first message on `client` that satisfies `match`, or rejects at the deadline. */
export function nextMessage(
  client: MqttClient,
  match: (topic: string, payload: string) => boolean,
  deadlineMs = 5_000,
): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no matching message within ${deadlineMs} ms`));
    }, deadlineMs);
    const onMessage = (topic: string, payload: Buffer): void => {
      const text = payload.toString('utf8');
      if (!match(topic, text)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload: text });
    };
    client.on('message', onMessage);
  });
}

/** Subscribes and returns the SUBACK code: the granted QoS, or 128 (0x80) for a refusal. */
export async function subscribeGranted(client: MqttClient, filter: string, qos: 0 | 1): Promise<number> {
  try {
    const [grant] = await client.subscribeAsync(filter, { qos });
    return grant?.qos ?? -1;
  } catch (err) {
    // MQTT.js 5 rejects on a refusal and keeps the SUBACK on the error.
    const packet = (err as { packet?: { granted?: unknown[] } }).packet;
    const code = packet?.granted?.[0];
    if (typeof code === 'number') return code;
    throw err;
  }
}

export interface MatrixObservation {
  /** Publish rows: the observer got the probe. Subscribe rows: the subscriber got it. */
  delivered: boolean;
  /** Subscribe rows: the granted QoS, 128 for a refusal. */
  granted?: number;
  /** Publish rows: how the publish ended — acknowledged, or the broker closed the connection. */
  publishOutcome?: 'acked' | 'closed';
}

let rowCounter = 0;

/**
 * Runs one matrix row. `orchestrator` publishes probes and sentinels and, subscribed to
 * `alicia/#`, observes publishes (and `homeassistant/#`); it must stay connected for the whole matrix.
 */
export async function observeRow(
  url: string,
  row: MatrixRow,
  orchestrator: MqttClient,
): Promise<MatrixObservation> {
  rowCounter += 1;
  const probe = `probe:${process.pid}:${rowCounter}`;
  const sentinel = `sentinel:${process.pid}:${rowCounter}`;
  const base = MATRIX_USERS[row.role];
  // The observer holds the orchestrator's client id: a second connection with it would take
  // its session over [MQTT-3.1.4-2].
  const user = row.role === 'orchestrator' ? { ...base, clientId: `${base.clientId}-row` } : base;
  const client = await connectAs(url, user);
  try {
    if (row.action === 'subscribe') {
      const granted = await subscribeGranted(client, row.topic, 1);
      await client.subscribeAsync(SENTINEL_TOPIC, { qos: 1 });
      let delivered = false;
      const seen = nextMessage(client, (_t, p) => {
        if (p === probe) delivered = true;
        return p === sentinel;
      });
      // Same publisher connection, QoS 1: the probe is routed before the sentinel.
      await orchestrator.publishAsync(row.probe, probe, { qos: 1 });
      await orchestrator.publishAsync(SENTINEL_TOPIC, sentinel, { qos: 1 });
      await seen;
      return { delivered, granted };
    }
    let delivered = false;
    const watch = (_t: string, payload: Buffer): void => {
      if (payload.toString('utf8') === probe) delivered = true;
    };
    orchestrator.on('message', watch);
    try {
      const probeArrives = nextMessage(orchestrator, (_t, p) => p === probe, 5_000);
      probeArrives.catch(() => undefined);
      const outcome = await new Promise<'acked' | 'closed'>((resolve) => {
        client.once('close', () => resolve('closed'));
        client.publish(row.topic, probe, { qos: 1 }, (err) => {
          if (!err) resolve('acked');
        });
      });
      if (row.allowed) {
        // An allowed probe is awaited itself: PUBACK may precede routing on some brokers.
        await probeArrives.then(
          () => undefined,
          () => undefined,
        );
      } else {
        // A refused probe was dropped before the ack or the close; the sentinel published
        // after that proves nothing is still on its way.
        const seen = nextMessage(orchestrator, (_t, p) => p === sentinel);
        await orchestrator.publishAsync(SENTINEL_TOPIC, sentinel, { qos: 1 });
        await seen;
      }
      return { delivered, publishOutcome: outcome };
    } finally {
      orchestrator.off('message', watch);
    }
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
