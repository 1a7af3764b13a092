// Property tests: random stacks, checked against definitions rather than against a second
// copy of the algorithm (reachability by plain search, edges straight from the input).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGraph, type GraphInput } from '../../../src/core/graph/index.js';
import { errorOf, graphOf } from './helpers.js';

type Edge = readonly [service: string, dependency: string];

// Names as the Compose loader allows them, short so that collisions with the prototype
// and ordering of digits/cases show up.
const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,5}$/);
const conditionArb = fc.constantFrom('service_started', 'service_healthy', 'service_completed_successfully');

/**
 * A random DAG: services in a random order, and edges only from a higher index to a lower
 * one, so no cycle can form. Some services also carry optional dependencies on names that
 * are not in the stack, which must be ignored.
 */
const dagArb = fc.uniqueArray(nameArb, { minLength: 1, maxLength: 14 }).chain((names) =>
  fc
    .record({
      // Pairs of indices, not fc's .filter: with one service every pair is a self-edge, and a
      // filter that can never pass makes fast-check search forever.
      pairs: fc.array(fc.tuple(fc.nat({ max: names.length - 1 }), fc.nat({ max: names.length - 1 })), {
        maxLength: names.length * 3,
      }),
      absent: fc.array(fc.tuple(fc.nat({ max: names.length - 1 }), nameArb), { maxLength: 3 }),
      conditions: fc.array(conditionArb, { minLength: 64, maxLength: 64 }),
    })
    .map(({ pairs, absent, conditions }) => {
      const unique = new Map<string, Edge>();
      for (const [a, b] of pairs) {
        if (a === b) continue;
        const edge: Edge = [names[Math.max(a, b)] ?? '', names[Math.min(a, b)] ?? ''];
        unique.set(edge.join('\u0000'), edge);
      }
      const edges = [...unique.values()];
      const optional = absent
        .map(([i, missing]): Edge => [names[i] ?? '', `${missing}-absent`])
        .filter(([, missing]) => !names.includes(missing));
      return { names, edges, input: toInput(names, edges, conditions, optional) };
    }),
);

function toInput(
  names: readonly string[],
  edges: readonly Edge[],
  conditions: readonly string[] = [],
  optionalAbsent: readonly Edge[] = [],
): GraphInput {
  const out: Record<string, { depends_on: Record<string, { condition: string; required: boolean }> }> = {};
  for (const name of names) out[name] = { depends_on: {} };
  edges.forEach(([service, dependency], i) => {
    const target = out[service];
    if (target) {
      target.depends_on[dependency] = {
        condition: conditions[i % 64] ?? 'service_started',
        required: i % 2 === 0,
      };
    }
  });
  for (const [service, dependency] of optionalAbsent) {
    const target = out[service];
    if (target) target.depends_on[dependency] = { condition: 'service_started', required: false };
  }
  return out;
}

/** Everything reachable from `from` by following `next` one or more times. */
function reachable(from: string, next: (name: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...next(from)];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    todo.push(...next(name));
  }
  return seen;
}

