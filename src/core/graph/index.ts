// Dependency graph of a stack: start layers, stop order, dependents, and what blocks a start.
export { blockedBy } from './blocked-by.js';
export type { GraphInput, GraphResult, ServiceGraph } from './build-graph.js';
export { buildGraph } from './build-graph.js';
