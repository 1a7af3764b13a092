// The one table that carries out the watcher's steps (core/watch). A new step kind does
// not compile until it has an executor here. Agent work runs in the background, tracked for
// close; a move writes the desired state before it tells any agent (watch-moves.ts).
import type { WatchEvent, WatchStep, WatchStepKind, WatchStepOf } from '../core/watch/index.js';
import type { DisagreeingEvents } from '../protocol/index.js';
import type { Context } from './context.js';
import { removeInstances, startInstances } from './instance-ops.js';
import { moveInstances, startFailures } from './watch-moves.js';

// Compile-time: every event the core's watcher describes is the protocol's event_data of its type.
const watchEventsAgree: [DisagreeingEvents<WatchEvent>] extends [never]
  ? true
  : DisagreeingEvents<WatchEvent> = true;
void watchEventsAgree;

type Executor<K extends WatchStepKind> = (step: WatchStepOf<K>) => void | Promise<void>;
export type WatchExecutors = { readonly [K in WatchStepKind]: Executor<K> };

export function createWatchExecutors(ctx: Context): WatchExecutors {
  return {
    emit: ({ event }) => {
      ctx.events.emit(event.event_type, event.data);
    },
    move: (step) => {
      // In the background: the stack's lock is taken at once, the starts wait for their order.
      ctx.track(moveInstances(ctx, step));
    },
    start: ({ stack, assignments }) => {
      const record = ctx.state.stacks[stack];
      if (record === undefined) return;
      ctx.track(startInstances(ctx, record, assignments).then(() => startFailures(ctx, stack, assignments)));
    },
    remove: ({ assignments }) => {
      ctx.track(removeInstances(ctx, assignments));
    },
  };
}

/**
 * Carries steps out in order, each after the previous one's desired-state write. Steps
 * that return nothing run synchronously, one after the other: events keep their order
 * relative to everything else that happens in the same turn.
 */
export function runSteps(executors: WatchExecutors, steps: readonly WatchStep[]): Promise<void> {
  let i = 0;
  const next = (): Promise<void> => {
    while (i < steps.length) {
      const step = steps[i] as WatchStep;
      i += 1;
      // One table entry per kind; the cast pairs a step with its own kind's executor.
      const done = (executors[step.kind] as Executor<typeof step.kind>)(step);
      if (done instanceof Promise) return done.then(next);
    }
    return Promise.resolve();
  };
  return next();
}
