// Carries out the orchestrator's healing ladder (core/healing/strategy.ts): feeds it the
// failures the watcher sees (an agent gave up on an instance, a start failed on a host),
// carries its decisions out (recreate, retry with backoff and jitter, move off a failing
// host, open the circuit: `service_failed` once), keeps the circuits and the healing
// history on disk (healing-store.ts) and closes a circuit when an operator heals or
// restarts the service.
import type { TimerHandle } from '../clock/index.js';
import { type Assignment, moveAssignment } from '../core/deploy/index.js';
import {
  type CircuitInput,
  type CircuitState,
  CLOSED_CIRCUIT,
  DEFAULT_HOST_FAILURE_LIMIT,
  DEFAULT_JITTER,
  dependentsToRestart,
  type StrategyPolicy,
  stepCircuit,
} from '../core/healing/index.js';
import { createPlacer, isSticky } from '../core/placement/index.js';
import {
  type AliciaEvent,
  DEFAULT_BACKOFF,
  type HistoryEntry,
  requiredFeatures,
  toHistoryEntry,
} from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import { type HealingFile, type HealingStore, HISTORY_LIMIT } from './healing-store.js';
import { removeInstances, restartInstances, startInstances, stopInstances } from './instance-ops.js';
import type { StackRecord } from './store.js';

/** The Compose label that opts a service out of automatic healing (`alicia.healing: manual`). */
export const HEALING_LABEL = 'alicia.healing';

/** What the rest of the control plane reads of healing (Context.healing). */
export interface HealingView {
  /** The service's circuit; undefined when it has no streak and is closed. */
  circuitOf(stack: string, service: string): CircuitState | undefined;
  /** An instance's start is held back until then (ms; Infinity while its circuit is open). */
  heldUntil(stack: string, service: string, agent: string, instance: string): number | undefined;
}

export interface HealingFailure {
  readonly type: 'gave_up' | 'start_failed';
  readonly stack: string;
  readonly service: string;
  readonly agent: string;
  readonly instance: string;
  readonly reason: string;
}

export interface Healing extends HealingView {
  failure(failure: HealingFailure): void;
  /** Alicia restarted, recreated or moved the service: its `restart: true` dependents follow once it is ready. */
  dependencyRestarted(stack: string, service: string): void;
  /** An instance of the service runs ready (healthy, or running without a healthcheck). */
  ready(stack: string, service: string): void;
  /** An instance of the service reads healthy. */
  healthy(stack: string, service: string): void;
  /** An operator healed or restarted the service: the circuit closes; true when it was open. */
  closeCircuit(stack: string, service: string, reason: string): boolean;
  /** Newest first, optionally of one service. */
  history(filter: { service?: string | undefined; limit?: number | undefined }): HistoryEntry[];
  /** Every healing event goes into the persisted history. */
  record(event: AliciaEvent): void;
  flush(): Promise<void>;
  close(): void;
}

const circuitKey = (stack: string, service: string): string => `${stack}/${service}`;

export function policyOf(record: StackRecord, service: string): StrategyPolicy {
  const a = record.assignments.find((x) => x.service === service);
  const spec = a === undefined ? undefined : record.specs[a.spec_hash];
  return {
    backoff: spec?.healing.backoff ?? DEFAULT_BACKOFF,
    host_failure_limit: DEFAULT_HOST_FAILURE_LIMIT,
    jitter: DEFAULT_JITTER,
    manual: record.stack.services[service]?.labels?.[HEALING_LABEL] === 'manual',
    sticky: spec !== undefined && isSticky(spec, record.stack.services[service]?.x_alicia.movable),
  };
}

