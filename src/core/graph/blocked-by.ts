// What a service still waits for before the deploy runner may start it.
import { aliciaError } from '../errors.js';
import type { GraphInput, ServiceGraph } from './build-graph.js';

/**
 * The direct dependencies of `service` whose `depends_on` condition is not yet met, sorted;
 * empty means it may start. `satisfied` is the caller's view of the world (e.g. "db is
 * healthy"), which keeps this pure. Optional (`required: false`) dependencies that are in
 * the stack are waited for like any other, as Compose does; deciding to go ahead when one
 * of them fails is the runner's call, not this function's.
 */
export function blockedBy(
  graph: ServiceGraph,
  input: GraphInput,
  service: string,
  satisfied: (dependency: string, condition: string) => boolean,
): string[] {
  const dependsOn = input[service]?.depends_on;
  return graph.dependenciesOf(service).filter((dependency) => {
    const condition = dependsOn?.[dependency]?.condition;
    // The graph was built from `input`; a mismatch means the caller passed another stack.
    if (condition === undefined) {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `service "${service}" has no depends_on entry for "${dependency}" in the given input`,
        { details: { service, dependency } },
      );
    }
    return !satisfied(dependency, condition);
  });
}
