// The orchestrator's eyes between operations: feeds the agents' container reports, the
// hosts' liveness and the desired state to the pure watcher decisions (core/watch: report
// -> events, rescheduling off lost hosts, healing of idle stacks) and carries their steps
// out through one executor table.
import type { TimerHandle } from '../clock/index.js';
import { describeCrashLoop } from '../core/deploy/index.js';
import { holdsOnHost } from '../core/placement/index.js';
import type { ObservedInstance } from '../core/reconcile/index.js';
import {
  planHealing,
  planLeftovers,
  planReschedule,
  reportEvents,
  type SeenInstance,
  type WatchStep,
} from '../core/watch/index.js';
import { requiredFeatures } from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import type { ObservedReport } from './registry.js';
import type { StackRecord } from './store.js';
import { createWatchExecutors, runSteps } from './watch-executors.js';

export function createWatcher(ctx: Context) {
  const seen = new Map<string, SeenInstance>();
  /** agent/instance reported crash-looping (one failure per episode). */
  const crashing = new Set<string>();
  const lostAnnounced = new Set<string>();
  let unplaceable: ReadonlySet<string> = new Set();
  const executors = createWatchExecutors(ctx);
  let reconcileTimer: TimerHandle | null = null;
  let closed = false;

  /** Healing events from one agent's new snapshot. */
  function onContainers(agent: string): void {
    const now = ctx.now();
    const mine = new Map<string, { stack: string; service: string }>();
    for (const record of Object.values(ctx.state.stacks)) {
      for (const a of record.assignments) if (a.agent === agent) mine.set(a.instance, a);
    }
    const steps: WatchStep[] = [];
    for (const c of ctx.registry.get(agent)?.containers?.containers ?? []) {
      const key = instanceKey(agent, c.instance);
      const a = mine.get(c.instance);
      const subject =
        a !== undefined && !ctx.isLocked(a.stack) ? { stack: a.stack, service: a.service, agent } : null;
      const result = reportEvents(seen.get(key), c, subject, now);
      seen.set(key, result.seen);
      for (const step of result.steps) {
        // The agent gave up on the instance: the orchestrator's ladder decides what comes
        // next (recreate, move, or open the circuit with the one service_failed).
        if (subject !== null && step.kind === 'emit' && step.event.event_type === 'service_failed') {
          // Taken in once the agent has stopped it (state failed): a recreate issued while
          // the agent is still stopping the old container would race the agent's give-up.
          if (c.state !== 'failed') continue;
          ctx.healing.failure({
            type: 'gave_up',
            stack: subject.stack,
            service: subject.service,
            agent,
            instance: c.instance,
            reason: step.event.data.reason,
          });
          continue;
        }
        // Restarted (by its agent, or an operator): its restart: true dependents follow once it is ready.
        if (subject !== null && step.kind === 'emit' && step.event.event_type === 'service_restarted') {
          ctx.healing.dependencyRestarted(subject.stack, subject.service);
        }
        steps.push(step);
      }
      if (!c.crash_loop) crashing.delete(key);
      else if (subject !== null && !crashing.has(key)) {
        // A crash loop is a failure of the ladder as a give-up is: recreated with backoff,
        // then stopped and failed once the budget is spent.
        crashing.add(key);
        ctx.healing.failure({
          type: 'gave_up',
          stack: subject.stack,
          service: subject.service,
          agent,
          instance: c.instance,
          reason: `crash-looping (${describeCrashLoop(c.crash_loop)})`,
        });
      }
      if (subject !== null && c.state === 'running' && (c.health === 'healthy' || c.health === 'none')) {
        ctx.healing.ready(subject.stack, subject.service);
      }
      if (subject !== null && c.state === 'running' && c.health === 'healthy') {
        ctx.healing.healthy(subject.stack, subject.service);
      }
    }
    // Only emits: carried out now, in the order of the reports.
    runSteps(executors, steps).catch((err: unknown) => ctx.log.error({ err }, 'report events failed'));
  }

  /** Moves the instances of hosts offline longer than the grace period. */
  async function reschedule(): Promise<void> {
    const now = ctx.now();
    for (const entry of ctx.registry.list()) {
      const live = entry.liveness;
      if (live === null || live.status !== 'offline') {
        lostAnnounced.delete(entry.id);
        continue;
      }
      const records = Object.values(ctx.state.stacks);
      const load = new Map<string, number>();
      for (const r of records) for (const a of r.assignments) load.set(a.agent, (load.get(a.agent) ?? 0) + 1);
      const result = planReschedule({
        agent: entry.id,
        offlineSinceMs: live.sinceMs,
        now,
        graceMs: ctx.settings.rescheduleGraceMs,
        stacks: records
          .filter((r) => !ctx.isLocked(r.name))
          .map((r) => ({
            name: r.name,
            definition: r.stack,
            assignments: r.assignments,
            ruleOf: (a) => placementRule(r, a),
          })),
        load,
        nodes: ctx.registry.nodes(),
        announced: lostAnnounced.has(entry.id),
        unplaceable,
        startupTimeoutMs: ctx.settings.startupTimeoutMs,
      });
      if (result.announced) lostAnnounced.add(entry.id);
      unplaceable = result.unplaceable;
      await runSteps(executors, result.steps);
    }
  }

  const observedOf = (r: ObservedReport, record: StackRecord | undefined): ObservedInstance => ({
    instance: r.instance,
    stack: r.stack,
    service: r.service,
    slot: record?.assignments.find((a) => a.instance === r.instance)?.slot ?? null,
    agent: r.agent,
    spec_hash: r.spec_hash,
    state: r.state,
    container_id: r.container_id,
    created_at: r.created_at,
  });

  /** Reconciles every stack that no operation holds. */
  async function reconcileAll(): Promise<void> {
    const now = ctx.now();
    // Bookkeeping of starts and removals that are long settled.
    for (const [key, until] of ctx.pendingStarts) if (until <= now) ctx.pendingStarts.delete(key);
    for (const [key, until] of ctx.removing) if (until <= now) ctx.removing.delete(key);
    const reports = ctx.registry.reports().filter((r) => {
      const until = ctx.removing.get(instanceKey(r.agent, r.instance));
      return until === undefined || until <= now;
    });
    // An agent counts as seen only once its containers snapshot arrived.
    const reachable = (agent: string): boolean =>
      ctx.registry.status(agent) === 'online' && (ctx.registry.get(agent)?.containers ?? null) !== null;
    const steps: WatchStep[] = [];
    for (const record of Object.values(ctx.state.stacks)) {
      if (ctx.isLocked(record.name)) continue;
      const observed = reports.filter((r) => r.stack === record.name).map((r) => observedOf(r, record));
      const agents = new Set([...record.assignments.map((a) => a.agent), ...observed.map((o) => o.agent)]);
      steps.push(
        ...planHealing({
          stack: record.name,
          assignments: record.assignments,
          // A start in flight, a retry's backoff, or an open circuit: not started now.
          pendingUntil: (agent, instance) => {
            const pending = ctx.pendingStarts.get(instanceKey(agent, instance));
            const service = record.assignments.find((a) => a.instance === instance)?.service;
            const held =
              service === undefined
                ? undefined
                : ctx.healing.heldUntil(record.name, service, agent, instance);
            if (pending === undefined) return held;
            return held === undefined ? pending : Math.max(pending, held);
          },
          observed,
          unreachable: new Set([...agents].filter((a) => !reachable(a))),
          now,
        }),
      );
    }
    // Containers of stacks taken down while their host was away.
    const leftovers = reports.filter(
      (r) =>
        ctx.state.stacks[r.stack] === undefined &&
        ctx.state.removed[r.stack] !== undefined &&
        reachable(r.agent),
    );
    steps.push(...planLeftovers(leftovers.map((r) => observedOf(r, undefined))));
    await runSteps(executors, steps);
  }

  const scheduleReconcile = (delayMs = 250): void => {
    if (reconcileTimer || closed) return;
    reconcileTimer = ctx.clock.setTimeout(() => {
      reconcileTimer = null;
      reconcileAll().catch((err: unknown) => ctx.log.error({ err }, 'reconcile failed'));
    }, delayMs);
  };

  return {
    onContainers,
    scheduleReconcile,
    reconcileNow: reconcileAll,
    reschedule: () => reschedule().catch((err: unknown) => ctx.log.error({ err }, 'reschedule failed')),
    close(): void {
      closed = true;
      ctx.clock.clearTimeout(reconcileTimer);
    },
  };
}

/** Where an instance may run is its service's rule (Compose); what it needs of an agent, its spec's features. */
function placementRule(record: StackRecord, assignment: { service: string; spec_hash: string }) {
  const spec = record.specs[assignment.spec_hash];
  const service = record.stack.services[assignment.service];
  if (spec === undefined || service === undefined) return undefined;
  const holds = holdsOnHost(spec, service.x_alicia.movable);
  return {
    constraints: service.constraints,
    hosts: service.x_alicia.hosts,
    features: requiredFeatures(spec),
    ...(holds !== undefined ? { holds } : {}),
  };
}
