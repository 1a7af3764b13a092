// Removing instances in reverse dependency order, and keeping a record's specs tidy.

import { type Assignment, stoppable } from '../core/deploy/index.js';
import type { ServiceGraph } from '../core/graph/index.js';
import type { Context } from './context.js';
import { removeInstances } from './instance-ops.js';
import { usedSpecHashes } from './service-spec.js';
import type { StackRecord } from './store.js';

const byService = (list: readonly Assignment[]): Map<string, Assignment[]> => {
  const out = new Map<string, Assignment[]>();
  for (const a of list) out.set(a.service, [...(out.get(a.service) ?? []), a]);
  return out;
};

/** Drops specs no assignment refers to any more. */
export function pruneSpecs(ctx: Context, record: StackRecord): Promise<void> {
  return ctx.desired.keepSpecs(record.name, usedSpecHashes(record));
}

/** Stops and removes instances service by service, dependents before their dependencies. */
export async function removeInOrder(
  ctx: Context,
  record: StackRecord,
  assignments: readonly Assignment[],
  graph: ServiceGraph,
  onService?: (service: string, phase: 'stopping' | 'stopped') => void,
): Promise<void> {
  if (assignments.length === 0) return;
  const groups = byService(assignments);
  const toStop = new Set(groups.keys());
  const stopped = new Set<string>();
  const stopping = new Set<string>();
  // Out of the desired state first: the background reconcile must not start them again.
  await ctx.desired.unassign(record.name, assignments);
  await new Promise<void>((resolve) => {
    const next = (): void => {
      if (stopped.size === toStop.size) {
        resolve();
        return;
      }
      for (const service of stoppable(graph, toStop, stopped, stopping)) {
        stopping.add(service);
        onService?.(service, 'stopping');
        void removeInstances(ctx, groups.get(service) ?? [])
          .catch((err: unknown) => ctx.log.error({ err, service }, 'removing instances failed'))
          .then(() => {
            stopping.delete(service);
            stopped.add(service);
            onService?.(service, 'stopped');
            next();
          });
      }
    };
    next();
  });
}
