// The deploy as a pure state machine. The runner feeds it the agents' reports (on every
// containers snapshot, i.e. on every Docker event) and the time; it answers with the
// services to start now and the events to publish. A service starts as soon as each of
// its own dependencies meets its condition — not when a whole layer is done.
import type { ErrorCode } from '../errors.js';
import {
  conditionMet,
  type InstanceView,
  judgeService,
  type Milestones,
  mergeMilestones,
  NO_MILESTONES,
  reachedTarget,
  type Target,
} from './judge.js';

type ServiceData = { stack: string; service: string };
type EventError = { code: string; message: string };

/**
 * The lifecycle events a deploy emits, with their data: the protocol's `event_data` of
 * these types (the core does not import the protocol; the executor that publishes them
 * does not compile if the two disagree).
 */
export type DeployEvent =
  | { readonly event_type: 'deploy_started'; readonly data: { stack: string; services: string[] } }
  | { readonly event_type: 'deploy_completed'; readonly data: { stack: string; duration_ms: number } }
  | {
      readonly event_type: 'deploy_failed';
      readonly data: {
        stack: string;
        duration_ms: number;
        reason: string;
        failed: string[];
        blocked: string[];
        error: EventError;
      };
    }
  | {
      readonly event_type: 'service_waiting';
      readonly data: ServiceData & { waiting_for: string[]; conditions: Record<string, string> };
    }
  | { readonly event_type: 'service_starting'; readonly data: ServiceData & { replicas: number } }
  | {
      readonly event_type: 'service_started' | 'service_healthy';
      readonly data: ServiceData & { elapsed_ms: number };
    }
  | {
      readonly event_type: 'service_completed';
      readonly data: ServiceData & { elapsed_ms: number; exit_code: number };
    }
  | {
      readonly event_type: 'service_failed';
      readonly data: ServiceData & { reason: string; dependency?: string; error: EventError };
    };

/** The lifecycle event types a deploy emits (a subset of the protocol's EVENT_TYPES). */
export type DeployEventType = DeployEvent['event_type'];

export interface DeployServicePlan {
  readonly name: string;
  /** Dependencies present in the stack, with their condition and whether they are required. */
  readonly depends_on: Readonly<Record<string, { readonly condition: string; readonly required: boolean }>>;
  readonly target: Target;
  readonly restart: string;
  /** Instances the service must have when up. */
  readonly expected: number;
  /** false: nothing of it changed (its instances are kept), so no start and no per-service events. */
  readonly start: boolean;
  /** Startup timeout, from the moment it is started (ms). */
  readonly timeout_ms: number;
}

export interface DeployPlan {
  readonly stack: string;
  /** Services in a valid start order (the graph's startOrder). */
  readonly order: readonly string[];
  readonly services: Readonly<Record<string, DeployServicePlan>>;
}

export type Phase = 'pending' | 'waiting' | 'starting' | 'ready' | 'failed' | 'blocked';

export interface ServiceProgress {
  readonly phase: Phase;
  readonly since_ms: number;
  readonly started_ms: number | null;
  readonly reached: Milestones;
  readonly waiting_for: readonly string[];
  readonly failure: { readonly code: string; readonly reason: string } | null;
}

export interface DeployState {
  readonly started_ms: number;
  readonly services: Readonly<Record<string, ServiceProgress>>;
  readonly outcome: DeployOutcome | null;
}

export type DeployOutcome =
  | { readonly ok: true; readonly duration_ms: number }
  | {
      readonly ok: false;
      readonly duration_ms: number;
      readonly code: ErrorCode;
      readonly reason: string;
      readonly failed: readonly string[];
      readonly blocked: readonly string[];
    };

export type DeployAction =
  | { readonly type: 'start'; readonly service: string }
  | { readonly type: 'ready'; readonly service: string }
  | ({ readonly type: 'event' } & DeployEvent);

export interface StepResult {
  readonly state: DeployState;
  readonly actions: readonly DeployAction[];
}

const TERMINAL: ReadonlySet<Phase> = new Set(['ready', 'failed', 'blocked']);

export function isTerminal(phase: Phase): boolean {
  return TERMINAL.has(phase);
}

