// Drives the pure deploy state machine (core/deploy) for one deploy: steps it on every
// containers snapshot and liveness change (coalesced per microtask), on the next startup
// deadline, and on cancellation; carries out its start and ready actions.
import type { TimerHandle } from '../clock/index.js';
import {
  type Assignment,
  type DeployAction,
  type DeployEvent,
  type DeployPlan,
  type DeployState,
  type InstanceView,
  initDeploy,
  nextDeadline,
  stepDeploy,
} from '../core/deploy/index.js';
import type { DisagreeingEvents } from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import { removeInstances, startInstances } from './instance-ops.js';
import type { StackRecord } from './store.js';

// Compile-time: every event the deploy state machine describes is the protocol's event_data
// of its type (service_starting gains its instances and hosts here, so it is completed below).
type Published = Exclude<DeployEvent, { event_type: 'service_starting' }>;
const deployEventsAgree: [DisagreeingEvents<Published>] extends [never]
  ? true
  : DisagreeingEvents<Published> = true;
void deployEventsAgree;

export interface DriveInput {
  fresh: Map<string, Assignment[]>;
  replaced: Map<string, Assignment[]>;
  kept: Map<string, Assignment[]>;
  quietDeploy: boolean;
  /**
   * A move (watch-moves.ts), not a deploy: a failure is the healing ladder's to report (the
   * agent's reason as orchestration_error, then service_failed once when its circuit opens),
   * so the drive's own service_failed is not published.
   */
  failuresToHealing?: boolean;
  /** This deploy's id, on its deploy_* events (a client that lost its answer matches it). */
  deployId: string;
  signal?: AbortSignal | undefined;
}

