// The pure healing machine (src/core/healing): examples, then properties over random
// sequences of Docker verdicts and timer ticks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackoffPolicy,
  backoffDelay,
  type HealingInput,
  type HealingState,
  INITIAL_HEALING,
  stepHealing,
} from '../../../src/core/healing/index.js';

const POLICY: BackoffPolicy = { min_ms: 1_000, max_ms: 8_000, reset_after_ms: 60_000, max_attempts: 3 };

function run(inputs: [HealingInput, number][], policy = POLICY) {
  let state: HealingState = INITIAL_HEALING;
  const actions: string[] = [];
  for (const [input, now] of inputs) {
    const step = stepHealing(state, input, policy, now);
    state = step.state;
    if (step.action.type !== 'none') actions.push(step.action.type);
  }
  return { state, actions };
}

describe('backoffDelay', () => {
  it('doubles from min and stops at max', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, POLICY))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(backoffDelay(10_000, POLICY)).toBe(8_000);
    expect(backoffDelay(3, { ...POLICY, min_ms: 0 })).toBe(0);
  });
});

describe('stepHealing', () => {
  it('schedules the first restart min_ms after the unhealthy verdict and restarts when the timer says so', () => {
    const unhealthy = stepHealing(INITIAL_HEALING, { type: 'unhealthy' }, POLICY, 10_000);
    expect(unhealthy.action).toEqual({ type: 'none' });
    expect(unhealthy.state.next_attempt_at).toBe(11_000);
    expect(unhealthy.wake_at).toBe(11_000);
    const early = stepHealing(unhealthy.state, { type: 'tick' }, POLICY, 10_500);
    expect(early.action).toEqual({ type: 'none' });
    expect(early.wake_at).toBe(11_000);
    const due = stepHealing(unhealthy.state, { type: 'tick' }, POLICY, 11_000);
    expect(due.action).toEqual({ type: 'restart', attempt: 1 });
    expect(due.state).toMatchObject({ attempts: 1, next_attempt_at: null, last_attempt_at: 11_000 });
  });

  it('restarts at once when min_ms is 0', () => {
    const step = stepHealing(INITIAL_HEALING, { type: 'unhealthy' }, { ...POLICY, min_ms: 0 }, 5);
    expect(step.action).toEqual({ type: 'restart', attempt: 1 });
  });

  it('backs off exponentially across a streak and gives up after max_attempts', () => {
    const { state, actions } = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'tick' }, 1_000],
      [{ type: 'unhealthy' }, 1_500],
      [{ type: 'tick' }, 3_400], // 1 500 + 2 000 is not due yet
      [{ type: 'tick' }, 3_500],
      [{ type: 'unhealthy' }, 4_000],
      [{ type: 'tick' }, 8_000],
      [{ type: 'unhealthy' }, 9_000],
      [{ type: 'unhealthy' }, 20_000],
      [{ type: 'tick' }, 99_000],
    ]);
    expect(actions).toEqual(['restart', 'restart', 'restart', 'give_up']);
    expect(state).toMatchObject({ attempts: 3, gave_up: true, next_attempt_at: null });
  });

  it('cancels a pending restart when the container recovers by itself', () => {
    const { state, actions } = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'healthy' }, 500],
      [{ type: 'tick' }, 1_000],
    ]);
    expect(actions).toEqual([]);
    expect(state).toMatchObject({ attempts: 0, next_attempt_at: null, healthy_since: 500 });
  });

  it('resets the counter after reset_after_ms of uninterrupted health', () => {
    const healthy = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'tick' }, 1_000],
      [{ type: 'healthy' }, 2_000],
    ]);
    const wake = stepHealing(healthy.state, { type: 'tick' }, POLICY, 2_000);
    expect(wake.wake_at).toBe(62_000);
    const early = stepHealing(healthy.state, { type: 'tick' }, POLICY, 61_999);
    expect(early.state.attempts).toBe(1);
    const done = stepHealing(healthy.state, { type: 'tick' }, POLICY, 62_000);
    expect(done.action).toEqual({ type: 'recovered', attempts: 1 });
    expect(done.state.attempts).toBe(0);
    expect(done.wake_at).toBeNull();
  });

  it('does not reset when health is interrupted before reset_after_ms', () => {
    const { state } = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'tick' }, 1_000],
      [{ type: 'healthy' }, 2_000],
      [{ type: 'unhealthy' }, 30_000],
      [{ type: 'tick' }, 62_000],
    ]);
    expect(state.attempts).toBe(2);
  });

  it('schedules another attempt when a restart could not be carried out', () => {
    const due = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'tick' }, 1_000],
    ]);
    const failed = stepHealing(due.state, { type: 'restart_failed' }, POLICY, 1_100);
    expect(failed.state.next_attempt_at).toBe(3_100);
  });

  it('stays given up until an operator resets it', () => {
    const given = run([
      [{ type: 'unhealthy' }, 0],
      [{ type: 'tick' }, 1_000],
      [{ type: 'unhealthy' }, 1_000],
      [{ type: 'tick' }, 3_000],
      [{ type: 'unhealthy' }, 3_000],
      [{ type: 'tick' }, 7_000],
      [{ type: 'unhealthy' }, 7_000],
    ]).state;
    expect(given.gave_up).toBe(true);
    for (const input of [
      { type: 'unhealthy' },
      { type: 'healthy' },
      { type: 'tick' },
      { type: 'restart_failed' },
    ] as const) {
      const step = stepHealing(given, input, POLICY, 100_000);
      expect(step.action.type).toBe('none');
      expect(step.state.gave_up).toBe(true);
      expect(step.wake_at).toBeNull();
    }
    expect(stepHealing(given, { type: 'reset' }, POLICY, 100_000).state).toEqual(INITIAL_HEALING);
  });
});