export function initDeploy(plan: DeployPlan, now: number): StepResult {
  const services: Record<string, ServiceProgress> = {};
  for (const name of plan.order) {
    services[name] = {
      phase: 'pending',
      since_ms: now,
      started_ms: null,
      reached: NO_MILESTONES,
      waiting_for: [],
      failure: null,
    };
  }
  return {
    state: { started_ms: now, services, outcome: null },
    actions: [
      {
        type: 'event',
        event_type: 'deploy_started',
        data: { stack: plan.stack, services: [...plan.order] },
      },
    ],
  };
}

/**
 * One step: judge every service from `observe(service)` (the views of the instances it
 * should have), start what became startable, fail what timed out. Loops until nothing
 * changes, so one report can carry a whole chain forward.
 */
export function stepDeploy(
  plan: DeployPlan,
  state: DeployState,
  observe: (service: string) => readonly InstanceView[],
  now: number,
): StepResult {
  if (state.outcome !== null) return { state, actions: [] };
  const services: Record<string, ServiceProgress> = { ...state.services };
  const actions: DeployAction[] = [];
  const emit: Emit = (event) => actions.push({ type: 'event', ...event });

  for (let changed = true, rounds = 0; changed && rounds <= plan.order.length + 1; rounds += 1) {
    changed = false;
    for (const name of plan.order) {
      const svc = plan.services[name];
      const progress = services[name];
      if (svc === undefined || progress === undefined) continue;
      const next = advance(plan.stack, svc, progress, services, observe, now, emit, actions);
      if (next !== progress) {
        services[name] = next;
        changed = true;
      }
    }
  }

  let outcome: DeployOutcome | null = null;
  if (plan.order.every((name) => isTerminal(services[name]?.phase ?? 'ready'))) {
    outcome = conclude(plan, services, now - state.started_ms);
    actions.push(
      outcome.ok
        ? {
            type: 'event',
            event_type: 'deploy_completed',
            data: { stack: plan.stack, duration_ms: outcome.duration_ms },
          }
        : {
            type: 'event',
            event_type: 'deploy_failed',
            data: {
              stack: plan.stack,
              duration_ms: outcome.duration_ms,
              reason: outcome.reason,
              failed: [...outcome.failed],
              blocked: [...outcome.blocked],
              error: { code: outcome.code, message: outcome.reason },
            },
          },
    );
  }
  return { state: { ...state, services, outcome }, actions };
}

type Emit = (event: DeployEvent) => void;

function advance(
  stack: string,
  svc: DeployServicePlan,
  progress: ServiceProgress,
  all: Readonly<Record<string, ServiceProgress>>,
  observe: (service: string) => readonly InstanceView[],
  now: number,
  emit: Emit,
  actions: DeployAction[],
): ServiceProgress {
  switch (progress.phase) {
    case 'ready':
    case 'failed':
    case 'blocked':
      return progress;
    case 'pending':
    case 'waiting': {
      const waiting: string[] = [];
      for (const [dep, edge] of Object.entries(svc.depends_on)) {
        const depProgress = all[dep];
        if (depProgress === undefined) continue;
        if (depProgress.phase === 'failed' || depProgress.phase === 'blocked') {
          // Compose: an optional dependency that fails is warned about, not waited for.
          if (!edge.required) continue;
          const reason = `not started: dependency "${dep}" failed (${depProgress.failure?.reason ?? 'unknown'})`;
          emit({
            event_type: 'service_failed',
            data: {
              stack,
              service: svc.name,
              reason,
              dependency: dep,
              error: { code: 'ALICIA_ERR_DEPENDENCY_FAILED', message: reason },
            },
          });
          return {
            ...progress,
            phase: 'blocked',
            since_ms: now,
            waiting_for: [],
            failure: { code: 'ALICIA_ERR_DEPENDENCY_FAILED', reason },
          };
        }
        if (!conditionMet(edge.condition, depProgress.reached)) waiting.push(dep);
      }
      waiting.sort();
      if (waiting.length > 0) {
        if (progress.phase === 'waiting' && sameList(progress.waiting_for, waiting)) return progress;
        if (svc.start) {
          emit({
            event_type: 'service_waiting',
            data: {
              stack,
              service: svc.name,
              waiting_for: waiting,
              conditions: Object.fromEntries(waiting.map((d) => [d, svc.depends_on[d]?.condition ?? ''])),
            },
          });
        }
        return { ...progress, phase: 'waiting', since_ms: now, waiting_for: waiting };
      }
      if (svc.start) {
        actions.push({ type: 'start', service: svc.name });
        emit({
          event_type: 'service_starting',
          data: { stack, service: svc.name, replicas: svc.expected },
        });
      }
      const started: ServiceProgress = {
        ...progress,
        phase: 'starting',
        since_ms: now,
        started_ms: now,
        waiting_for: [],
      };
      // Judge at once: a kept service may be up already.
      return judge(stack, svc, started, observe, now, emit, actions);
    }
    case 'starting':
      return judge(stack, svc, progress, observe, now, emit, actions);
  }
}

