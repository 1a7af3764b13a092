// Pure agent liveness decisions (online / suspect / offline).
export type {
  AgentLiveness,
  AgentStatus,
  HeartbeatInput,
  LivenessEvent,
  LivenessEventType,
  LivenessResult,
  LivenessSettings,
  PresenceInput,
} from './liveness.js';
export { applyHeartbeat, applyPresence, restoreSight, tickLiveness } from './liveness.js';