/** Runs the state machine to its outcome. */
export function drive(
  ctx: Context,
  record: StackRecord,
  plan: DeployPlan,
  input: DriveInput,
): Promise<{ state: DeployState }> {
  const targetsOf = (service: string): Assignment[] => [
    ...(input.kept.get(service) ?? []),
    ...(input.fresh.get(service) ?? []),
  ];
  const observe = (service: string): InstanceView[] =>
    targetsOf(service).map((a) => {
      const report = ctx.registry.report(a.agent, a.instance);
      const error = ctx.startErrors.get(instanceKey(a.agent, a.instance)) ?? null;
      const current = report !== undefined && report.spec_hash === a.spec_hash ? report : undefined;
      return {
        instance: a.instance,
        agent: a.agent,
        state: current?.state ?? null,
        health: current?.health ?? null,
        exit_code: current?.exit_code ?? null,
        started_at: current?.started_at ?? null,
        restarts: current?.restarts ?? 0,
        gave_up: current?.recovery?.gave_up ?? false,
        start_error: error,
        crash_loop: current?.crash_loop ?? null,
      };
    });

  return new Promise((resolve) => {
    const work: Promise<unknown>[] = [];
    const init = initDeploy(plan, ctx.now());
    let state: DeployState = init.state;
    let timer: TimerHandle | null = null;
    let queued = false;
    let finished = false;

    const schedule = (): void => {
      if (queued || finished) return;
      queued = true;
      // Coalesce a burst of snapshots into one step.
      queueMicrotask(() => {
        queued = false;
        if (!finished) apply(stepDeploy(plan, state, observe, ctx.now()));
      });
    };
    const off = ctx.registry.onChange((change) => {
      if (change.kind === 'containers' || change.kind === 'liveness') schedule();
    });

    // One executor per action kind: a new kind of deploy action does not compile until it has one.
    const executors: {
      readonly [K in DeployAction['type']]: (action: Extract<DeployAction, { type: K }>) => void;
    } = {
      event: (action) => {
        if (input.quietDeploy && action.event_type.startsWith('deploy_')) return;
        if (input.failuresToHealing && action.event_type === 'service_failed') return;
        if (action.event_type === 'service_starting') {
          // Where it starts is known here, not in the core.
          const list = targetsOf(action.data.service);
          ctx.events.emit('service_starting', {
            ...action.data,
            instances: list.map((a) => a.instance),
            hosts: [...new Set(list.map((a) => a.agent))].sort(),
          });
          return;
        }
        switch (action.event_type) {
          case 'deploy_started':
          case 'deploy_completed':
          case 'deploy_failed':
            ctx.events.emit(action.event_type, { ...action.data, deploy: input.deployId });
            return;
          default:
            ctx.events.emit(action.event_type, action.data);
        }
      },
      start: (action) => {
        const list = input.fresh.get(action.service) ?? [];
        // Start-first, unless the service publishes ports: with host networking the new
        // container could not bind them while the old one holds them, so stop-first.
        const ports = (record.stack.services[action.service]?.ports.length ?? 0) > 0;
        const first = ports ? (input.replaced.get(action.service) ?? []) : [];
        if (first.length > 0) input.replaced.delete(action.service);
        // Both changes land in one write, awaited before any agent is told.
        const written = Promise.all([
          ctx.desired.unassign(record.name, first),
          ctx.desired.assign(record.name, list),
        ]);
        work.push(
          written
            .then(() => removeInstances(ctx, first))
            .then(() => startInstances(ctx, record, list, schedule))
            .catch((err: unknown) => ctx.log.error({ err, service: action.service }, 'start failed')),
        );
      },
      ready: (action) => {
        const old = input.replaced.get(action.service) ?? [];
        if (old.length === 0) return;
        const written = ctx.desired.unassign(record.name, old);
        ctx.events.emit('service_updated', {
          stack: record.name,
          service: action.service,
          replaced: old.map((a) => a.instance),
          instances: targetsOf(action.service).map((a) => a.instance),
        });
        work.push(
          written
            .then(() => removeInstances(ctx, old))
            .catch((err: unknown) =>
              ctx.log.error({ err, service: action.service }, 'removing replaced instances failed'),
            ),
        );
      },
    };
    // The cast pairs an action with its own kind's executor.
    const act = (action: DeployAction): void => (executors[action.type] as (a: DeployAction) => void)(action);

    const apply = (result: { state: DeployState; actions: readonly DeployAction[] }): void => {
      state = result.state;
      for (const action of result.actions) act(action);
      ctx.clock.clearTimeout(timer);
      timer = null;
      if (state.outcome !== null) {
        finished = true;
        off();
        void Promise.allSettled(work).then(() => resolve({ state }));
        return;
      }
      const due = nextDeadline(plan, state);
      if (due !== null) timer = ctx.clock.setTimeout(schedule, Math.max(0, due - ctx.now()));
    };

    const cancel = (): void => {
      if (finished) return;
      const duration = ctx.now() - state.started_ms;
      const pending = plan.order.filter((n) => {
        const phase = state.services[n]?.phase;
        return phase !== 'ready' && phase !== 'failed' && phase !== 'blocked';
      });
      const reason = `cancelled before ${pending.join(', ')} ${pending.length === 1 ? 'was' : 'were'} up`;
      apply({
        state: {
          ...state,
          outcome: {
            ok: false,
            duration_ms: duration,
            code: 'ALICIA_ERR_DEPLOY_FAILED',
            reason,
            failed: [],
            blocked: pending,
          },
        },
        actions: [
          {
            type: 'event',
            event_type: 'deploy_failed',
            data: {
              stack: plan.stack,
              duration_ms: duration,
              reason,
              failed: [],
              blocked: pending,
              error: { code: 'ALICIA_ERR_DEPLOY_FAILED', message: reason },
            },
          },
        ],
      });
    };
    if (input.signal?.aborted) {
      apply(init);
      cancel();
      return;
    }
    input.signal?.addEventListener('abort', cancel, { once: true });
    apply(init);
    apply(stepDeploy(plan, state, observe, ctx.now()));
  });
}