function judge(
  stack: string,
  svc: DeployServicePlan,
  progress: ServiceProgress,
  observe: (service: string) => readonly InstanceView[],
  now: number,
  emit: Emit,
  actions: DeployAction[],
): ServiceProgress {
  const judgement = judgeService(observe(svc.name), svc.expected, {
    target: svc.target,
    restart: svc.restart,
  });
  const reached = mergeMilestones(progress.reached, judgement.reached);
  const elapsed = now - (progress.started_ms ?? now);
  if (svc.start && svc.expected > 0) {
    const data = { stack, service: svc.name, elapsed_ms: elapsed };
    if (reached.started && !progress.reached.started) emit({ event_type: 'service_started', data });
    if (reached.healthy && !progress.reached.healthy && svc.target !== 'started') {
      emit({ event_type: 'service_healthy', data });
    }
    if (reached.completed && !progress.reached.completed) {
      emit({ event_type: 'service_completed', data: { ...data, exit_code: 0 } });
    }
  }
  if (reachedTarget(reached, svc.target)) {
    actions.push({ type: 'ready', service: svc.name });
    return { ...progress, phase: 'ready', since_ms: now, reached, failure: null };
  }
  let failure = judgement.failure;
  if (failure === null && elapsed >= svc.timeout_ms) {
    failure = {
      code: 'ALICIA_ERR_TIMEOUT',
      reason: `not ${svc.target === 'started' ? 'started' : svc.target} within the startup timeout of ${svc.timeout_ms} ms`,
    };
  }
  if (failure !== null) {
    emit({
      event_type: 'service_failed',
      data: {
        stack,
        service: svc.name,
        reason: failure.reason,
        error: { code: failure.code, message: `service "${svc.name}": ${failure.reason}` },
      },
    });
    return { ...progress, phase: 'failed', since_ms: now, reached, failure };
  }
  if (reached === progress.reached || sameMilestones(reached, progress.reached)) return progress;
  return { ...progress, reached };
}

function conclude(
  plan: DeployPlan,
  services: Readonly<Record<string, ServiceProgress>>,
  duration: number,
): DeployOutcome {
  const failed = plan.order.filter((n) => services[n]?.phase === 'failed');
  const blocked = plan.order.filter((n) => services[n]?.phase === 'blocked');
  if (failed.length === 0 && blocked.length === 0) return { ok: true, duration_ms: duration };
  const first = failed[0] ?? blocked[0] ?? '';
  const firstProgress = services[first];
  const parts = [`service "${first}": ${firstProgress?.failure?.reason ?? 'failed'}`];
  const otherFailed = failed.slice(1);
  if (otherFailed.length > 0) parts.push(`also failed: ${otherFailed.join(', ')}`);
  if (blocked.length > 0) parts.push(`not started because a dependency failed: ${blocked.join(', ')}`);
  const code: ErrorCode = 'ALICIA_ERR_DEPLOY_FAILED';
  return { ok: false, duration_ms: duration, code, reason: parts.join('; '), failed, blocked };
}

/** When the next startup timeout falls due (ms), so the runner can set one timer; null if none. */
export function nextDeadline(plan: DeployPlan, state: DeployState): number | null {
  let next: number | null = null;
  for (const name of plan.order) {
    const progress = state.services[name];
    const svc = plan.services[name];
    if (progress?.phase !== 'starting' || progress.started_ms === null || svc === undefined) continue;
    const due = progress.started_ms + svc.timeout_ms;
    if (next === null || due < next) next = due;
  }
  return next;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameMilestones(a: Milestones, b: Milestones): boolean {
  return a.started === b.started && a.healthy === b.healthy && a.completed === b.completed;
}
