// The ContainerRuntime port and its adapters: Docker (dockerode) and in-memory.

export { toDockerCreateOptions } from './docker-options.js';
export type { DockerRuntimeOptions } from './docker-runtime.js';
export { createDockerRuntime } from './docker-runtime.js';
export { containerLabels, containerName, LABELS } from './labels.js';
export type { MemoryRuntime, MemoryRuntimeOptions } from './memory-runtime.js';
export { createMemoryRuntime } from './memory-runtime.js';
export type {
  ContainerRuntime,
  CreateOptions,
  ProbeTest,
  PullProgress,
  RuntimeAction,
  RuntimeContainer,
  RuntimeEvent,
  RuntimeHealth,
  RuntimeState,
  RuntimeSubscription,
} from './types.js';
