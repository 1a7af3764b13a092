// Topic builders and the topic parser. The topic map lives in ../shared/DESIGN.md;
// messages.ts pairs each ParsedTopic kind with its payload schema.
import { aliciaError } from '../core/errors.js';
import { isTopicId } from './ids.js';

export const DEFAULT_PREFIX = 'alicia';

export const AGENT_ACTIONS = ['start', 'stop', 'remove', 'restart', 'apply', 'resync'] as const;
export type AgentAction = (typeof AGENT_ACTIONS)[number];

export const REQUEST_METHODS = [
  'deploy',
  'scale',
  'restart',
  'stop',
  'down',
  'ps',
  'agents',
  'health',
  'heal',
  'history',
  'graph',
  'plan',
] as const;
export type RequestMethod = (typeof REQUEST_METHODS)[number];

/** Event-type topics that are not lifecycle event types but named channels of their own. */
export const SERVICE_CHANNELS = ['events', 'orchestration_errors', 'recovery'] as const;

export type ParsedTopic =
  | { kind: 'orchestrator_state' }
  | { kind: 'orchestrator_health' }
  | { kind: 'orchestrator_request'; method: string }
  | { kind: 'agent_state'; agent: string }
  | { kind: 'agent_info'; agent: string }
  | { kind: 'agent_heartbeat'; agent: string }
  | { kind: 'agent_containers'; agent: string }
  | { kind: 'agent_cmd'; agent: string; action: string }
  | { kind: 'agent_response'; agent: string; action: string }
  | { kind: 'services_events' }
  | { kind: 'service_channel'; channel: string }
  | { kind: 'service_state'; stack: string; service: string }
  | { kind: 'client_reply'; client: string };

export type TopicKind = ParsedTopic['kind'];

/** Every topic kind, at run time (docs/protocol.md's test checks each has an example). */
export const TOPIC_KINDS = [
  'orchestrator_state',
  'orchestrator_health',
  'orchestrator_request',
  'agent_state',
  'agent_info',
  'agent_heartbeat',
  'agent_containers',
  'agent_cmd',
  'agent_response',
  'services_events',
  'service_channel',
  'service_state',
  'client_reply',
] as const satisfies readonly TopicKind[];
// A kind added to ParsedTopic but not to TOPIC_KINDS fails to compile here, naming it.
type MissingTopicKinds = Exclude<TopicKind, (typeof TOPIC_KINDS)[number]>;
const everyTopicKind: [MissingTopicKinds] extends [never] ? true : MissingTopicKinds = true;
void everyTopicKind;

function id(kind: string, value: string): string {
  if (!isTopicId(value)) {
    throw aliciaError('ALICIA_ERR_ID_INVALID', `${kind} id ${JSON.stringify(value)} cannot be a topic level`);
  }
  return value;
}