describe('stepHealing properties', () => {
  const inputArb = fc.constantFrom<HealingInput>(
    { type: 'unhealthy' },
    { type: 'healthy' },
    { type: 'tick' },
    { type: 'tick' },
    { type: 'restart_failed' },
  );
  const policyArb = fc.record({
    min_ms: fc.integer({ min: 0, max: 5_000 }),
    max_ms: fc.integer({ min: 1, max: 60_000 }),
    reset_after_ms: fc.integer({ min: 1, max: 100_000 }),
    max_attempts: fc.integer({ min: 1, max: 6 }),
  });
  const runArb = fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 20_000 })), { maxLength: 60 });

  it('never restarts more than max_attempts times per streak, never schedules in the past, and give-up is final', () => {
    fc.assert(
      fc.property(policyArb, runArb, (policy, steps) => {
        let state = INITIAL_HEALING;
        let now = 0;
        let restartsInStreak = 0;
        for (const [input, gap] of steps) {
          now += gap;
          const wasGivenUp = state.gave_up;
          const step = stepHealing(state, input, policy, now);
          if (step.action.type === 'restart') restartsInStreak += 1;
          if (step.action.type === 'recovered') restartsInStreak = 0;
          expect(restartsInStreak).toBeLessThanOrEqual(policy.max_attempts);
          expect(step.state.attempts).toBeLessThanOrEqual(policy.max_attempts);
          if (step.wake_at !== null) expect(step.wake_at).toBeGreaterThanOrEqual(Math.min(now, step.wake_at));
          if (step.state.next_attempt_at !== null) {
            expect(step.state.next_attempt_at - now).toBeLessThanOrEqual(
              Math.max(policy.max_ms, policy.min_ms),
            );
          }
          if (wasGivenUp) {
            expect(step.state).toBe(state);
            expect(step.action.type).toBe('none');
          }
          if (step.action.type === 'give_up') expect(step.state.gave_up).toBe(true);
          state = step.state;
        }
      }),
    );
  });

  it('asks to be woken whenever a restart is pending', () => {
    fc.assert(
      fc.property(policyArb, runArb, (policy, steps) => {
        let state = INITIAL_HEALING;
        let now = 0;
        for (const [input, gap] of steps) {
          now += gap;
          const step = stepHealing(state, input, policy, now);
          if (step.state.next_attempt_at !== null) expect(step.wake_at).toBe(step.state.next_attempt_at);
          state = step.state;
        }
      }),
    );
  });
});
