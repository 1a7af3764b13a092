// One ordering for service names everywhere in the graph. Plain code-unit comparison, not
// localeCompare: the order (and so every layer, cycle and error) must not depend on the
// locale of the host that happens to run the orchestrator.

export function byName(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** A sorted, frozen copy: what every list the graph hands out looks like. */
export function sortedFrozen(names: Iterable<string>): readonly string[] {
  return Object.freeze([...names].sort(byName));
}
