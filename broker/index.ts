export type { BrokerConfig } from './config.js';
export { BrokerConfigSchema, brokerOptionsFrom, loadBrokerConfig, parseBrokerConfig } from './config.js';
export type { Credentials, EmbeddedDefault, EmbeddedDefaultOptions } from './default.js';
export {
  aliciaHome,
  OPERATOR_USER,
  ORCHESTRATOR_USER,
  startEmbeddedDefault,
  writeOperatorFile,
} from './default.js';
export type { BrokerSecurity, EmbeddedBroker, EmbeddedBrokerOptions, ListenerAddress } from './embedded.js';
export { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_PACKET_BYTES, startEmbeddedBroker } from './embedded.js';
export type { TlsListenerOptions, WebSocketListenerOptions } from './listeners.js';
export { limitPackets, PacketScanner } from './packet-limit.js';
export type { RetainedMessage, RetainedStore } from './retained-store.js';
export { openRetainedStore } from './retained-store.js';
export type { ConnectionInfo, Identity } from './security.js';
export type { BrokerStats } from './stats.js';
export type { UserDirectory, UserRecord } from './users.js';
export {
  createUserDirectory,
  hashPassword,
  parsePasswordHash,
  SCRYPT_DEFAULTS,
  verifyPassword,
} from './users.js';
export { loadUsersFile, UsersFileSchema, upsertUser } from './users-file.js';
