// Compose stack loader: Compose files → the normalized, validated, frozen Stack.

export { type LoadedBundle, loadBundle, parseBundle } from './bundle.js';
export { compileContainerSpec, type InstancePlacement } from './compile.js';
export { formatDuration, parseDuration } from './durations.js';
export { findComposeFiles, type LoadOptions, loadStack } from './load.js';
export type {
  Backoff,
  Constraint,
  Dependency,
  DependencyCondition,
  Healthcheck,
  Port,
  ServiceSpec,
  Stack,
  StackWarning,
  Volume,
} from './model.js';
export {
  type ComposeSource,
  type FileKind,
  type ParseOptions,
  parseStack,
  type ReadFile,
} from './parse-stack.js';
export { type Json, startLayers, toComposeJson } from './render.js';
