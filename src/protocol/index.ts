export type { Action, ActionResponse, InstanceResult, InstanceSpec, WireError } from './agent-actions.js';
export {
  ActionResponseSchema,
  ActionSchemas,
  InstanceResultSchema,
  InstanceSpecSchema,
  TransactionSchema,
  WireErrorSchema,
} from './agent-actions.js';
export type {
  Backoff,
  ContainerHealthcheck,
  ContainerResources,
  ContainerRestart,
  ContainerSpec,
  Feature,
  HealthProbe,
  HealthTest,
  Mount,
  PortBinding,
  ProbeSettings,
  ProbeTest,
} from './container-spec.js';
export {
  BackoffSchema,
  ContainerSpecSchema,
  DEFAULT_BACKOFF,
  FEATURES,
  FeatureSchema,
  HealthProbeSchema,
  isFeature,
  missingFeatures,
  requiredFeatures,
  SPEC_FIELDS,
  unsupportedFields,
} from './container-spec.js';
export type { ContainerReport, ContainersSnapshot, Health, InstanceState } from './containers.js';
export {
  ContainerReportSchema,
  ContainersSnapshotSchema,
  HealthSchema,
  InstanceStateSchema,
} from './containers.js';
export type { EventCategory, HistoryEntry } from './event-categories.js';
export {
  EVENT_CATEGORIES,
  extraChannels,
  HEALING_EVENT_TYPES,
  HistoryEntrySchema,
  toHistoryEntry,
} from './event-categories.js';
export type {
  AliciaEvent,
  DisagreeingEvents,
  EventData,
  EventDataInput,
  EventOf,
  EventType,
  ServiceState,
  SystemHealth,
} from './events.js';
export {
  EVENT_DATA_SCHEMAS,
  EVENT_TYPES,
  EventSchema,
  EventTypeSchema,
  eventSubject,
  ServiceStateSchema,
  SystemHealthSchema,
} from './events.js';
export { isTopicId, NameSchema, TopicIdSchema } from './ids.js';
export type {
  Incoming,
  IncomingError,
  IncomingFailure,
  IncomingMessage,
  RequestMessage,
} from './messages.js';
export { parseIncoming, schemaFor, TOPIC_SCHEMAS } from './messages.js';
export type { ParseError, ParseOptions, ParseResult } from './parse.js';
export { parsePayload, peekReplyTo, peekTransaction } from './parse.js';
export type { AgentInfo, Heartbeat, Presence } from './presence.js';
export { AgentInfoSchema, HeartbeatSchema, PresenceSchema, TimestampMsSchema } from './presence.js';
export type {
  AgentRow,
  BundleFile,
  DeployBundle,
  DeployReport,
  DownResult,
  HostOutcome,
  PlanReport,
  Reply,
  ReplyData,
  Request,
  RequestBody,
  RestartResult,
  ScaleResult,
  StopResult,
} from './requests.js';
export {
  AgentRowSchema,
  BundleFileSchema,
  DeployBundleSchema,
  DeployReportSchema,
  DownResultSchema,
  HostOutcomeSchema,
  MAX_BUNDLE_BYTES,
  MAX_BUNDLE_FILE_BYTES,
  PlanReportSchema,
  REQUESTS,
  ReplySchema,
  RequestSchemas,
  RestartResultSchema,
  ScaleResultSchema,
  StopResultSchema,
} from './requests.js';
export { signCommand, verifyCommand } from './signature.js';
export { specHash, stableStringify } from './spec-hash.js';
export type { AgentAction, ParsedTopic, RequestMethod, TopicKind, Topics } from './topics.js';
export {
  AGENT_ACTIONS,
  createTopics,
  DEFAULT_PREFIX,
  isAgentAction,
  isRequestMethod,
  parseTopic,
  REQUEST_METHODS,
  SERVICE_CHANNELS,
  TOPIC_KINDS,
} from './topics.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, VersionSchema } from './version.js';
