// The one protocol map: every topic kind -> the zod schema of its payload.
import type { z } from 'zod';
import { ActionResponseSchema, ActionSchemas } from './agent-actions.js';
import { ContainersSnapshotSchema } from './containers.js';
import { EventSchema, ServiceStateSchema, SystemHealthSchema } from './events.js';
import { type ParseError, type ParseOptions, parsePayload } from './parse.js';
import { AgentInfoSchema, HeartbeatSchema, PresenceSchema } from './presence.js';
import { ReplySchema, RequestSchemas } from './requests.js';
import { isAgentAction, isRequestMethod, type ParsedTopic, parseTopic, type TopicKind } from './topics.js';

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
export type Incoming =
  | { ok: true; topic: ParsedTopic; payload: unknown }
  | { ok: false; topic: ParsedTopic | null; error: IncomingError };

/**
 * Parses any message of the protocol: the topic, then the payload with the topic's schema.
 * Narrow `payload` with the schemas' inferred types after switching on `topic.kind`.
 */
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
  return result.ok
    ? { ok: true, topic: parsed, payload: result.value }
    : { ok: false, topic: parsed, error: result.error };
}
