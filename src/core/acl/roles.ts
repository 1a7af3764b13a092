// Roles and the topic patterns each may read and write. One table, used by the embedded
// broker's hooks, by the unit tests and mirrored by broker/mosquitto/acl.
import { z } from 'zod';

export const ROLES = ['orchestrator', 'agent', 'operator', 'viewer', 'homeassistant'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES);

/**
 * An agent's user name is its agent id and becomes a topic level, so it obeys the same
 * charset as the protocol's TopicIdSchema (src/protocol/ids.ts; a unit test keeps the two
 * in step — core may not import protocol): no `+`, `#` or `/`.
 */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function isAgentId(id: string): boolean {
  return AGENT_ID_PATTERN.test(id);
}

/** MQTT client id every agent must use; the broker refuses any other for an agent user. */
export function agentClientId(agent: string): string {
  return `${AGENT_CLIENT_ID_PREFIX}${agent}`;
}

/** Client ids starting with these are reserved for their role, so no one else can take over
 *  (and so disconnect) an agent's or the orchestrator's session [MQTT-3.1.4-2]. */
export const AGENT_CLIENT_ID_PREFIX = 'alicia-agent-';
export const ORCHESTRATOR_CLIENT_ID_PREFIX = 'alicia-orchestrator';

/** Where a role may publish (`write`) and what it may receive (`read`), as MQTT filters. */
export interface RoleRules {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

/** Agent topics an agent publishes about itself. */
export const AGENT_OWN_TOPICS = ['state', 'info', 'heartbeat', 'containers', 'response/+'] as const;
/** Agent topics anyone with the viewer role may read, for every agent. */
export const AGENT_PRESENCE_TOPICS = ['state', 'info', 'heartbeat', 'containers'] as const;

/**
 * Home Assistant's discovery prefix as the broker ACL knows it (its default): the
 * orchestrator publishes device configs there and reads `<it>/status`; Home Assistant reads
 * and writes its own topics there on a broker it shares with Alicia.
 */
export const HOMEASSISTANT_PREFIX = 'homeassistant';

function viewerReads(p: string): string[] {
  return [
    `${p}/services/#`,
    `${p}/stacks/+/services/+/state`,
    `${p}/orchestrator/state`,
    `${p}/orchestrator/health`,
    ...AGENT_PRESENCE_TOPICS.map((t) => `${p}/agents/+/${t}`),
  ];
}

export function rulesFor(role: Role, user: string, prefix: string): RoleRules {
  const p = prefix;
  switch (role) {
    case 'orchestrator':
      return {
        read: [`${p}/#`, `${HOMEASSISTANT_PREFIX}/#`],
        write: [`${p}/#`, `${HOMEASSISTANT_PREFIX}/#`],
      };
    case 'agent':
      if (!isAgentId(user)) return { read: [], write: [] };
      return {
        read: [`${p}/agents/${user}/cmd/+`, `${p}/orchestrator/state`],
        write: AGENT_OWN_TOPICS.map((t) => `${p}/agents/${user}/${t}`),
      };
    case 'operator':
      return { read: [`${p}/#`], write: [`${p}/orchestrator/request/+`] };
    case 'viewer':
      return { read: viewerReads(p), write: [] };
    case 'homeassistant':
      // A viewer that may also press the restart button (a `restart` request, nothing
      // else) and use its own discovery topics.
      return {
        read: [...viewerReads(p), `${HOMEASSISTANT_PREFIX}/#`],
        write: [`${p}/orchestrator/request/restart`, `${HOMEASSISTANT_PREFIX}/#`],
      };
    default:
      return assertNever(role);
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled role ${String(value)}`);
}
