// Reverse-dependency stop: a service stops only after every dependent of it that is being
// stopped has stopped. Pure; the runner asks again each time a stop finishes.
import type { ServiceGraph } from '../graph/index.js';

/** Services of `toStop` that may stop now (sorted), given which have `stopped` and which are `stopping`. */
export function stoppable(
  graph: ServiceGraph,
  toStop: ReadonlySet<string>,
  stopped: ReadonlySet<string>,
  stopping: ReadonlySet<string>,
): string[] {
  const ready: string[] = [];
  for (const name of toStop) {
    if (stopped.has(name) || stopping.has(name)) continue;
    if (!graph.has(name)) {
      ready.push(name);
      continue;
    }
    const waitsFor = graph.requiredBy(name).filter((d) => toStop.has(d) && !stopped.has(d));
    if (waitsFor.length === 0) ready.push(name);
  }
  return ready.sort();
}

/** A service plus everything that depends on it, transitively: what `stop <service>` must stop. */
export function withDependents(graph: ServiceGraph, service: string): Set<string> {
  return new Set([service, ...(graph.has(service) ? graph.dependentsOf(service) : [])]);
}
