// The orchestrator's healing ladder (src/core/healing/strategy.ts): which strategy a failure
// gets, the budget, the one open, the operator's close; then properties over random
// failure sequences (the circuit opens at most once per streak, delays stay in bounds).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CircuitInput,
  type CircuitState,
  CLOSED_CIRCUIT,
  jitteredDelay,
  type StrategyPolicy,
  stepCircuit,
} from '../../../src/core/healing/index.js';

const POLICY: StrategyPolicy = {
  backoff: { min_ms: 1_000, max_ms: 8_000, reset_after_ms: 60_000, max_attempts: 4 },
  host_failure_limit: 2,
  jitter: 0.2,
  manual: false,
};

const gaveUp = (agent = 'a', instance = 'i1'): CircuitInput => ({
  type: 'gave_up',
  agent,
  instance,
  reason: 'unhealthy',
});
const startFailed = (agent = 'a'): CircuitInput => ({
  type: 'start_failed',
  agent,
  instance: 'i1',
  reason: 'ALICIA_ERR_POLICY_IMAGE: image outside the allowed images',
});

function run(
  inputs: [CircuitInput, number][],
  options: { policy?: StrategyPolicy; canMove?: boolean; start?: CircuitState } = {},
) {
  let state = options.start ?? CLOSED_CIRCUIT;
  const decisions: string[] = [];
  for (const [input, now] of inputs) {
    const step = stepCircuit(state, input, options.policy ?? POLICY, {
      now,
      random: 0.5,
      canMoveOff: () => options.canMove ?? false,
    });
    state = step.state;
    decisions.push(step.decision.type);
  }
  return { state, decisions };
}

describe('healing strategy', () => {
  it('recreates on the same host with exponential backoff, then opens the circuit after the budget', () => {
    const inputs: [CircuitInput, number][] = [1, 2, 3, 4, 5, 6].map((n) => [gaveUp(), n * 100]);
    const { state, decisions } = run(inputs);
    expect(decisions).toEqual(['recreate', 'recreate', 'recreate', 'recreate', 'open', 'none']);
    expect(state.state).toBe('open');
    expect(state.reason).toMatch(/gave up after 4 healing attempts: unhealthy/);
  });

  it('delays grow min, 2·min, 4·min … capped at max (random 0.5: no jitter)', () => {
    const delays: number[] = [];
    let state = CLOSED_CIRCUIT;
    for (let n = 0; n < 4; n += 1) {
      const step = stepCircuit(state, gaveUp(), POLICY, { now: n, random: 0.5, canMoveOff: () => false });
      state = step.state;
      if (step.decision.type === 'recreate') delays.push(step.decision.delay_ms);
    }
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('moves the instance off a host that keeps failing it when another host can take it', () => {
    const { decisions } = run(
      [
        [gaveUp('a'), 1],
        [gaveUp('a'), 2],
        [gaveUp('b'), 3],
      ],
      { canMove: true },
    );
    expect(decisions).toEqual(['recreate', 'reschedule', 'recreate']);
  });

  it('never moves a sticky service (its data stays on its host): recreated where it is', () => {
    // The chaos soak's db (a named volume) was killed twice on lab1 and moved to lab2 with
    // empty data, then to lab3.
    const { decisions } = run(
      [
        [gaveUp('a'), 1],
        [gaveUp('a'), 2],
        [gaveUp('a'), 3],
      ],
      { canMove: true, policy: { ...POLICY, sticky: true } },
    );
    expect(decisions).toEqual(['recreate', 'recreate', 'recreate']);
  });

  it('a refused start is retried with backoff, then the circuit opens once', () => {
    const inputs: [CircuitInput, number][] = [1, 2, 3, 4, 5, 6, 7].map((n) => [startFailed(), n]);
    const { decisions } = run(inputs);
    expect(decisions).toEqual([
      'retry_start',
      'retry_start',
      'retry_start',
      'retry_start',
      'open',
      'none',
      'none',
    ]);
  });

  it('manual: the first failure opens the circuit and nothing is tried', () => {
    const { state, decisions } = run(
      [
        [gaveUp(), 1],
        [gaveUp(), 2],
      ],
      { policy: { ...POLICY, manual: true } },
    );
    expect(decisions).toEqual(['open', 'none']);
    expect(state.reason).toMatch(/manual/);
  });

  it('an operator closes an open circuit and the streak starts over', () => {
    const opened = run([1, 2, 3, 4, 5].map((n) => [gaveUp(), n] as [CircuitInput, number])).state;
    expect(opened.state).toBe('open');
    const { state, decisions } = run(
      [
        [{ type: 'operator' }, 10],
        [gaveUp(), 11],
      ],
      { start: opened },
    );
    expect(decisions).toEqual(['close', 'recreate']);
    expect(state.attempts).toBe(1);
  });

  it('healthy after actions is a recovery with its time; a relapse soon after keeps counting', () => {
    const { state, decisions } = run([
      [gaveUp(), 1_000],
      [{ type: 'healthy' }, 4_000],
      [gaveUp(), 10_000],
    ]);
    expect(decisions).toEqual(['recreate', 'recovered', 'recreate']);
    expect(state.attempts).toBe(2);
    const recovered = stepCircuit(run([[gaveUp(), 1_000]]).state, { type: 'healthy' }, POLICY, {
      now: 4_000,
      random: 0,
      canMoveOff: () => false,
    });
    expect(recovered.decision).toEqual({ type: 'recovered', attempts: 1, recovery_ms: 3_000 });
  });

  it('healthy for reset_after ends the streak: the next failure is attempt 1', () => {
    const { state } = run([
      [gaveUp(), 0],
      [gaveUp(), 1],
      [{ type: 'healthy' }, 2],
      [gaveUp(), 2 + 60_000],
    ]);
    expect(state.attempts).toBe(1);
  });

  it('properties: one open per streak, never an action while open, delays within ±jitter of the backoff', () => {
    const input = fc.oneof(
      fc.constantFrom('a', 'b').map((agent) => gaveUp(agent)),
      fc.constantFrom('a', 'b').map((agent) => startFailed(agent)),
      fc.constant<CircuitInput>({ type: 'healthy' }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(input, fc.double({ min: 0, max: 0.999, noNaN: true })), { maxLength: 40 }),
        fc.boolean(),
        (seq, canMove) => {
          let state = CLOSED_CIRCUIT;
          let opens = 0;
          let now = 0;
          for (const [i, random] of seq) {
            now += 500;
            const wasOpen = state.state === 'open';
            const step = stepCircuit(state, i, POLICY, { now, random, canMoveOff: () => canMove });
            if (step.decision.type === 'open') opens += 1;
            if (wasOpen) expect(step.decision.type).toBe('none');
            if (step.decision.type === 'recreate' || step.decision.type === 'retry_start') {
              const attempt = step.attempt ?? 0;
              const base = Math.min(8_000, 1_000 * 2 ** (attempt - 1));
              expect(step.decision.delay_ms).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
              expect(step.decision.delay_ms).toBeLessThanOrEqual(Math.ceil(base * 1.2));
            }
            expect(state.attempts <= POLICY.backoff.max_attempts).toBe(true);
            state = step.state;
          }
          expect(opens).toBeLessThanOrEqual(1);
        },
      ),
    );
    expect(jitteredDelay(1, POLICY, 0)).toBe(800);
    expect(jitteredDelay(1, POLICY, 0.999)).toBe(1_200);
  });
});
