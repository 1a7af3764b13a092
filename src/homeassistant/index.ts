export type { HomeAssistantBridge, HomeAssistantBridgeOptions } from './bridge.js';
export { startHomeAssistantBridge } from './bridge.js';
export type {
  Availability,
  Component,
  DevicePayload,
  DiscoveryContext,
  DiscoveryMessage,
} from './discovery.js';
export {
  agentDevice,
  DEFAULT_DISCOVERY_PREFIX,
  discoveryTopic,
  objectId,
  serviceDevice,
  statusTopic,
} from './discovery.js';
