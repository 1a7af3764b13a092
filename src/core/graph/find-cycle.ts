// Finds one cycle, deterministically, once Kahn's algorithm has left services unplaced.
import { byName } from './order.js';

/**
 * `edges` maps each service to its direct dependencies (sorted). `stuck` are the services
 * Kahn's algorithm could not place: every cycle lies among them, but so do services that
 * merely depend on a cycle, which is why each candidate is tested rather than taking the
 * first one.
 *
 * Returns the cycle as a closed path `[a, b, c, a]` (a depends on b, b on c, c on a). It
 * starts at the smallest name that lies on any cycle, and is a shortest cycle through
 * that name, found by breadth-first search over dependencies in name order — so the same
 * stack always yields the same message.
 */
export function findCycle(
  edges: ReadonlyMap<string, readonly string[]>,
  stuck: ReadonlySet<string>,
): string[] | undefined {
  for (const start of [...stuck].sort(byName)) {
    const cycle = shortestCycleThrough(start, edges, stuck);
    if (cycle) return cycle;
  }
  // Unreachable when `stuck` comes from Kahn's algorithm (its leftovers always hold a cycle).
  return undefined;
}

function shortestCycleThrough(
  start: string,
  edges: ReadonlyMap<string, readonly string[]>,
  stuck: ReadonlySet<string>,
): string[] | undefined {
  // Each queue entry is the whole path from `start`: only the error path runs this, on
  // stacks of tens of services, so copying paths is cheaper to read than parent pointers.
  const seen = new Set<string>([start]);
  const queue: string[][] = [[start]];
  for (let head = 0; head < queue.length; head++) {
    const path = queue[head] ?? [];
    const from = path.at(-1);
    if (from === undefined) continue;
    for (const to of edges.get(from) ?? []) {
      if (to === start) return [...path, start];
      // Services outside `stuck` were placed by Kahn's algorithm, so no cycle runs through them.
      if (!stuck.has(to) || seen.has(to)) continue;
      seen.add(to);
      queue.push([...path, to]);
    }
  }
  return undefined;
}
