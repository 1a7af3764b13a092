// The orchestrator: control plane over MQTT (agent registry, dependency-ordered deploy
// across hosts, scale, stop, down, lifecycle events, request API).
export type { AgentClient } from './agent-client.js';
export type { ApiContext, Handler, Handlers } from './api.js';
export { handlers, runRequest } from './api.js';
export type { DeployReport, ServiceReport } from './deploy-runner.js';
export type { DesiredState, NewStackRecord } from './desired-state.js';
export { createDesiredState } from './desired-state.js';
export type { EventPublisher } from './events.js';
export type { DownResult, RestartResult, ScaleResult, StopResult } from './operations.js';
export type { Orchestrator, OrchestratorOptions } from './orchestrator.js';
export { startOrchestrator } from './orchestrator.js';
export type {
  OrchestratorState,
  OrchestratorStateData,
  StackRecord,
  StackRecordData,
  Store,
} from './store.js';
export { createStore, STATE_FILE } from './store.js';