export function createHealing(
  store: HealingStore,
  loaded: HealingFile,
  ctxOf: () => Context,
  options: {
    /** The draw for the jitter (Math.random; fixed in tests). */
    readonly random?: () => number;
    /** A hold is over: reconcile soon (the watcher's scheduleReconcile). */
    readonly kick?: () => void;
  } = {},
): Healing {
  const random = options.random ?? Math.random;
  const circuits = new Map<string, CircuitState>(Object.entries(loaded.circuits));
  const history: HistoryEntry[] = [...loaded.history];
  /** agent/instance -> no start before (ms): a retry's backoff. */
  const held = new Map<string, number>();
  const timers = new Set<TimerHandle>();
  /**
   * agent/instance whose give-up was taken in: one give-up is one failure, however many
   * reports say it (gave_up, then state failed); forgotten when the instance is recreated.
   */
  const gaveUp = new Set<string>();
  let closed = false;
  /** stack/service restarted by Alicia, whose `restart: true` dependents restart once it is ready. */
  const restartDependents = new Set<string>();
  let saving: Promise<void> = Promise.resolve();

  let queued = false;
  /** Coalesced: many events in a burst are one write, of the state when it starts. */
  const persist = (): void => {
    if (queued) return;
    queued = true;
    saving = saving.then(() => {
      queued = false;
      const circuitsOut: Record<string, CircuitState> = {};
      for (const [k, c] of circuits) {
        if (c.state === 'closed' && c.attempts === 0 && c.failing_since === null) continue;
        circuitsOut[k] = c;
      }
      return store
        .save({ v: 1, circuits: circuitsOut, history: history.slice(-HISTORY_LIMIT) })
        .catch((err: unknown) => ctxOf().log.error({ err }, 'healing history not persisted'));
    });
  };

  const later = (delayMs: number, fn: () => Promise<void>): void => {
    if (closed) return;
    const ctx = ctxOf();
    const handle = ctx.clock.setTimeout(() => {
      timers.delete(handle);
      if (closed) return;
      ctx.track(fn());
    }, delayMs);
    timers.add(handle);
  };

  const assignmentOf = (stack: string, agent: string, instance: string): Assignment | undefined =>
    ctxOf().state.stacks[stack]?.assignments.find((a) => a.agent === agent && a.instance === instance);

  /** Another online host may take an instance of this service. */
  const canMoveOff = (record: StackRecord, a: Assignment): boolean => target(record, a) !== undefined;

  function target(record: StackRecord, a: Assignment): string | undefined {
    const ctx = ctxOf();
    const spec = record.specs[a.spec_hash];
    const service = record.stack.services[a.service];
    if (spec === undefined || service === undefined) return undefined;
    const load = new Map<string, number>();
    for (const r of Object.values(ctx.state.stacks))
      for (const x of r.assignments) load.set(x.agent, (load.get(x.agent) ?? 0) + 1);
    const nodes = ctx.registry.nodes().filter((n) => n.id !== a.agent);
    const placed = createPlacer(nodes, load).place({
      service: `${record.name}/${a.service}`,
      count: 1,
      constraints: service.constraints,
      hosts: service.x_alicia.hosts,
      features: requiredFeatures(spec),
      existing: record.assignments.filter((x) => x.service === a.service && x !== a).map((x) => x.agent),
    });
    return placed.ok ? placed.agents[0] : undefined;
  }

  /** Starts `a` and feeds a failure back into the ladder. */
  async function startAndWatch(record: StackRecord, a: Assignment): Promise<void> {
    const ctx = ctxOf();
    await startInstances(ctx, record, [a]);
    const error = ctx.startErrors.get(instanceKey(a.agent, a.instance));
    if (error !== undefined) {
      failure({
        type: 'start_failed',
        stack: a.stack,
        service: a.service,
        agent: a.agent,
        instance: a.instance,
        reason: `${error.code}: ${error.message}`,
      });
    }
  }

  function failure(f: HealingFailure): void {
    if (closed) return;
    const ctx = ctxOf();
    const record = ctx.state.stacks[f.stack];
    const a = assignmentOf(f.stack, f.agent, f.instance);
    if (record === undefined || a === undefined) return;
    const at = instanceKey(f.agent, f.instance);
    if (f.type === 'gave_up') {
      if (gaveUp.has(at)) return;
      gaveUp.add(at);
    }
    // The start is over (it failed): its retry waits for the ladder's hold, not for the
    // in-flight allowance of a start that may still show up.
    if (f.type === 'start_failed') ctx.pendingStarts.delete(at);
    const key = circuitKey(f.stack, f.service);
    const before = circuits.get(key) ?? CLOSED_CIRCUIT;
    const input: CircuitInput =
      f.type === 'gave_up'
        ? { type: 'gave_up', agent: f.agent, instance: f.instance, reason: f.reason }
        : { type: 'start_failed', agent: f.agent, instance: f.instance, reason: f.reason };
    const step = stepCircuit(before, input, policyOf(record, f.service), {
      now: ctx.now(),
      random: random(),
      canMoveOff: () => canMoveOff(record, a),
    });
    circuits.set(key, step.state);
    const where = { stack: f.stack, service: f.service, instance: f.instance, agent: f.agent };
    const d = step.decision;
    if (f.type === 'start_failed' && d.type !== 'none') {
      // A failed start is never silent: the agent's reason, every time.
      ctx.events.emit('orchestration_error', {
        ...where,
        reason: `start failed on ${f.agent}`,
        error: splitReason(f.reason),
      });
    }
    switch (d.type) {
      case 'none':
      case 'close':
      case 'recovered':
        break;
      case 'recreate':
        held.set(instanceKey(f.agent, f.instance), ctx.now() + d.delay_ms);
        ctx.events.emit('healing_action', {
          stack: f.stack,
          service: f.service,
          action: 'recreate',
          instances: [f.instance],
          reason: `attempt ${step.attempt} in ${d.delay_ms} ms: ${f.reason}`,
        });
        later(d.delay_ms, () =>
          ctx.withLock(f.stack, async () => {
            const current = ctx.state.stacks[f.stack];
            const still = assignmentOf(f.stack, f.agent, f.instance);
            if (current === undefined || still === undefined || isOpen(f.stack, f.service)) return;
            await removeInstances(ctx, [still]);
            gaveUp.delete(instanceKey(still.agent, still.instance));
            restartDependents.add(key);
            await startAndWatch(current, still);
          }),
        );
        break;
      case 'retry_start':
        held.set(instanceKey(f.agent, f.instance), ctx.now() + d.delay_ms);
        ctx.events.emit('healing_action', {
          stack: f.stack,
          service: f.service,
          action: 'retry_start',
          instances: [f.instance],
          reason: `attempt ${step.attempt} in ${d.delay_ms} ms: ${f.reason}`,
        });
        // The reconcile starts it again once the hold is over.
        later(d.delay_ms, async () => options.kick?.());
        break;
      case 'reschedule': {
        const to = target(record, a);
        if (to === undefined) break;
        // A new incarnation (a new id): the failing copy is another instance, removed below.
        const moved = moveAssignment(a, to, ctx.now());
        ctx.events.emit('service_rescheduled', {
          stack: f.stack,
          service: f.service,
          instance: moved.instance,
          replaces: a.instance,
          from: a.agent,
          to,
          reason: `host ${a.agent} keeps failing it: ${f.reason}`,
        });
        ctx.track(
          ctx.withLock(f.stack, async () => {
            await ctx.desired.reassign(f.stack, [{ from: a, to: moved }]);
            restartDependents.add(key);
            const current = ctx.state.stacks[f.stack];
            if (current !== undefined) await startAndWatch(current, moved);
            // The failed copy on the old host goes now (its host is online, it only fails this
            // service), not at the reconcile's sweep of strays ~15 s later.
            await removeInstances(ctx, [a]);
            gaveUp.delete(instanceKey(a.agent, a.instance));
          }),
        );
        break;
      }
      case 'open':
        ctx.events.emit('service_failed', {
          ...where,
          reason: `${d.reason}; alicia heal ${f.service} closes the circuit`,
          error: {
            code: 'ALICIA_ERR_CIRCUIT_OPEN',
            message: `healing of ${f.stack}/${f.service} stopped: ${d.reason}`,
          },
        });
        ctx.log.error(
          { stack: f.stack, service: f.service, reason: d.reason },
          'circuit open: healing stopped',
        );
        {
          // Stop trying means stop: a container Docker still restarts (a crash loop) is
          // stopped, and kept with its logs for the operator.
          const live = record.assignments.filter((x) => {
            if (x.service !== f.service) return false;
            const state = ctx.registry.report(x.agent, x.instance)?.state;
            return state !== undefined && state !== 'failed' && state !== 'stopped';
          });
          // Manual: Alicia touches nothing (Docker's restart policy goes on); the operator decides.
          if (live.length > 0 && !d.manual) ctx.track(stopInstances(ctx, live));
        }
        break;
    }
    persist();
  }

  function isOpen(stack: string, service: string): boolean {
    return circuits.get(circuitKey(stack, service))?.state === 'open';
  }

  /** Restarts the `restart: true` dependents of a service that is ready again (not during an operation). */
  function ready(stack: string, service: string): void {
    const key = circuitKey(stack, service);
    if (closed || !restartDependents.has(key)) return;
    const ctx = ctxOf();
    const record = ctx.state.stacks[stack];
    if (record === undefined || ctx.isLocked(stack)) return;
    restartDependents.delete(key);
    for (const dependent of dependentsToRestart(record.stack.services, service)) {
      const list = record.assignments.filter((a) => a.service === dependent);
      if (list.length === 0) continue;
      const instances = list.map((a) => a.instance);
      // The restart itself shows as service_restarted in the agent's report: announced here
      // as the action, with its reason, not a second service_restarted.
      ctx.events.emit('healing_action', {
        stack,
        service: dependent,
        action: 'restart',
        instances,
        reason: `its dependency ${service} was restarted and is ready again (depends_on restart: true)`,
      });
      // Each restart is seen in the agent's report (service_restarted by its agent): the
      // dependent's own restart: true dependents follow once it is ready, in order.
      ctx.track(
        restartInstances(ctx, list).then((failed) => {
          if (failed.length > 0)
            ctx.log.warn({ stack, service: dependent, failed }, 'dependent restart failed');
        }),
      );
    }
  }

  return {
    failure,
    ready,
    dependencyRestarted(stack, service) {
      restartDependents.add(circuitKey(stack, service));
    },
    circuitOf: (stack, service) => circuits.get(circuitKey(stack, service)),
    heldUntil(stack, service, agent, instance) {
      if (isOpen(stack, service)) return Number.POSITIVE_INFINITY;
      return held.get(instanceKey(agent, instance));
    },
    healthy(stack, service) {
      const key = circuitKey(stack, service);
      const before = circuits.get(key);
      if (before === undefined || closed) return;
      const ctx = ctxOf();
      const record = ctx.state.stacks[stack];
      if (record === undefined) return;
      const step = stepCircuit(before, { type: 'healthy' }, policyOf(record, service), {
        now: ctx.now(),
        random: random(),
        canMoveOff: () => false,
      });
      if (step.state === before) return;
      circuits.set(key, step.state);
      if (step.decision.type === 'recovered') {
        const a = record.assignments.find((x) => x.service === service);
        for (const k of [...held.keys()])
          if (a !== undefined && k === instanceKey(a.agent, a.instance)) held.delete(k);
        if (a !== undefined) {
          ctx.events.emit('service_recovered', {
            stack,
            service,
            instance: a.instance,
            agent: a.agent,
            recovery_ms: step.decision.recovery_ms,
          });
        }
      }
      persist();
    },
    closeCircuit(stack, service, reason) {
      const key = circuitKey(stack, service);
      const before = circuits.get(key) ?? CLOSED_CIRCUIT;
      const ctx = ctxOf();
      const record = ctx.state.stacks[stack];
      if (record === undefined) return false;
      const step = stepCircuit(before, { type: 'operator' }, policyOf(record, service), {
        now: ctx.now(),
        random: random(),
        canMoveOff: () => false,
      });
      circuits.delete(key);
      for (const a of record.assignments) {
        if (a.service !== service) continue;
        held.delete(instanceKey(a.agent, a.instance));
        gaveUp.delete(instanceKey(a.agent, a.instance));
      }
      const wasOpen = step.decision.type === 'close' && step.decision.was_open;
      if (wasOpen) {
        ctx.events.emit('healing_action', {
          stack,
          service,
          action: 'circuit_close',
          reason: `${reason}; circuit was open since ${new Date(before.opened_at ?? ctx.now()).toISOString()}: ${before.reason ?? ''}`,
        });
      }
      persist();
      return wasOpen;
    },
    history({ service, limit }) {
      const out: HistoryEntry[] = [];
      for (let i = history.length - 1; i >= 0 && out.length < (limit ?? 100); i -= 1) {
        const e = history[i];
        if (e === undefined) continue;
        if (service !== undefined && e.service !== service) continue;
        out.push(e);
      }
      return out;
    },
    record(event) {
      const entry = toHistoryEntry(event);
      if (entry === null) return;
      history.push(entry);
      if (history.length > HISTORY_LIMIT * 1.5) history.splice(0, history.length - HISTORY_LIMIT);
      persist();
    },
    async flush() {
      await saving;
    },
    close() {
      closed = true;
      const ctx = ctxOf();
      for (const t of timers) ctx.clock.clearTimeout(t);
      timers.clear();
    },
  };
}

/** An agent's error as `CODE: message` back into its parts (the reason carries both). */
function splitReason(reason: string): { code: string; message: string } {
  const m = /^(ALICIA_ERR_[A-Z_]+): (.*)$/s.exec(reason);
  return m
    ? { code: m[1] as string, message: m[2] as string }
    : { code: 'ALICIA_ERR_COMMAND_FAILED', message: reason };
}
