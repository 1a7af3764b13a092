// The host agent: runs containers on its host's Docker engine, reports them over MQTT, and
// keeps them running and healthy when the broker or the orchestrator is away.

export { startAgent } from './agent.js';
export type { AgentStats } from './agent-stats.js';
export type { Agent, AgentOptions, AgentPolicy } from './options.js';
export type {
  ContainerRuntime,
  CreateOptions,
  DockerRuntimeOptions,
  MemoryRuntime,
  MemoryRuntimeOptions,
  PullProgress,
  RuntimeAction,
  RuntimeContainer,
  RuntimeEvent,
  RuntimeHealth,
  RuntimeState,
  RuntimeSubscription,
} from './runtime/index.js';
export {
  containerLabels,
  containerName,
  createDockerRuntime,
  createMemoryRuntime,
  LABELS,
} from './runtime/index.js';
