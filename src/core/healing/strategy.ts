// The orchestrator's healing ladder for one service, above the agent's own restarts. The
// agent restarts an unhealthy container in place with exponential backoff (machine.ts);
// when it gives up, or when a start fails on the host (the agent refused the spec, the
// image could not be pulled), the orchestrator decides here what comes next:
//
//   recreate      a fresh container on the same host, after a backoff (restart with reset)
//   retry_start   a start that failed is tried again after a backoff with jitter
//   reschedule    the host keeps failing this service and another host may take it
//   open          circuit-break: stop trying, `service_failed` once, the operator is told
//   manual        the service opted out of automatic healing: open at the first failure
//
// An open circuit stays open (no action, no second `service_failed`) until an operator
// closes it (`alicia heal` / `alicia restart`). Pure: time and the random draw for the
// jitter are parameters; the caller persists the state and carries the decision out.
import { type BackoffPolicy, backoffDelay } from './backoff.js';

/** How a service is healed beyond the agent's restarts. */
export interface StrategyPolicy {
  /** Delays and the attempt budget (the service's `x-alicia.backoff`). */
  readonly backoff: BackoffPolicy;
  /** Failures on one host before the service is moved off it (when another host may take it). */
  readonly host_failure_limit: number;
  /** ± this share of a delay is random, so that many services do not retry in step. */
  readonly jitter: number;
  /** The service opted out of automatic healing (label `alicia.healing: manual`). */
  readonly manual: boolean;
  /**
   * Its data stays on its host (a named volume, bind mount or device, not `movable`): it is
   * recreated where it is, never moved off a host that keeps failing it (it would start
   * elsewhere with empty data). Absent: false.
   */
  readonly sticky?: boolean;
}

export const DEFAULT_HOST_FAILURE_LIMIT = 2;
export const DEFAULT_JITTER = 0.2;

export interface CircuitState {
  readonly state: 'closed' | 'open';
  /** Orchestrator actions taken in the current streak (recreates, retries, moves). */
  readonly attempts: number;
  /** Failures per host in the current streak. */
  readonly host_failures: Readonly<Record<string, number>>;
  /** Healthy without interruption since (epoch ms); null when not known healthy. */
  readonly healthy_since: number | null;
  /** First failure of the current streak (epoch ms): the recovery time runs from it; null without one. */
  readonly failing_since: number | null;
  /** When the circuit opened (epoch ms) and why; null while closed. */
  readonly opened_at: number | null;
  readonly reason: string | null;
}

export const CLOSED_CIRCUIT: CircuitState = Object.freeze({
  state: 'closed',
  attempts: 0,
  host_failures: Object.freeze({}),
  healthy_since: null,
  failing_since: null,
  opened_at: null,
  reason: null,
});

export type CircuitInput =
  /** The agent restarted the instance `max_attempts` times and left it stopped. */
  | { readonly type: 'gave_up'; readonly agent: string; readonly instance: string; readonly reason: string }
  /** A start on the host failed (refused spec, image not pulled, crash loop at start). */
  | {
      readonly type: 'start_failed';
      readonly agent: string;
      readonly instance: string;
      readonly reason: string;
    }
  /** Every desired instance of the service runs healthy (or running without a healthcheck). */
  | { readonly type: 'healthy' }
  /** An operator healed or restarted the service: close the circuit, forget the streak. */
  | { readonly type: 'operator' };

export type CircuitDecision =
  | { readonly type: 'none' }
  /** Remove the instance's container and start it again on the same host, after `delay_ms`. */
  | {
      readonly type: 'recreate';
      readonly agent: string;
      readonly instance: string;
      readonly delay_ms: number;
    }
  /** Start the instance again, after `delay_ms`. */
  | {
      readonly type: 'retry_start';
      readonly agent: string;
      readonly instance: string;
      readonly delay_ms: number;
    }
  /** Move the instance off `agent`, which keeps failing the service. */
  | { readonly type: 'reschedule'; readonly agent: string; readonly instance: string }
  /** Stop trying: the service failed; `reason` says why. */
  | { readonly type: 'open'; readonly reason: string; readonly manual: boolean }
  /** The service is healthy again after the streak's actions; `recovery_ms` since its first failure. */
  | { readonly type: 'recovered'; readonly attempts: number; readonly recovery_ms: number }
  /** An operator closed an open circuit. */
  | { readonly type: 'close'; readonly was_open: boolean };

export interface CircuitStep {
  readonly state: CircuitState;
  readonly decision: CircuitDecision;
  /** The attempt number of a recreate, retry or move (1-based in the streak); null otherwise. */
  readonly attempt: number | null;
}

