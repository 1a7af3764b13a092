// Builds GraphInput from a terse description, so each test shows only the edges it is about.
import type { GraphInput, GraphResult, ServiceGraph } from '../../../src/core/graph/index.js';

export type Dep = { condition?: string; required?: boolean };

/** `input({ web: ['db'], db: [] })`, or with per-edge settings: `{ web: { db: { required: false } } }`. */
export function input(spec: Record<string, readonly string[] | Record<string, Dep>>): GraphInput {
  const out: Record<string, { depends_on: Record<string, { condition: string; required: boolean }> }> = {};
  for (const [service, deps] of Object.entries(spec)) {
    const entries: [string, Dep][] = Array.isArray(deps)
      ? deps.map((d): [string, Dep] => [d, {}])
      : Object.entries(deps as Record<string, Dep>);
    out[service] = {
      depends_on: Object.fromEntries(
        entries.map(([d, dep]) => [
          d,
          { condition: dep.condition ?? 'service_started', required: dep.required ?? true },
        ]),
      ),
    };
  }
  return out;
}

/** The graph of a result that must be ok; fails the test with the error's message otherwise. */
export function graphOf(result: GraphResult): ServiceGraph {
  if (!result.ok) throw new Error(`expected a graph, got ${result.error.code}: ${result.error.message}`);
  return result.graph;
}

/** The error of a result that must fail. */
export function errorOf(result: GraphResult): Extract<GraphResult, { ok: false }>['error'] {
  if (result.ok) throw new Error(`expected an error, got layers ${JSON.stringify(result.graph.layers)}`);
  return result.error;
}