function outgoing(edges: readonly Edge[]): (name: string) => string[] {
  return (name) => edges.filter(([s]) => s === name).map(([, d]) => d);
}
function incoming(edges: readonly Edge[]): (name: string) => string[] {
  return (name) => edges.filter(([, d]) => d === name).map(([s]) => s);
}
const sorted = (names: Iterable<string>): string[] => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('buildGraph on random DAGs', () => {
  it('places every service exactly once, each layer sorted, services sorted', () => {
    fc.assert(
      fc.property(dagArb, ({ names, input }) => {
        const graph = graphOf(buildGraph(input));
        const flat = graph.layers.flat();
        expect(flat).toHaveLength(names.length);
        expect(sorted(flat)).toEqual(sorted(names));
        expect(graph.services).toEqual(sorted(names));
        for (const layer of graph.layers) expect(layer).toEqual(sorted(layer));
        expect(graph.startOrder).toEqual(flat);
      }),
    );
  });

  it('respects every edge: a dependency sits in an earlier layer, and each layer is as early as it can be', () => {
    fc.assert(
      fc.property(dagArb, ({ names, edges, input }) => {
        const graph = graphOf(buildGraph(input));
        for (const [service, dependency] of edges) {
          expect(graph.layerOf(dependency)).toBeLessThan(graph.layerOf(service));
        }
        for (const name of names) {
          const layer = graph.layerOf(name);
          expect(graph.layers[layer]).toContain(name);
          // Kahn's layering: a service in layer k > 0 waits on something in layer k - 1.
          if (layer > 0) {
            expect(graph.dependenciesOf(name).some((d) => graph.layerOf(d) === layer - 1)).toBe(true);
          }
          expect(graph.dependenciesOf(name)).toEqual(sorted(outgoing(edges)(name)));
          expect(graph.requiredBy(name)).toEqual(sorted(incoming(edges)(name)));
        }
      }),
    );
  });

  it('stops in a permutation of the services with dependents before their dependencies', () => {
    fc.assert(
      fc.property(dagArb, ({ names, edges, input }) => {
        const graph = graphOf(buildGraph(input));
        expect(sorted(graph.stopOrder)).toEqual(sorted(names));
        expect(graph.stopOrder).toEqual([...graph.startOrder].reverse());
        for (const [service, dependency] of edges) {
          expect(graph.stopOrder.indexOf(service)).toBeLessThan(graph.stopOrder.indexOf(dependency));
        }
      }),
    );
  });

  it('gives the transitive closure of dependents', () => {
    fc.assert(
      fc.property(dagArb, ({ names, edges, input }) => {
        const graph = graphOf(buildGraph(input));
        for (const name of names) {
          expect(graph.dependentsOf(name)).toEqual(sorted(reachable(name, incoming(edges))));
        }
      }),
    );
  });

  it('does not depend on the order of keys in the input', () => {
    fc.assert(
      fc.property(
        dagArb.chain((dag) =>
          fc
            .tuple(
              fc.shuffledSubarray([...dag.names], { minLength: dag.names.length }),
              fc.shuffledSubarray([...dag.edges], { minLength: dag.edges.length }),
            )
            .map(([names, edges]) => ({ ...dag, shuffled: toInput(names, edges) })),
        ),
        ({ input, shuffled }) => {
          const a = graphOf(buildGraph(input));
          const b = graphOf(buildGraph(shuffled));
          expect(b.layers).toEqual(a.layers);
          expect(b.stopOrder).toEqual(a.stopOrder);
        },
      ),
    );
  });
});

describe('buildGraph on random graphs with a cycle', () => {
  /**
   * A DAG plus an injected back-edge lo → hi, together with hi → lo so the back-edge always
   * closes a cycle (lo === hi makes a self-dependency).
   */
  const cyclicArb = dagArb.chain((dag) =>
    fc.tuple(fc.nat({ max: dag.names.length - 1 }), fc.nat({ max: dag.names.length - 1 })).map(([i, j]) => {
      const lo = dag.names[Math.min(i, j)] ?? '';
      const hi = dag.names[Math.max(i, j)] ?? '';
      const edges: Edge[] = [...dag.edges, [lo, hi]];
      if (lo !== hi && !edges.some(([s, d]) => s === hi && d === lo)) edges.push([hi, lo]);
      return { names: dag.names, edges, input: toInput(dag.names, edges) };
    }),
  );

  it('reports a real cycle of the input, closed, without repeats, from its smallest name', () => {
    fc.assert(
      fc.property(cyclicArb, ({ names, edges, input }) => {
        const error = errorOf(buildGraph(input));
        expect(error.code).toBe('ALICIA_ERR_DEPENDENCY_CYCLE');
        const cycle = error.details.cycle as string[];
        expect(cycle.length).toBeGreaterThanOrEqual(2);
        expect(cycle.at(-1)).toBe(cycle[0]);
        const members = cycle.slice(0, -1);
        expect(new Set(members).size).toBe(members.length);
        for (let i = 0; i + 1 < cycle.length; i++) {
          const edge = [cycle[i], cycle[i + 1]];
          expect(edges.some(([s, d]) => s === edge[0] && d === edge[1])).toBe(true);
        }
        expect(cycle[0]).toBe(sorted(members)[0]);
        // ...and that smallest name is the smallest of every service lying on any cycle.
        const onCycles = names.filter((name) => reachable(name, outgoing(edges)).has(name));
        expect(cycle[0]).toBe(sorted(onCycles)[0]);
        expect(error.message).toBe(`Services depend on each other in a cycle: ${cycle.join(' → ')}`);
      }),
    );
  });
});
