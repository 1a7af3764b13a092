// The AsyncAPI 3 document of Alicia's MQTT protocol, generated from the protocol's own zod
// schemas (src/protocol): every topic kind of TOPIC_KINDS is a channel, its payload the
// schema the receiving process parses it with; operations say which process sends and which
// receives. docs/asyncapi.yaml is this function's output, and a test keeps them equal.
import { z } from 'zod';
import { ActionResponseSchema, ActionSchemas } from '../protocol/agent-actions.js';
import { EVENT_TYPES, EventSchema } from '../protocol/events.js';
import { TOPIC_SCHEMAS } from '../protocol/messages.js';
import { REQUESTS, RequestSchemas } from '../protocol/requests.js';
import {
  AGENT_ACTIONS,
  type AgentAction,
  DEFAULT_PREFIX,
  REQUEST_METHODS,
  type RequestMethod,
  SERVICE_CHANNELS,
  TOPIC_KINDS,
  type TopicKind,
} from '../protocol/topics.js';
import { PROTOCOL_VERSION, VersionSchema } from '../protocol/version.js';
import { type JsonSchema, toJsonSchema } from './schema.js';

export const ASYNCAPI_VERSION = '3.1.0';

type Process = 'orchestrator' | 'agent' | 'client';
type Ref = { $ref: string };

interface Channel {
  id: string;
  kind: TopicKind;
  address: string;
  title: string;
  description: string;
  parameters: Record<string, { description: string; enum?: string[] }>;
  /** Message ids (components.messages). */
  messages: string[];
  qos: 0 | 1;
  retain: boolean;
  senders: Process[];
  receivers: Process[];
}

interface Message {
  id: string;
  name: string;
  title: string;
  schema: z.ZodType;
}

const ID_PARAMETER = 'one topic level: letters, digits, "_", "." and "-"';

