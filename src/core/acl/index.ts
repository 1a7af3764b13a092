export type { AclAction, AclDecision } from './authorize.js';
export { authorize, mayRead } from './authorize.js';
export type {
  AnonymousDecision,
  AnonymousPolicy,
  ConnectDecision,
  ConnectFacts,
  RefusalCode,
} from './connect.js';
export {
  admitAnonymous,
  authorizeConnect,
  CONNACK,
  defaultAnonymousPolicy,
  isLoopbackAddress,
} from './connect.js';
export { filterCovers, filtersIntersect, isValidFilter, isValidTopic, topicMatches } from './filters.js';
export type { Role, RoleRules } from './roles.js';
export {
  AGENT_CLIENT_ID_PREFIX,
  AGENT_ID_PATTERN,
  AGENT_OWN_TOPICS,
  AGENT_PRESENCE_TOPICS,
  agentClientId,
  isAgentId,
  ORCHESTRATOR_CLIENT_ID_PREFIX,
  ROLES,
  RoleSchema,
  rulesFor,
} from './roles.js';
