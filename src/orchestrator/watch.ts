// The orchestrator's eyes between operations: turns the agents' container reports into
// healing events, reschedules the instances of a host that stayed offline past a grace
// period, and reconciles each idle stack (start what is missing, remove duplicates and
// orphans) whenever the agents' reports change.
import type { TimerHandle } from '../clock/index.js';
import { type Assignment, instanceId } from '../core/deploy/index.js';
import { createPlacer } from '../core/placement/index.js';
import { type DesiredInstance, type ObservedInstance, reconcile } from '../core/reconcile/index.js';
import type { ContainerReport } from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import { removeInstances, startInstances } from './instance-ops.js';
import type { ObservedReport } from './registry.js';
import type { StackRecord } from './store.js';

interface Seen {
  health: ContainerReport['health'];
  state: ContainerReport['state'];
  restarts: number;
  gaveUp: boolean;
  unhealthySince: number | null;
}

export function createWatcher(ctx: Context) {
  const seen = new Map<string, Seen>();
  const lostAnnounced = new Set<string>();
  const unplaceable = new Set<string>();
  let reconcileTimer: TimerHandle | null = null;
  let closed = false;

  /** This agent's assignments by instance id. */
  const assignmentsOn = (agent: string): Map<string, Assignment> => {
    const out = new Map<string, Assignment>();
    for (const record of Object.values(ctx.state.stacks)) {
      for (const a of record.assignments) if (a.agent === agent) out.set(a.instance, a);
    }
    return out;
  };

  /** Healing events from one agent's new snapshot. */
  function onContainers(agent: string): void {
    const now = ctx.now();
    const mine = assignmentsOn(agent);
    const snapshot = ctx.registry.get(agent)?.containers;
    for (const c of snapshot?.containers ?? []) {
      const key = instanceKey(agent, c.instance);
      const before = seen.get(key);
      const gaveUp = c.recovery?.gave_up ?? false;
      const next: Seen = {
        health: c.health,
        state: c.state,
        restarts: c.restarts,
        gaveUp,
        unhealthySince: before?.unhealthySince ?? null,
      };
      const a = mine.get(c.instance);
      if (before !== undefined && a !== undefined && !ctx.isLocked(a.stack)) {
        const data = { stack: a.stack, service: a.service, instance: c.instance, agent };
        if (c.health === 'unhealthy' && before.health !== 'unhealthy') {
          next.unhealthySince = now;
          ctx.events.emit('service_unhealthy', { ...data, restarts: c.restarts });
        }
        if (c.health === 'degraded' && before.health !== 'degraded')
          ctx.events.emit('service_degraded', data);
        if (c.restarts > before.restarts) {
          ctx.events.emit('service_restarted', {
            ...data,
            restarts: c.restarts,
            reason: 'restarted by its agent',
            attempts: c.recovery?.attempts ?? null,
          });
        }
        if (c.health === 'healthy' && before.health !== 'healthy' && before.unhealthySince !== null) {
          ctx.events.emit('service_recovered', { ...data, recovery_ms: now - before.unhealthySince });
          next.unhealthySince = null;
        }
        if ((gaveUp && !before.gaveUp) || (c.state === 'failed' && before.state !== 'failed')) {
          ctx.events.emit('service_failed', {
            ...data,
            reason: `its agent gave up after ${c.restarts} restarts`,
            error: { code: 'ALICIA_ERR_DEPLOY_FAILED', message: `instance ${c.instance} failed on ${agent}` },
          });
        }
      }
      seen.set(key, next);
    }
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
      if (now - live.sinceMs < ctx.settings.rescheduleGraceMs) continue;
      const stranded = Object.values(ctx.state.stacks).flatMap((r) =>
        ctx.isLocked(r.name) ? [] : r.assignments.filter((a) => a.agent === entry.id),
      );
      if (stranded.length === 0) continue;
      if (!lostAnnounced.has(entry.id)) {
        lostAnnounced.add(entry.id);
        ctx.events.emit('agent_lost', {
          agent: entry.id,
          instances: stranded.length,
          offline_ms: now - live.sinceMs,
        });
      }
      const nodes = ctx.registry.nodes();
      const load = new Map<string, number>();
      for (const r of Object.values(ctx.state.stacks)) {
        for (const a of r.assignments) load.set(a.agent, (load.get(a.agent) ?? 0) + 1);
      }
      const placer = createPlacer(nodes, load);
      for (const record of Object.values(ctx.state.stacks)) {
        const moved: Assignment[] = [];
        for (const a of record.assignments.filter((x) => x.agent === entry.id)) {
          const spec = record.specs[a.spec_hash];
          if (spec === undefined || ctx.isLocked(record.name)) continue;
          const others = record.assignments
            .filter((x) => x.service === a.service && x !== a)
            .map((x) => x.agent);
          const placed = placer.place({
            service: `${record.name}/${a.service}`,
            count: 1,
            constraints: spec.constraints,
            hosts: spec.x_alicia.hosts,
            existing: others,
          });
          const to = placed.ok ? placed.agents[0] : undefined;
          if (!placed.ok || to === undefined) {
            if (!unplaceable.has(a.instance)) {
              unplaceable.add(a.instance);
              ctx.events.emit('orchestration_error', {
                stack: record.name,
                service: a.service,
                instance: a.instance,
                agent: a.agent,
                reason: `cannot reschedule off offline host ${a.agent}`,
                error: placed.ok
                  ? { code: 'ALICIA_ERR_PLACEMENT', message: 'no host' }
                  : { code: placed.error.code, message: placed.error.message },
              });
            }
            continue;
          }
          unplaceable.delete(a.instance);
          const next: Assignment = {
            ...a,
            instance: instanceId(a.stack, a.service, a.slot, a.spec_hash),
            agent: to,
            created_ms: now,
          };
          record.assignments = record.assignments.map((x) => (x === a ? next : x));
          moved.push(next);
          ctx.events.emit('service_rescheduled', {
            stack: record.name,
            service: a.service,
            instance: next.instance,
            from: a.agent,
            to,
            reason: `host ${a.agent} offline for ${now - live.sinceMs} ms`,
          });
        }
        if (moved.length > 0) {
          await ctx.persist();
          ctx.track(startInstances(ctx, record, moved));
        }
      }
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
    for (const record of Object.values(ctx.state.stacks)) {
      if (ctx.isLocked(record.name)) continue;
      const desired: DesiredInstance[] = record.assignments.map((a) => ({
        ...a,
        pending_until: ctx.pendingStarts.get(instanceKey(a.agent, a.instance)),
      }));
      const observed = reports.filter((r) => r.stack === record.name).map((r) => observedOf(r, record));
      const agents = new Set([...desired.map((d) => d.agent), ...observed.map((o) => o.agent)]);
      const unreachable = new Set([...agents].filter((a) => !reachable(a)));
      const plan = reconcile(desired, observed, now, { unreachable });
      const toStart = [...plan.start, ...plan.replace.map((r) => r.start)];
      // A replacement under the same instance id is done by the agent's start alone (it
      // swaps the container in place); removing that id as well would remove the new one.
      const inPlace = new Set(
        plan.replace
          .filter((r) => r.start.instance === r.stop.instance)
          .map((r) => instanceKey(r.stop.agent, r.stop.instance)),
      );
      const toStop = [...plan.stop, ...plan.replace.map((r) => r.stop)].filter(
        (o) => !inPlace.has(instanceKey(o.agent, o.instance)),
      );
      if (toStart.length === 0 && toStop.length === 0) continue;
      const starting = record.assignments.filter((a) =>
        toStart.some((d) => d.agent === a.agent && d.instance === a.instance),
      );
      if (starting.length > 0) {
        ctx.events.emit('healing_action', {
          stack: record.name,
          action: 'start_missing',
          instances: starting.map((a) => a.instance),
          reason: 'desired instances not running on their hosts',
        });
        ctx.track(startInstances(ctx, record, starting));
      }
      if (toStop.length > 0) {
        ctx.events.emit('healing_action', {
          stack: record.name,
          action: 'remove_unwanted',
          instances: toStop.map((o) => `${o.agent}/${o.instance}`),
          reason: 'duplicates or orphans of this stack',
        });
        ctx.track(removeInstances(ctx, toStop.map(asAssignment)));
      }
    }
    // Containers of stacks taken down while their host was away.
    const leftovers = reports.filter(
      (r) =>
        ctx.state.stacks[r.stack] === undefined &&
        ctx.state.removed[r.stack] !== undefined &&
        reachable(r.agent),
    );
    if (leftovers.length > 0) {
      ctx.events.emit('healing_action', {
        action: 'remove_unwanted',
        instances: leftovers.map((r) => `${r.agent}/${r.instance}`),
        reason: 'containers of stacks that were taken down',
      });
      ctx.track(
        removeInstances(
          ctx,
          leftovers.map((r) => asAssignment(observedOf(r, undefined))),
        ),
      );
    }
  }

  const asAssignment = (o: ObservedInstance): Assignment => ({
    instance: o.instance,
    stack: o.stack,
    service: o.service,
    slot: o.slot ?? 1,
    agent: o.agent,
    spec_hash: o.spec_hash,
    created_ms: o.created_at,
  });

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
