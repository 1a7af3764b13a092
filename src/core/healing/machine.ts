// The local healing state machine of one instance: what to do when Docker says a container
// is unhealthy or healthy again. Pure — `now` (epoch ms) is a parameter and the result says
// when the caller should wake the machine again; the agent carries actions out with timers.
import { type BackoffPolicy, backoffDelay } from './backoff.js';

export interface HealingState {
  /** Restarts done in the current streak (reset after `reset_after_ms` of good health). */
  readonly attempts: number;
  /** A restart is due at this time (epoch ms); null when none is scheduled. */
  readonly next_attempt_at: number | null;
  /** Healthy without interruption since (epoch ms); null when not healthy. */
  readonly healthy_since: number | null;
  /** Past `max_attempts`: the instance was left stopped and is reported failed. */
  readonly gave_up: boolean;
  readonly last_attempt_at: number | null;
}

export const INITIAL_HEALING: HealingState = Object.freeze({
  attempts: 0,
  next_attempt_at: null,
  healthy_since: null,
  gave_up: false,
  last_attempt_at: null,
});

export type HealingInput =
  /** Docker judged the running container unhealthy. */
  | { readonly type: 'unhealthy' }
  /** Docker judged it healthy. */
  | { readonly type: 'healthy' }
  /** A wake-up asked for by a previous step arrived. */
  | { readonly type: 'tick' }
  /** The restart the machine asked for could not be carried out. */
  | { readonly type: 'restart_failed' }
  /** An operator started, replaced or restarted the instance: forget the history. */
  | { readonly type: 'reset' };

export type HealingAction =
  | { readonly type: 'none' }
  /** Restart the container now; `attempt` is 1-based within the streak. */
  | { readonly type: 'restart'; readonly attempt: number }
  /** Stop the container and report it failed. */
  | { readonly type: 'give_up'; readonly attempts: number }
  /** The streak ended: healthy for `reset_after_ms`. */
  | { readonly type: 'recovered'; readonly attempts: number };

export interface HealingStep {
  readonly state: HealingState;
  readonly action: HealingAction;
  /** When to feed a `tick` next (epoch ms); null: nothing is pending. */
  readonly wake_at: number | null;
}

const NONE: HealingAction = Object.freeze({ type: 'none' });

function assertNever(value: never): never {
  throw new Error(`unhandled healing input ${JSON.stringify(value)}`);
}

/** The next wake-up a state needs: a due restart first, else the end of a healthy streak. */
export function wakeAt(state: HealingState, policy: BackoffPolicy): number | null {
  if (state.gave_up) return null;
  if (state.next_attempt_at !== null) return state.next_attempt_at;
  if (state.healthy_since !== null && state.attempts > 0) return state.healthy_since + policy.reset_after_ms;
  return null;
}

function step(state: HealingState, action: HealingAction, policy: BackoffPolicy): HealingStep {
  return { state, action, wake_at: wakeAt(state, policy) };
}

/** Schedules the next restart, or gives up when the streak has used every attempt. */
function scheduleOrGiveUp(state: HealingState, policy: BackoffPolicy, now: number): HealingStep {
  if (state.attempts >= policy.max_attempts) {
    const next = { ...state, next_attempt_at: null, healthy_since: null, gave_up: true };
    return step(next, { type: 'give_up', attempts: state.attempts }, policy);
  }
  const delay = backoffDelay(state.attempts + 1, policy);
  if (delay <= 0) {
    const attempt = state.attempts + 1;
    const next = {
      ...state,
      attempts: attempt,
      next_attempt_at: null,
      healthy_since: null,
      last_attempt_at: now,
    };
    return step(next, { type: 'restart', attempt }, policy);
  }
  return step({ ...state, next_attempt_at: now + delay, healthy_since: null }, NONE, policy);
}

export function stepHealing(
  state: HealingState,
  input: HealingInput,
  policy: BackoffPolicy,
  now: number,
): HealingStep {
  switch (input.type) {
    case 'reset':
      return step(INITIAL_HEALING, NONE, policy);
    case 'unhealthy': {
      if (state.gave_up) return step(state, NONE, policy);
      // Already waiting for a restart: a repeated verdict changes nothing.
      if (state.next_attempt_at !== null) return step({ ...state, healthy_since: null }, NONE, policy);
      return scheduleOrGiveUp(state, policy, now);
    }
    case 'restart_failed': {
      if (state.gave_up) return step(state, NONE, policy);
      return scheduleOrGiveUp({ ...state, next_attempt_at: null }, policy, now);
    }
    case 'healthy': {
      if (state.gave_up) return step(state, NONE, policy);
      // It recovered by itself before the restart was due: no restart.
      const next = { ...state, next_attempt_at: null, healthy_since: state.healthy_since ?? now };
      return step(next, NONE, policy);
    }
    case 'tick': {
      if (state.gave_up) return step(state, NONE, policy);
      if (state.next_attempt_at !== null && now >= state.next_attempt_at) {
        const attempt = state.attempts + 1;
        const next = { ...state, attempts: attempt, next_attempt_at: null, last_attempt_at: now };
        return step(next, { type: 'restart', attempt }, policy);
      }
      if (
        state.next_attempt_at === null &&
        state.healthy_since !== null &&
        state.attempts > 0 &&
        now - state.healthy_since >= policy.reset_after_ms
      ) {
        return step({ ...state, attempts: 0 }, { type: 'recovered', attempts: state.attempts }, policy);
      }
      return step(state, NONE, policy);
    }
    default:
      return assertNever(input);
  }
}