export interface CircuitContext {
  readonly now: number;
  /** A draw in [0, 1) for the jitter (Math.random in the adapter; fixed in tests). */
  readonly random: number;
  /** Another eligible host could take the service's instance now. */
  readonly canMoveOff: (agent: string) => boolean;
}

const NONE: CircuitDecision = Object.freeze({ type: 'none' });

function assertNever(value: never): never {
  throw new Error(`unhandled circuit input ${JSON.stringify(value)}`);
}

/** Backoff delay of attempt `attempt` with ± `jitter` of it drawn from `random` (ms, ≥ 0). */
export function jitteredDelay(attempt: number, policy: StrategyPolicy, random: number): number {
  const base = backoffDelay(attempt, policy.backoff);
  const spread = Math.min(Math.max(policy.jitter, 0), 1);
  const r = Math.min(Math.max(random, 0), 1);
  return Math.max(0, Math.round(base * (1 - spread + 2 * spread * r)));
}

function open(state: CircuitState, reason: string, now: number, manual: boolean): CircuitStep {
  return {
    state: { ...state, state: 'open', opened_at: now, reason, healthy_since: null },
    decision: { type: 'open', reason, manual },
    attempt: null,
  };
}

/** A failure on `agent`: the next rung of the ladder, or the circuit opens. */
function onFailure(
  before: CircuitState,
  failure: Extract<CircuitInput, { type: 'gave_up' | 'start_failed' }>,
  policy: StrategyPolicy,
  ctx: CircuitContext,
): CircuitStep {
  if (before.state === 'open') return { state: before, decision: NONE, attempt: null };
  // A long healthy stretch ended the previous streak: this failure starts a new one.
  const fresh =
    before.healthy_since !== null && ctx.now - before.healthy_since >= policy.backoff.reset_after_ms;
  const base: CircuitState = fresh ? CLOSED_CIRCUIT : { ...before, healthy_since: null };
  const state: CircuitState = { ...base, failing_since: base.failing_since ?? ctx.now };
  if (policy.manual) {
    return open(state, `healing is manual for this service: ${failure.reason}`, ctx.now, true);
  }
  const onHost = (state.host_failures[failure.agent] ?? 0) + 1;
  const counted: CircuitState = {
    ...state,
    host_failures: { ...state.host_failures, [failure.agent]: onHost },
  };
  if (state.attempts >= policy.backoff.max_attempts) {
    return open(
      counted,
      `gave up after ${state.attempts} healing attempt${state.attempts === 1 ? '' : 's'}: ${failure.reason}`,
      ctx.now,
      false,
    );
  }
  const attempt = state.attempts + 1;
  const next: CircuitState = { ...counted, attempts: attempt };
  if (onHost >= policy.host_failure_limit && policy.sticky !== true && ctx.canMoveOff(failure.agent)) {
    return {
      state: next,
      decision: { type: 'reschedule', agent: failure.agent, instance: failure.instance },
      attempt,
    };
  }
  const delay_ms = jitteredDelay(attempt, policy, ctx.random);
  const decision: CircuitDecision =
    failure.type === 'gave_up'
      ? { type: 'recreate', agent: failure.agent, instance: failure.instance, delay_ms }
      : { type: 'retry_start', agent: failure.agent, instance: failure.instance, delay_ms };
  return { state: next, decision, attempt };
}

/** The next state of a service's circuit and what to do. */
export function stepCircuit(
  state: CircuitState,
  input: CircuitInput,
  policy: StrategyPolicy,
  ctx: CircuitContext,
): CircuitStep {
  switch (input.type) {
    case 'gave_up':
    case 'start_failed':
      return onFailure(state, input, policy, ctx);
    case 'healthy': {
      if (state.state === 'open' || state.healthy_since !== null)
        return { state, decision: NONE, attempt: null };
      const next = { ...state, healthy_since: ctx.now };
      // Healthy after actions of ours: a recovery, once per streak (the streak itself ends
      // only after reset_after_ms of health, so a quick relapse keeps counting).
      if (state.failing_since !== null && state.attempts > 0) {
        return {
          state: { ...next, failing_since: null },
          decision: {
            type: 'recovered',
            attempts: state.attempts,
            recovery_ms: ctx.now - state.failing_since,
          },
          attempt: null,
        };
      }
      return { state: next, decision: NONE, attempt: null };
    }
    case 'operator':
      return {
        state: CLOSED_CIRCUIT,
        decision: { type: 'close', was_open: state.state === 'open' },
        attempt: null,
      };
    default:
      return assertNever(input);
  }
}
