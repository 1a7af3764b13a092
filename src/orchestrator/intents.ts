// Resuming what a crash interrupted. A deploy, scale or down persists its intent before any
// action goes out (deploy-runner.ts, operations.ts); a new orchestrator on the same state
// dir finds it here, waits for the agents' retained reports (the truth about what runs),
// and runs the same operation again under the stack's lock, with the same id: the deploy
// state machine keeps what runs and starts what is missing, the down removes what is left.
// A down whose only leftovers are on offline hosts stays an intent until they are gone.
import type { Context } from './context.js';
import { runDeploy } from './deploy-runner.js';
import { finishDown, takeDown } from './operations.js';
import type { StackRecord } from './store.js';

/** How long a resume waits for the agents of a stack to report (ms): then it goes on with what it sees. */
const REPORT_WAIT_HEARTBEATS = 5;

/** Resolves when every agent in `agents` is online with its containers snapshot, or after `timeoutMs`. */
function waitForReports(ctx: Context, agents: ReadonlySet<string>, timeoutMs: number): Promise<void> {
  const seen = (): boolean =>
    [...agents].every(
      (a) => ctx.registry.status(a) === 'online' && (ctx.registry.get(a)?.containers ?? null) !== null,
    );
  if (seen()) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = ctx.clock.setTimeout(done, timeoutMs);
    const off = ctx.registry.onChange(() => {
      if (seen()) done();
    });
    function done(): void {
      ctx.clock.clearTimeout(timer);
      off();
      resolve();
    }
  });
}

export interface IntentResumer {
  /** Ids of deploys being resumed -> their outcome (a re-sent deploy of the same id waits on it). */
  readonly resuming: ReadonlyMap<string, Promise<unknown>>;
  /** Checks downs pending on offline hosts: done once no host reports a container of the stack. */
  checkPendingDowns(): void;
}

export function resumeIntents(
  ctx: Context,
  onStackRemoved: (record: StackRecord) => Promise<void>,
): IntentResumer {
  const resuming = new Map<string, Promise<unknown>>();
  const waitMs = REPORT_WAIT_HEARTBEATS * ctx.settings.heartbeatMs;
  for (const [stack, intent] of Object.entries(ctx.state.intents)) {
    const record = ctx.state.stacks[stack];
    const agents = new Set([
      ...(record?.assignments.map((a) => a.agent) ?? []),
      ...(intent.kind === 'down' ? intent.agents : []),
    ]);
    const log = ctx.log.child({ stack, intent: intent.kind, id: intent.id });
    // Taken now, before the first reconcile can look at the stack: the resume decides.
    const work = ctx.withLock(stack, async () => {
      await waitForReports(ctx, agents, waitMs);
      switch (intent.kind) {
        case 'deploy': {
          const current = ctx.state.stacks[stack];
          if (current === undefined) {
            await ctx.desired.endIntent(stack, intent.id);
            return;
          }
          log.info('resuming an interrupted deploy');
          return runDeploy(ctx, current.stack, {
            // An interrupted move: its moved instances that never started start, in order.
            op: intent.op === 'move' ? 'scale' : intent.op,
            scale: intent.scale,
            unstop: intent.unstop,
            deployId: intent.id,
            resume: true,
          });
        }
        case 'down':
          if (ctx.state.stacks[stack] === undefined) return; // only offline hosts' leftovers: checkPendingDowns
          log.info('resuming an interrupted down');
          return takeDown(ctx, { stack, id: intent.id }, onStackRemoved);
        default: {
          const never: never = intent;
          return never;
        }
      }
    });
    // Not awaited here: the lock is what matters; the outcome is logged and kept for re-senders.
    const settled = work.then(
      () => undefined,
      (err: unknown) => log.warn({ err }, 'resumed operation failed'),
    );
    resuming.set(intent.id, work);
    ctx.track(settled.finally(() => resuming.delete(intent.id)));
  }

  return {
    resuming,
    checkPendingDowns() {
      for (const [stack, intent] of Object.entries(ctx.state.intents)) {
        if (intent.kind !== 'down' || ctx.state.stacks[stack] !== undefined || ctx.isLocked(stack)) continue;
        if (ctx.registry.reports().some((r) => r.stack === stack)) continue;
        ctx.track(finishDown(ctx, stack));
      }
    },
  };
}
