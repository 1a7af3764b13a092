// Carries out a move off a lost host (core/watch's `move` step): the desired state is
// written first (a crash then recovers to the new hosts), then the moved instances start in
// dependency order, driven by the deploy's own state machine (deploy-drive.ts) over the plan
// core/watch made for them (move-order.ts). All of it under the stack's lock, as an
// operation: neither the background reconcile nor a deploy starts a moved service ahead of
// the dependencies it waits for.
import type { Assignment } from '../core/deploy/index.js';
import type { WatchStepOf } from '../core/watch/index.js';
import { type Context, instanceKey } from './context.js';
import { drive } from './deploy-drive.js';
import { startInstances } from './instance-ops.js';

const byService = (list: readonly Assignment[]): Map<string, Assignment[]> => {
  const out = new Map<string, Assignment[]>();
  for (const a of list) out.set(a.service, [...(out.get(a.service) ?? []), a]);
  return out;
};

/** A refused start (spec, policy, image) goes to the healing ladder: its reason reported, retried with backoff and jitter, then failed. */
export function startFailures(ctx: Context, stack: string, started: readonly Assignment[]): void {
  for (const a of started) {
    const error = ctx.startErrors.get(instanceKey(a.agent, a.instance));
    if (error === undefined) continue;
    ctx.healing.failure({
      type: 'start_failed',
      stack,
      service: a.service,
      agent: a.agent,
      instance: a.instance,
      reason: `${error.code}: ${error.message}`,
    });
  }
}

/**
 * Moves, then starts in order. Resolves once every moved service is up on its new host,
 * failed, or blocked by a moved dependency that failed (the healing ladder and the
 * reconcile take over from there).
 */
export async function moveInstances(ctx: Context, step: WatchStepOf<'move'>): Promise<void> {
  const { stack, moves, order } = step;
  // The lock is taken now (synchronously): the watcher's next pass leaves this stack alone.
  const ready = await ctx.withLock(stack, async (): Promise<string[]> => {
    const record = ctx.state.stacks[stack];
    const assigned = new Set((record?.assignments ?? []).map((a) => instanceKey(a.agent, a.instance)));
    // An operation that ran first changed the stack: the next pass plans again from it.
    if (
      record === undefined ||
      !moves.every((m) => assigned.has(instanceKey(m.from.agent, m.from.instance)))
    ) {
      ctx.log.warn({ stack }, 'move planned on a stack that changed since: planned again');
      return [];
    }
    // One write: the new hosts, and the move as an intent, so an orchestrator that crashes
    // now still starts the moved instances in order when it comes back (intents.ts).
    const id = `move-${stack}-${ctx.now()}`;
    await Promise.all([
      ctx.desired.beginIntent(stack, {
        kind: 'deploy',
        id,
        op: 'move',
        scale: {},
        unstop: [],
        started_ms: ctx.now(),
      }),
      ctx.desired.reassign(stack, moves),
    ]);
    try {
      return await startMoved(ctx, stack, moves, order, id);
    } finally {
      await ctx.desired.endIntent(stack, id);
    }
  });
  // The dependents' restart waits for a ready report outside any operation; the lock is let
  // go a few microtasks after the promise above resolves, so it is asked on the next turn.
  if (ready.length > 0) {
    ctx.clock.setTimeout(() => {
      for (const service of ready) ctx.healing.ready(stack, service);
    }, 0);
  }
}

/** Starts the moved instances (their `to`) in `order`; returns the moved services that came up. */
async function startMoved(
  ctx: Context,
  stack: string,
  moves: WatchStepOf<'move'>['moves'],
  order: WatchStepOf<'move'>['order'],
  id: string,
): Promise<string[]> {
  const services = new Set(moves.map((m) => m.to.service));
  // Moved: their restart: true dependents restart once they are ready on the new host.
  for (const service of services) ctx.healing.dependencyRestarted(stack, service);
  const moved = moves.map((m) => m.to);
  const live = ctx.state.stacks[stack];
  if (live === undefined) return [];
  if (order === null) {
    await startInstances(ctx, live, moved);
    startFailures(ctx, stack, moved);
    return [...services];
  }
  const outcome = await drive(ctx, live, order, {
    fresh: byService(moved),
    replaced: new Map(),
    kept: new Map(),
    quietDeploy: true,
    failuresToHealing: true,
    deployId: id,
  });
  startFailures(ctx, stack, moved);
  return [...services].filter((s) => outcome.state.services[s]?.phase === 'ready');
}