/** Builds every topic of the protocol under one prefix (`alicia` by default). */
export function createTopics(prefix: string = DEFAULT_PREFIX) {
  if (prefix.length === 0 || /[+#]/.test(prefix) || prefix.startsWith('/') || prefix.endsWith('/')) {
    throw aliciaError('ALICIA_ERR_ID_INVALID', `topic prefix ${JSON.stringify(prefix)} is not usable`);
  }
  const p = prefix;
  return Object.freeze({
    prefix: p,
    orchestratorState: `${p}/orchestrator/state`,
    orchestratorHealth: `${p}/orchestrator/health`,
    orchestratorRequest: (method: string) => `${p}/orchestrator/request/${id('method', method)}`,
    agentState: (agent: string) => `${p}/agents/${id('agent', agent)}/state`,
    agentInfo: (agent: string) => `${p}/agents/${id('agent', agent)}/info`,
    agentHeartbeat: (agent: string) => `${p}/agents/${id('agent', agent)}/heartbeat`,
    agentContainers: (agent: string) => `${p}/agents/${id('agent', agent)}/containers`,
    agentCmd: (agent: string, action: AgentAction) => `${p}/agents/${id('agent', agent)}/cmd/${action}`,
    agentResponse: (agent: string, action: AgentAction) =>
      `${p}/agents/${id('agent', agent)}/response/${action}`,
    servicesEvents: `${p}/services/events`,
    /** `alicia/services/<event_type>`, also `orchestration_errors` and `recovery`. */
    serviceChannel: (channel: string) => `${p}/services/${id('channel', channel)}`,
    /** Retained, keyed by stack: two stacks may both have a `db`. */
    serviceState: (stack: string, service: string) =>
      `${p}/stacks/${id('stack', stack)}/services/${id('service', service)}/state`,
    clientReply: (client: string) => `${p}/clients/${id('client', client)}/reply`,
    /** Subscription filters. */
    filters: Object.freeze({
      allAgents: `${p}/agents/+/+`,
      agentCmds: (agent: string) => `${p}/agents/${id('agent', agent)}/cmd/+`,
      agentResponses: `${p}/agents/+/response/+`,
      requests: `${p}/orchestrator/request/+`,
      services: `${p}/services/#`,
      serviceStates: `${p}/stacks/+/services/+/state`,
      /**
       * Where service states were retained before they were keyed by stack
       * (`<prefix>/services/<service>/state`): the orchestrator clears them at start.
       */
      legacyServiceStates: `${p}/services/+/state`,
      everything: `${p}/#`,
    }),
  });
}

export type Topics = ReturnType<typeof createTopics>;

/**
 * Parses a concrete topic (no wildcards) into its kind and ids, or null when it is not part
 * of the protocol (wrong prefix, unknown shape, or an id that is not a valid topic id).
 */
export function parseTopic(topic: string, prefix: string = DEFAULT_PREFIX): ParsedTopic | null {
  if (!topic.startsWith(`${prefix}/`)) return null;
  const levels = topic.slice(prefix.length + 1).split('/');
  if (levels.some((level) => !isTopicId(level))) return null;
  const [a, b, c, d, e, ...rest] = levels;
  if (rest.length > 0 || a === undefined) return null;
  // Only `stacks/<stack>/services/<service>/state` has five levels.
  if (e !== undefined && a !== 'stacks') return null;
  switch (a) {
    case 'orchestrator':
      if (b === 'state' && c === undefined) return { kind: 'orchestrator_state' };
      if (b === 'health' && c === undefined) return { kind: 'orchestrator_health' };
      if (b === 'request' && c !== undefined && d === undefined)
        return { kind: 'orchestrator_request', method: c };
      return null;
    case 'agents': {
      if (b === undefined || c === undefined) return null;
      if (d === undefined) {
        if (c === 'state') return { kind: 'agent_state', agent: b };
        if (c === 'info') return { kind: 'agent_info', agent: b };
        if (c === 'heartbeat') return { kind: 'agent_heartbeat', agent: b };
        if (c === 'containers') return { kind: 'agent_containers', agent: b };
        return null;
      }
      if (c === 'cmd') return { kind: 'agent_cmd', agent: b, action: d };
      if (c === 'response') return { kind: 'agent_response', agent: b, action: d };
      return null;
    }
    case 'services':
      // `services/<service>/state` is retired (see filters.legacyServiceStates): not parsed.
      if (b === undefined || c !== undefined) return null;
      if (b === 'events') return { kind: 'services_events' };
      return { kind: 'service_channel', channel: b };
    case 'stacks':
      if (b !== undefined && c === 'services' && d !== undefined && e === 'state')
        return { kind: 'service_state', stack: b, service: d };
      return null;
    case 'clients':
      if (b !== undefined && c === 'reply' && d === undefined) return { kind: 'client_reply', client: b };
      return null;
    default:
      return null;
  }
}

export function isAgentAction(action: string): action is AgentAction {
  return (AGENT_ACTIONS as readonly string[]).includes(action);
}

export function isRequestMethod(method: string): method is RequestMethod {
  return (REQUEST_METHODS as readonly string[]).includes(method);
}
