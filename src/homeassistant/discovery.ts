// Home Assistant MQTT device discovery payloads (Home Assistant >= 2024.11): one retained
// config per device on `<discovery>/device/<object_id>/config` with `dev`, `o` and `cmps`
// (each component with `p` and `unique_id`). Pure: names in, topic and payload out.
//
// State comes from Alicia's own retained topics through value templates, so there is no
// second copy of any state to keep in step; availability comes from Alicia's presence
// topics. The restart button publishes an ordinary `restart` request, so the broker's ACL
// decides who may press it and the orchestrator answers it like any other.
import type { Topics } from '../protocol/topics.js';

export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';

/** A device config: the retained message that creates (or, empty, removes) a device. */
export interface DiscoveryMessage {
  topic: string;
  /** The device's identifier, also the `<object_id>` of its topic. */
  id: string;
  payload: DevicePayload;
}

export interface DevicePayload {
  dev: { ids: string[]; name: string; mf: string; mdl: string; sw: string };
  o: { name: string; sw: string };
  cmps: Record<string, Component>;
  /** Shared with every component (overridable per component). */
  state_topic?: string;
  qos: 0 | 1;
  availability?: Availability[];
}

export interface Availability {
  topic: string;
  value_template: string;
  payload_available: string;
  payload_not_available: string;
}

export type Component = {
  p: 'binary_sensor' | 'sensor' | 'button';
  unique_id: string;
  name: string;
} & Record<string, unknown>;

export interface DiscoveryContext {
  topics: Topics;
  discoveryPrefix: string;
  version: string;
}

/** `[a-zA-Z0-9_-]` only: what Home Assistant accepts as an object id. */
export function objectId(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_-]/g, '_')).join('_');
}

export function discoveryTopic(discoveryPrefix: string, id: string): string {
  return `${discoveryPrefix}/device/${id}/config`;
}

/** Where Home Assistant announces itself (`online` after a restart: configs are re-sent). */
export function statusTopic(discoveryPrefix: string): string {
  return `${discoveryPrefix}/status`;
}

const origin = (ctx: DiscoveryContext) => ({ name: 'Alicia', sw: ctx.version });

/** The orchestrator's presence: every service device is available while it is online. */
function orchestratorAvailability(topics: Topics): Availability {
  return {
    topic: topics.orchestratorState,
    value_template: '{{ value_json.state }}',
    payload_available: 'online',
    payload_not_available: 'offline',
  };
}

/** The device id prefix: two Alicia installations (prefixes) on one broker stay apart. */
const base = (topics: Topics) => objectId('alicia', topics.prefix);

/** One device per service: running, problem, replicas, restart. */
export function serviceDevice(ctx: DiscoveryContext, stack: string, service: string): DiscoveryMessage {
  const { topics } = ctx;
  const id = objectId(base(topics), stack, service);
  const request = {
    v: 1,
    // Requests are not de-duplicated by transaction: every press restarts.
    transaction: 'homeassistant-restart',
    // Nobody needs the reply (Home Assistant shows the result through the state topic).
    reply_to: topics.clientReply('homeassistant'),
    stack,
    service,
  };
  return {
    id,
    topic: discoveryTopic(ctx.discoveryPrefix, id),
    payload: {
      dev: {
        ids: [id],
        name: `${stack} ${service}`,
        mf: 'Alicia',
        mdl: 'service',
        sw: ctx.version,
      },
      o: origin(ctx),
      state_topic: topics.serviceState(stack, service),
      qos: 1,
      availability: [orchestratorAvailability(topics)],
      cmps: {
        [`${id}_running`]: {
          p: 'binary_sensor',
          unique_id: `${id}_running`,
          name: 'Running',
          device_class: 'running',
          value_template: "{{ 'ON' if value_json.running_replicas > 0 else 'OFF' }}",
          json_attributes_topic: topics.serviceState(stack, service),
          json_attributes_template:
            '{{ {"state": value_json.state, "hosts": value_json.hosts, "desired": value_json.desired_replicas} | tojson }}',
        },
        [`${id}_problem`]: {
          p: 'binary_sensor',
          unique_id: `${id}_problem`,
          name: 'Health',
          device_class: 'problem',
          // A problem: a replica unhealthy or degraded, or fewer running than desired
          // (one-shot jobs that completed are done, not missing).
          value_template:
            "{{ 'ON' if value_json.health in ['unhealthy', 'degraded'] or (value_json.running_replicas + value_json.completed_replicas) < value_json.desired_replicas else 'OFF' }}",
        },
        [`${id}_replicas`]: {
          p: 'sensor',
          unique_id: `${id}_replicas`,
          name: 'Replicas',
          state_class: 'measurement',
          unit_of_measurement: 'replicas',
          value_template: '{{ value_json.running_replicas }}',
        },
        [`${id}_restart`]: {
          p: 'button',
          unique_id: `${id}_restart`,
          name: 'Restart',
          device_class: 'restart',
          command_topic: topics.orchestratorRequest('restart'),
          payload_press: JSON.stringify(request),
          qos: 1,
        },
      },
    },
  };
}

/** One device per agent (host): online, containers, load, memory. */
export function agentDevice(ctx: DiscoveryContext, agent: string, hostname: string | null): DiscoveryMessage {
  const { topics } = ctx;
  const id = objectId(base(topics), 'agent', agent);
  // The host's sensors are available while its agent is online; `online` itself always is.
  const agentAvailability: Availability[] = [
    {
      topic: topics.agentState(agent),
      value_template: '{{ value_json.state }}',
      payload_available: 'online',
      payload_not_available: 'offline',
    },
  ];
  return {
    id,
    topic: discoveryTopic(ctx.discoveryPrefix, id),
    payload: {
      dev: {
        ids: [id],
        name: `Alicia agent ${agent}${hostname !== null && hostname !== agent ? ` (${hostname})` : ''}`,
        mf: 'Alicia',
        mdl: 'agent',
        sw: ctx.version,
      },
      o: origin(ctx),
      qos: 1,
      cmps: {
        [`${id}_online`]: {
          p: 'binary_sensor',
          unique_id: `${id}_online`,
          name: 'Online',
          device_class: 'connectivity',
          state_topic: topics.agentState(agent),
          value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
        },
        [`${id}_containers`]: {
          p: 'sensor',
          unique_id: `${id}_containers`,
          name: 'Containers',
          state_class: 'measurement',
          unit_of_measurement: 'containers',
          state_topic: topics.agentContainers(agent),
          value_template: '{{ value_json.containers | length }}',
          availability: agentAvailability,
        },
        [`${id}_load`]: {
          p: 'sensor',
          unique_id: `${id}_load`,
          name: 'Load (1 min)',
          state_class: 'measurement',
          state_topic: topics.agentHeartbeat(agent),
          value_template: '{{ value_json.load[0] }}',
          availability: agentAvailability,
        },
        [`${id}_memory`]: {
          p: 'sensor',
          unique_id: `${id}_memory`,
          name: 'Memory used',
          state_class: 'measurement',
          unit_of_measurement: '%',
          state_topic: topics.agentHeartbeat(agent),
          value_template:
            '{{ ((1 - value_json.mem.free_bytes / value_json.mem.total_bytes) * 100) | round(1) }}',
          availability: agentAvailability,
        },
      },
    },
  };
}
