// The one protocol map: every topic kind -> the zod schema of its payload. parseIncoming is
// the edge: past it a message is a union by topic kind with a typed payload, never unknown.
import type { z } from 'zod';
import { type Action, ActionResponseSchema, ActionSchemas } from './agent-actions.js';
import { ContainersSnapshotSchema } from './containers.js';
import { EventSchema, ServiceStateSchema, SystemHealthSchema } from './events.js';
import { type ParseError, type ParseOptions, parsePayload } from './parse.js';
import { AgentInfoSchema, HeartbeatSchema, PresenceSchema } from './presence.js';
import { ReplySchema, type Request, RequestSchemas } from './requests.js';
import {
  type AgentAction,
  isAgentAction,
  isRequestMethod,
  type ParsedTopic,
  parseTopic,
  type RequestMethod,
  type TopicKind,
} from './topics.js';

/** Schemas of the topic kinds whose payload does not depend on a topic level. */
export const TOPIC_SCHEMAS = {
  orchestrator_state: PresenceSchema,
  orchestrator_health: SystemHealthSchema,
  agent_state: PresenceSchema,
  agent_info: AgentInfoSchema,
  agent_heartbeat: HeartbeatSchema,
  agent_containers: ContainersSnapshotSchema,
  agent_response: ActionResponseSchema,
  services_events: EventSchema,
  service_channel: EventSchema,
  service_state: ServiceStateSchema,
  client_reply: ReplySchema,
} as const satisfies Partial<Record<TopicKind, z.ZodType>>;

type FixedKind = keyof typeof TOPIC_SCHEMAS;

/**
 * A valid message: `kind` repeats `topic.kind` at the top so that a switch on it narrows
 * the payload (TypeScript does not narrow on a nested discriminant). Commands and requests
 * also carry their action or method, narrowed the same way.
 */
export type IncomingMessage =
  | {
      [K in FixedKind]: {
        ok: true;
        kind: K;
        topic: Extract<ParsedTopic, { kind: K }>;
        payload: z.infer<(typeof TOPIC_SCHEMAS)[K]>;
      };
    }[FixedKind]
  | {
      [A in AgentAction]: {
        ok: true;
        kind: 'agent_cmd';
        action: A;
        topic: { kind: 'agent_cmd'; agent: string; action: A };
        payload: Action<A>;
      };
    }[AgentAction]
  | RequestMessage;

/** A valid request, correlated by method (`payload` is the request of `method`). */
export type RequestMessage<M extends RequestMethod = RequestMethod> = {
  [K in M]: {
    ok: true;
    kind: 'orchestrator_request';
    method: K;
    topic: { kind: 'orchestrator_request'; method: K };
    payload: Request<K>;
  };
}[M];

/** The schema for a parsed topic, or null when the topic names an unknown action or method. */
export function schemaFor(topic: ParsedTopic): z.ZodType | null {
  switch (topic.kind) {
    case 'agent_cmd':
      return isAgentAction(topic.action) ? ActionSchemas[topic.action] : null;
    case 'orchestrator_request':
      return isRequestMethod(topic.method) ? RequestSchemas[topic.method] : null;
    default:
      return TOPIC_SCHEMAS[topic.kind];
  }
}

export type IncomingError = ParseError | { code: 'ALICIA_ERR_TOPIC_UNKNOWN'; message: string };
export type IncomingFailure = { ok: false; topic: ParsedTopic | null; error: IncomingError };
export type Incoming = IncomingMessage | IncomingFailure;

/** Parses any message of the protocol: the topic, then the payload with the topic's schema. */
export function parseIncoming(
  topic: string,
  payload: Uint8Array | string,
  options: ParseOptions & { prefix?: string } = {},
): Incoming {
  const parsed = parseTopic(topic, options.prefix);
  if (!parsed)
    return {
      ok: false,
      topic: null,
      error: { code: 'ALICIA_ERR_TOPIC_UNKNOWN', message: `topic ${topic} is not part of the protocol` },
    };
  const schema = schemaFor(parsed);
  if (!schema)
    return {
      ok: false,
      topic: parsed,
      error: {
        code: 'ALICIA_ERR_TOPIC_UNKNOWN',
        message: `topic ${topic} names an unknown action or method`,
      },
    };
  const result = parsePayload(schema, payload, options);
  if (!result.ok) return { ok: false, topic: parsed, error: result.error };
  const extra =
    parsed.kind === 'agent_cmd'
      ? { action: parsed.action }
      : parsed.kind === 'orchestrator_request'
        ? { method: parsed.method }
        : {};
  // The schema was chosen by `parsed.kind` (and its action or method) just above, so the
  // payload has the type the union pairs with that kind: this is the one place that says so.
  return { ok: true, kind: parsed.kind, ...extra, topic: parsed, payload: result.value } as IncomingMessage;
}