function cap(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * One message per variant of a union discriminated by `event_type` (each event type its own
 * `event_data`), or the schema itself when it is not such a union.
 */
function eventMessages(): Message[] {
  const def = EventSchema._zod.def as { type: string; options?: z.ZodType[] };
  const options = def.type === 'union' && def.options ? def.options : [];
  const variants = options.flatMap((option) => {
    const literal = option instanceof z.ZodObject ? option.shape.event_type : undefined;
    return literal instanceof z.ZodLiteral && typeof literal.value === 'string'
      ? [{ type: literal.value, schema: option }]
      : [];
  });
  if (variants.length === 0 || variants.length !== options.length) {
    return [{ id: 'event', name: 'event', title: 'Lifecycle event', schema: EventSchema }];
  }
  return variants.map(({ type, schema }) => ({
    id: `event.${type}`,
    name: type,
    title: `Event ${type}`,
    schema,
  }));
}

function replyMessages(): Message[] {
  const ok = (method: RequestMethod): Message => ({
    id: `reply.${method}`,
    name: `${method}_reply`,
    title: `Reply to ${method}`,
    // The wire reply to `method` (ReplySchema's ok branch with this method's data).
    schema: z.strictObject({
      v: VersionSchema,
      transaction: z.string().nullable(),
      status: z.literal('ok'),
      data: REQUESTS[method].reply,
    }),
  });
  const replyError = z.strictObject({
    v: VersionSchema,
    transaction: z.string().nullable(),
    status: z.literal('error'),
    error: z.strictObject({ code: z.string(), message: z.string() }),
  });
  return [
    ...REQUEST_METHODS.map(ok),
    { id: 'reply.error', name: 'error_reply', title: 'Error reply to any request', schema: replyError },
  ];
}

/** Every message of the protocol, by id. */
function messages(): Message[] {
  const fixed = (id: string, title: string, schema: z.ZodType): Message => ({ id, name: id, title, schema });
  return [
    fixed('presence', 'Presence (online/offline, also the will)', TOPIC_SCHEMAS.orchestrator_state),
    fixed('systemHealth', 'System health summary', TOPIC_SCHEMAS.orchestrator_health),
    fixed('agentInfo', 'Agent info', TOPIC_SCHEMAS.agent_info),
    fixed('heartbeat', 'Agent heartbeat', TOPIC_SCHEMAS.agent_heartbeat),
    fixed('containers', 'Managed containers of an agent', TOPIC_SCHEMAS.agent_containers),
    fixed('actionResponse', 'Response of an agent to an action', ActionResponseSchema),
    fixed('serviceState', 'State of one service of one stack', TOPIC_SCHEMAS.service_state),
    ...AGENT_ACTIONS.map((action) => fixed(`action.${action}`, `Action ${action}`, ActionSchemas[action])),
    ...REQUEST_METHODS.map((method) =>
      fixed(`request.${method}`, `Request ${method}`, RequestSchemas[method]),
    ),
    ...eventMessages(),
    ...replyMessages(),
  ];
}

function channels(prefix: string, events: string[], replies: string[]): Channel[] {
  const p = prefix;
  const agent = { agent: { description: `agent id (${ID_PARAMETER})` } };
  const eventTypeEnum = [...new Set([...EVENT_TYPES, ...SERVICE_CHANNELS])]
    .filter((c) => c !== 'events')
    .sort();
  const list: Channel[] = [
    {
      id: 'orchestratorState',
      kind: 'orchestrator_state',
      address: `${p}/orchestrator/state`,
      title: 'Orchestrator presence',
      description: 'Retained `online`; the will says `offline`. `session` grows on every connect.',
      parameters: {},
      messages: ['presence'],
      qos: 1,
      retain: true,
      senders: ['orchestrator'],
      receivers: ['agent', 'client'],
    },
    {
      id: 'orchestratorHealth',
      kind: 'orchestrator_health',
      address: `${p}/orchestrator/health`,
      title: 'System health',
      description: 'Services by state, health percentage, restarts, healing actions, uptime.',
      parameters: {},
      messages: ['systemHealth'],
      qos: 1,
      retain: true,
      senders: ['orchestrator'],
      receivers: ['client'],
    },
    ...REQUEST_METHODS.map(
      (method): Channel => ({
        id: `orchestratorRequest${cap(method)}`,
        kind: 'orchestrator_request',
        address: `${p}/orchestrator/request/${method}`,
        title: `Request ${method}`,
        description: `Request \`${method}\`, answered on its \`reply_to\` topic.`,
        parameters: {},
        messages: [`request.${method}`],
        qos: 1,
        retain: false,
        senders: ['client'],
        receivers: ['orchestrator'],
      }),
    ),
    {
      id: 'agentState',
      kind: 'agent_state',
      address: `${p}/agents/{agent}/state`,
      title: 'Agent presence',
      description: 'Retained `online`; the will says `offline`; a late will of an older session is ignored.',
      parameters: agent,
      messages: ['presence'],
      qos: 1,
      retain: true,
      senders: ['agent'],
      receivers: ['orchestrator', 'client'],
    },
    {
      id: 'agentInfo',
      kind: 'agent_info',
      address: `${p}/agents/{agent}/info`,
      title: 'Agent info',
      description: 'Host facts, labels, versions and the protocol features the agent speaks.',
      parameters: agent,
      messages: ['agentInfo'],
      qos: 1,
      retain: true,
      senders: ['agent'],
      receivers: ['orchestrator', 'client'],
    },
    {
      id: 'agentHeartbeat',
      kind: 'agent_heartbeat',
      address: `${p}/agents/{agent}/heartbeat`,
      title: 'Agent heartbeat',
      description: 'Periodic liveness; missed heartbeats count against a TTL.',
      parameters: agent,
      messages: ['heartbeat'],
      qos: 0,
      retain: false,
      senders: ['agent'],
      receivers: ['orchestrator'],
    },
    {
      id: 'agentContainers',
      kind: 'agent_containers',
      address: `${p}/agents/{agent}/containers`,
      title: 'Agent containers',
      description: 'Every container the agent manages, with state and health.',
      parameters: agent,
      messages: ['containers'],
      qos: 1,
      retain: true,
      senders: ['agent'],
      receivers: ['orchestrator', 'client'],
    },
    ...AGENT_ACTIONS.map(
      (action: AgentAction): Channel => ({
        id: `agentAction${cap(action)}`,
        kind: 'agent_cmd',
        address: `${p}/agents/{agent}/cmd/${action}`,
        title: `Action ${action}`,
        description: `Action \`${action}\` for one agent; a stale or repeated transaction is not run twice.`,
        parameters: agent,
        messages: [`action.${action}`],
        qos: 1,
        retain: false,
        senders: ['orchestrator'],
        receivers: ['agent'],
      }),
    ),
    {
      id: 'agentResponse',
      kind: 'agent_response',
      address: `${p}/agents/{agent}/response/{action}`,
      title: 'Agent response',
      description: 'The outcome of an action, correlated by `transaction`.',
      parameters: { ...agent, action: { description: 'the action answered', enum: [...AGENT_ACTIONS] } },
      messages: ['actionResponse'],
      qos: 1,
      retain: false,
      senders: ['agent'],
      receivers: ['orchestrator'],
    },
    {
      id: 'servicesEvents',
      kind: 'services_events',
      address: `${p}/services/events`,
      title: 'Lifecycle events',
      description: 'Every lifecycle event, one closed union on `event_type`.',
      parameters: {},
      messages: events,
      qos: 1,
      retain: false,
      senders: ['orchestrator'],
      receivers: ['client'],
    },
    {
      id: 'serviceChannel',
      kind: 'service_channel',
      address: `${p}/services/{event_type}`,
      title: 'Events of one type',
      description: 'The same events, each on its type’s topic; also `orchestration_errors` and `recovery`.',
      parameters: { event_type: { description: 'an event type or channel', enum: eventTypeEnum } },
      messages: events,
      qos: 1,
      retain: false,
      senders: ['orchestrator'],
      receivers: ['client'],
    },
    {
      id: 'serviceState',
      kind: 'service_state',
      address: `${p}/stacks/{stack}/services/{service}/state`,
      title: 'Service state',
      description: 'Desired, running and healthy replicas, hosts and instances (keyed by stack).',
      parameters: {
        stack: { description: `stack name (${ID_PARAMETER})` },
        service: { description: `service name (${ID_PARAMETER})` },
      },
      messages: ['serviceState'],
      qos: 1,
      retain: true,
      senders: ['orchestrator'],
      receivers: ['client'],
    },
    {
      id: 'clientReply',
      kind: 'client_reply',
      address: `${p}/clients/{client}/reply`,
      title: 'Replies to a client',
      description:
        'Where a client asks to be answered (`reply_to`); the data of an ok reply is the asked method’s.',
      parameters: { client: { description: `client id (${ID_PARAMETER})` } },
      messages: replies,
      qos: 1,
      retain: false,
      senders: ['orchestrator'],
      receivers: ['client'],
    },
  ];
  return list;
}

const PROCESS_DESCRIPTIONS: Record<Process, string> = {
  orchestrator: '`alicia orchestrator` (or `alicia up` embedded)',
  agent: '`alicia agent`, one per host',
  client: 'the `alicia` CLI, dashboards, Home Assistant or any MQTT client',
};

export interface AsyncApiOptions {
  /** Topic prefix of the addresses (default `alicia`). */
  prefix?: string;
  /** Version shown in `info.version` (the product version). */
  version: string;
}

/** The AsyncAPI 3 document as a plain object (serialize it with YAML or JSON). */
export function generateAsyncApi(options: AsyncApiOptions): Record<string, unknown> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const all = messages();
  const events = all.filter((m) => m.id.startsWith('event')).map((m) => m.id);
  const replies = all.filter((m) => m.id.startsWith('reply.')).map((m) => m.id);
  const list = channels(prefix, events, replies);
  // Every topic kind of the protocol has a channel: a new kind fails the test until it has.
  const missing = TOPIC_KINDS.filter((kind) => !list.some((c) => c.kind === kind));
  if (missing.length > 0) throw new Error(`AsyncAPI: no channel for topic kind(s) ${missing.join(', ')}`);

  const ref = (path: string): Ref => ({ $ref: path });
  const schemas: Record<string, JsonSchema> = {};
  const componentMessages: Record<string, unknown> = {};
  for (const m of all) {
    schemas[m.id] = toJsonSchema(m.schema);
    componentMessages[m.id] = {
      name: m.name,
      title: m.title,
      contentType: 'application/json',
      payload: ref(`#/components/schemas/${m.id}`),
    };
  }

  const channelObjects: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const c of list) {
    channelObjects[c.id] = {
      address: c.address,
      title: c.title,
      description: c.description,
      ...(Object.keys(c.parameters).length > 0 ? { parameters: c.parameters } : {}),
      messages: Object.fromEntries(c.messages.map((id) => [id, ref(`#/components/messages/${id}`)])),
    };
    const bindings = { mqtt: { qos: c.qos, retain: c.retain, bindingVersion: '0.2.0' } };
    const operation = (process: Process, action: 'send' | 'receive') => ({
      action,
      channel: ref(`#/channels/${c.id}`),
      summary: `${cap(process)} ${action === 'send' ? 'publishes' : 'subscribes to'} ${c.title.toLowerCase()}.`,
      tags: [{ name: process }],
      bindings,
      messages: c.messages.map((id) => ref(`#/channels/${c.id}/messages/${id}`)),
    });
    for (const process of c.senders) operations[`${process}.send.${c.id}`] = operation(process, 'send');
    for (const process of c.receivers)
      operations[`${process}.receive.${c.id}`] = operation(process, 'receive');
  }

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'Alicia MQTT protocol',
      version: options.version,
      description: [
        'Every topic of Alicia, generated from the zod schemas in src/protocol',
        `(payload schema version v=${PROTOCOL_VERSION}). Run \`alicia docs asyncapi\` to regenerate.`,
        '',
        `Addresses use the default prefix \`${prefix}\` (configurable with --prefix).`,
        'Operations are tagged with the process that sends or receives them:',
        ...Object.entries(PROCESS_DESCRIPTIONS).map(([name, what]) => `- ${name}: ${what}`),
      ].join('\n'),
      license: { name: 'MIT' },
      tags: Object.keys(PROCESS_DESCRIPTIONS).map((name) => ({ name })),
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: 'localhost:1883',
        protocol: 'mqtt',
        description: 'The embedded broker (`alicia broker`) or any MQTT 3.1.1/5 broker.',
      },
    },
    channels: channelObjects,
    operations,
    components: { schemas, messages: componentMessages },
  };
}
