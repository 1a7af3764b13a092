export type { AgentMetrics, AgentMetricsSource } from './agent-metrics.js';
export { createAgentMetrics } from './agent-metrics.js';
export type { EventCounts } from './event-counts.js';
export { countsOf } from './event-counts.js';
export type { MetricsEndpoint, MetricsServer } from './http-server.js';
export { startMetricsServer } from './http-server.js';
export type {
  OrchestratorMetrics,
  OrchestratorMetricsSource,
  OrchestratorStatus,
} from './orchestrator-metrics.js';
export { createOrchestratorMetrics } from './orchestrator-metrics.js';
export { serveAgentMetrics, serveOrchestratorMetrics } from './serve.js';
