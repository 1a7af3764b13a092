// The dependency graph of a stack: which service starts after which, which stops first,
// and who is affected when one fails. Pure: built once from the stack, frozen, queried by
// the deploy runner and the healer.
import { type AliciaError, aliciaError } from '../errors.js';
import { findCycle } from './find-cycle.js';
import { byName, sortedFrozen } from './order.js';

/** What the graph needs of a stack: each service's `depends_on`. A `Stack['services']` fits. */
export interface GraphInput {
  readonly [service: string]: {
    readonly depends_on: Readonly<Record<string, { readonly condition: string; readonly required: boolean }>>;
  };
}

export interface ServiceGraph {
  /** Every service, sorted by name. */
  readonly services: readonly string[];
  /** Start layers: layer k's services depend only on layers < k (and on at least one in k-1); each sorted. */
  readonly layers: readonly (readonly string[])[];
  /** The layers flattened: a valid order to start services one at a time. */
  readonly startOrder: readonly string[];
  /** `startOrder` reversed: dependents stop before their dependencies. */
  readonly stopOrder: readonly string[];
  /** Whether `name` is a service of the graph (the accessors below throw for one that is not). */
  has(name: string): boolean;
  /** Direct dependencies present in the stack, sorted (absent optional ones are left out). */
  dependenciesOf(name: string): readonly string[];
  /** Direct dependents, sorted: the design's derived `required_by`. */
  requiredBy(name: string): readonly string[];
  /** Transitive dependents, sorted: everything that must stop or wait if `name` stops or fails. */
  dependentsOf(name: string): readonly string[];
  /** Index of the layer `name` starts in. */
  layerOf(name: string): number;
}

export type GraphResult = { ok: true; graph: ServiceGraph } | { ok: false; error: AliciaError };

/**
 * Builds the graph, or reports the first problem: unknown required dependencies are checked
 * before cycles (a cycle through a service that does not exist is not worth reporting), and
 * services and their dependencies are visited in name order so the same stack always gives
 * the same error.
 */
export function buildGraph(services: GraphInput): GraphResult {
  const names = sortedFrozen(Object.keys(services));
  const known = new Set(names);

  const edges = new Map<string, readonly string[]>();
  for (const service of names) {
    const dependsOn = services[service]?.depends_on ?? {};
    const present: string[] = [];
    for (const dependency of Object.keys(dependsOn).sort(byName)) {
      if (known.has(dependency)) {
        present.push(dependency);
        continue;
      }
      // Compose ignores an absent dependency marked `required: false`; we do the same.
      if (dependsOn[dependency]?.required === false) continue;
      return {
        ok: false,
        error: aliciaError(
          'ALICIA_ERR_DEPENDENCY_UNKNOWN',
          `service "${service}" depends on "${dependency}", which is not in the stack`,
          { details: { service, dependency } },
        ),
      };
    }
    edges.set(service, Object.freeze(present));
  }

  const direct = new Map<string, string[]>(names.map((name) => [name, []]));
  for (const [service, dependencies] of edges) {
    for (const dependency of dependencies) direct.get(dependency)?.push(service);
  }
  // `edges` was walked in name order, so each list is already sorted; freeze it as it is.
  const requiredBy = new Map<string, readonly string[]>(
    [...direct].map(([name, dependents]) => [name, Object.freeze(dependents)]),
  );

  const layers = kahnLayers(names, edges, requiredBy);
  const placed = new Set(layers.flat());
  if (placed.size < names.length) {
    const stuck = new Set(names.filter((name) => !placed.has(name)));
    const cycle = findCycle(edges, stuck) ?? [...stuck];
    return {
      ok: false,
      error: aliciaError('ALICIA_ERR_DEPENDENCY_CYCLE', cycle.join(' → '), { details: { cycle } }),
    };
  }

  const layerIndex = new Map<string, number>();
  layers.forEach((layer, index) => {
    for (const name of layer) layerIndex.set(name, index);
  });
  const startOrder = Object.freeze(layers.flat());
  const stopOrder = Object.freeze([...startOrder].reverse());
  const dependents = transitiveDependents(stopOrder, requiredBy);

  const graph: ServiceGraph = {
    services: names,
    layers: Object.freeze(layers),
    startOrder,
    stopOrder,
    has: (name) => known.has(name),
    dependenciesOf: (name) => lookup(edges, name),
    requiredBy: (name) => lookup(requiredBy, name),
    dependentsOf: (name) => lookup(dependents, name),
    layerOf: (name) => lookup(layerIndex, name),
  };
  return { ok: true, graph: Object.freeze(graph) };
}

/**
 * Kahn's algorithm, a whole frontier at a time: each round's frontier is one layer, so a
 * service lands in the layer after its latest dependency. Services on or behind a cycle
 * are never placed; the caller detects that by counting.
 */
function kahnLayers(
  names: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
  requiredBy: ReadonlyMap<string, readonly string[]>,
): (readonly string[])[] {
  const waitingOn = new Map(names.map((name) => [name, edges.get(name)?.length ?? 0]));
  const layers: (readonly string[])[] = [];
  let frontier = names.filter((name) => waitingOn.get(name) === 0);
  while (frontier.length > 0) {
    layers.push(Object.freeze(frontier));
    const next: string[] = [];
    for (const name of frontier) {
      for (const dependent of requiredBy.get(name) ?? []) {
        const left = (waitingOn.get(dependent) ?? 0) - 1;
        waitingOn.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    frontier = next.sort(byName);
  }
  return layers;
}

/**
 * Walks the stop order (dependents first), so each service's direct dependents already
 * have their closure computed: one pass, no search per service.
 */
function transitiveDependents(
  stopOrder: readonly string[],
  requiredBy: ReadonlyMap<string, readonly string[]>,
): Map<string, readonly string[]> {
  const closure = new Map<string, readonly string[]>();
  for (const name of stopOrder) {
    const all = new Set<string>();
    for (const dependent of requiredBy.get(name) ?? []) {
      all.add(dependent);
      for (const further of closure.get(dependent) ?? []) all.add(further);
    }
    closure.set(name, sortedFrozen(all));
  }
  return closure;
}

function lookup<T>(map: ReadonlyMap<string, T>, name: string): T {
  const value = map.get(name);
  // Asking about a service the graph does not hold is a caller's bug; say so rather than
  // answer "no dependencies" and let a deploy go ahead in the wrong order.
  if (value === undefined) {
    throw aliciaError('ALICIA_ERR_NOT_FOUND', `service "${name}" is not in the dependency graph`, {
      details: { service: name },
    });
  }
  return value;
}
