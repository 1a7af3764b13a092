// The pure ACL decision shared by the embedded broker's hooks and the tests.
import { filterCovers, filtersIntersect, isValidFilter, isValidTopic } from './filters.js';
import { isAgentId, type Role, rulesFor } from './roles.js';

export type AclAction = 'publish' | 'subscribe';

/**
 * `scope: 'filtered'` grants a subscription that reaches some topics the role may not read
 * (`alicia/#` for a viewer): the broker delivers only the messages that pass `mayRead`,
 * which is what Mosquitto does with a read ACL.
 */
export type AclDecision =
  | { allowed: true; scope: 'all' | 'filtered'; reason: string }
  | { allowed: false; reason: string };

export function authorize(
  role: Role,
  user: string,
  action: AclAction,
  topic: string,
  prefix: string,
): AclDecision {
  if (role === 'agent' && !isAgentId(user)) {
    return deny(`agent user name ${JSON.stringify(user)} cannot be a topic level (no "+", "#", "/")`);
  }
  const rules = rulesFor(role, user, prefix);
  if (action === 'publish') {
    if (!isValidTopic(topic)) return deny(`${JSON.stringify(topic)} is not a topic one can publish to`);
    const rule = rules.write.find((w) => filterCovers(w, topic));
    if (rule) return { allowed: true, scope: 'all', reason: `${role} may publish to ${rule}` };
    if (!topic.startsWith(`${prefix}/`)) return deny(`topic is outside the ${prefix}/ prefix`);
    return deny(publishRefusal(role, user, prefix));
  }
  if (!isValidFilter(topic)) return deny(`${JSON.stringify(topic)} is not a valid subscription filter`);
  const covering = rules.read.find((r) => filterCovers(r, topic));
  if (covering) return { allowed: true, scope: 'all', reason: `${role} may read ${covering}` };
  const overlapping = rules.read.filter((r) => filtersIntersect(r, topic));
  if (overlapping.length > 0) {
    return {
      allowed: true,
      scope: 'filtered',
      reason: `${role} receives only ${overlapping.join(', ')} through ${topic}`,
    };
  }
  return deny(subscribeRefusal(role, user, prefix));
}

/** May a client of this role receive a message published on the concrete `topic`? */
export function mayRead(role: Role, user: string, topic: string, prefix: string): boolean {
  if (role === 'agent' && !isAgentId(user)) return false;
  return rulesFor(role, user, prefix).read.some((r) => filterCovers(r, topic));
}

function deny(reason: string): AclDecision {
  return { allowed: false, reason };
}

function publishRefusal(role: Role, user: string, prefix: string): string {
  switch (role) {
    case 'agent':
      return `agent ${user} may publish only its own ${prefix}/agents/${user}/{state,info,heartbeat,containers,response/+}`;
    case 'operator':
      return `operator may publish only requests (${prefix}/orchestrator/request/+)`;
    case 'viewer':
      return 'viewer publishes nothing';
    case 'homeassistant':
      return `homeassistant may publish only restart requests (${prefix}/orchestrator/request/restart) and under homeassistant/`;
    case 'orchestrator':
      return `orchestrator may publish only under ${prefix}/`;
    default:
      return `role ${String(role)} may not publish here`;
  }
}

function subscribeRefusal(role: Role, user: string, prefix: string): string {
  switch (role) {
    case 'agent':
      return `agent ${user} may subscribe only to ${prefix}/agents/${user}/cmd/+ and ${prefix}/orchestrator/state`;
    case 'viewer':
      return `viewer may read only ${prefix}/services/#, ${prefix}/stacks/+/services/+/state, ${prefix}/orchestrator/state|health and agent presence`;
    case 'homeassistant':
      return `homeassistant may read what a viewer reads and homeassistant/#`;
    case 'operator':
    case 'orchestrator':
      return `${role} may read only under ${prefix}/`;
    default:
      return `role ${String(role)} may not subscribe here`;
  }
}
