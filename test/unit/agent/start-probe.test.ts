// The start probe's pure decisions: whether a service gets one, how often it runs, and what
// Docker's rules make of its results.
import { describe, expect, it } from 'vitest';
import {
  INITIAL_START_PROBE,
  type StartProbeCheck,
  type StartProbePlan,
  startProbeDelay,
  startProbePlan,
  stepStartProbe,
} from '../../../src/core/healing/index.js';

const check = (extra: Partial<StartProbeCheck> = {}): StartProbeCheck => ({
  test: ['CMD', 'true'],
  disable: false,
  interval_ms: 5_000,
  timeout_ms: 2_000,
  retries: 2,
  ...extra,
});

describe('startProbePlan', () => {
  it('probes from 100 ms to 1 s between tries, then every interval, with the check’s timeout and retries', () => {
    expect(startProbePlan(check(), true)).toEqual({
      min_ms: 100,
      max_ms: 1_000,
      interval_ms: 5_000,
      timeout_ms: 2_000,
      retries: 2,
    });
  });

  it('takes Docker’s defaults (30 s interval and timeout, 3 retries) when the check gives none', () => {
    expect(startProbePlan({ test: ['CMD-SHELL', 'true'], disable: false }, true)).toEqual({
      min_ms: 100,
      max_ms: 1_000,
      interval_ms: 30_000,
      timeout_ms: 30_000,
      retries: 3,
    });
  });

  it('uses start_interval as the fixed delay, as Docker ≥ 25 does', () => {
    expect(startProbePlan(check({ start_interval_ms: 400 }), true)).toMatchObject({
      min_ms: 400,
      max_ms: 400,
    });
  });

  it('stays below half the interval, so it is always more often than Docker’s own probe', () => {
    expect(startProbePlan(check({ interval_ms: 500 }), true)).toMatchObject({ min_ms: 100, max_ms: 250 });
  });

  it('has no start probe when it would add nothing, or is not wanted', () => {
    expect(startProbePlan(undefined, true)).toBeNull();
    expect(startProbePlan(check(), false)).toBeNull();
    expect(startProbePlan(check({ disable: true }), true)).toBeNull();
    expect(startProbePlan(check({ test: ['NONE'] }), true)).toBeNull();
    expect(startProbePlan(check({ interval_ms: 100 }), true)).toBeNull();
    expect(startProbePlan(check({ start_interval_ms: 5_000 }), true)).toBeNull();
  });
});

describe('startProbeDelay', () => {
  const plan = startProbePlan(check(), true) as StartProbePlan;
  it('is a tenth of the time since start, between its bounds', () => {
    expect(startProbeDelay(plan, 0)).toBe(100);
    expect(startProbeDelay(plan, 900)).toBe(100);
    expect(startProbeDelay(plan, 2_500)).toBe(250);
    expect(startProbeDelay(plan, 60_000)).toBe(1_000);
    expect(startProbeDelay(plan, -5)).toBe(100);
  });
});

describe('stepStartProbe (Docker’s rules, applied to the agent’s own probes)', () => {
  const plan = startProbePlan(check(), true) as StartProbePlan;

  it('does not count failures before the first pass, and probes sooner as long as the start is young', () => {
    const step = stepStartProbe(INITIAL_START_PROBE, false, plan, 3_000);
    expect(step).toEqual({ state: INITIAL_START_PROBE, verdict: null, next_ms: 300 });
  });

  it('calls the first pass healthy, then probes every interval', () => {
    const step = stepStartProbe(INITIAL_START_PROBE, true, plan, 1_200);
    expect(step).toEqual({ state: { passed: true, failures: 0 }, verdict: 'healthy', next_ms: 5_000 });
    expect(stepStartProbe(step.state, true, plan, 6_200).verdict).toBeNull();
  });

  it('calls `retries` failures in a row after a pass unhealthy and stops; a pass between resets the count', () => {
    let state = stepStartProbe(INITIAL_START_PROBE, true, plan, 1_000).state;
    const first = stepStartProbe(state, false, plan, 6_000);
    expect(first).toMatchObject({ verdict: null, next_ms: 5_000, state: { failures: 1 } });
    state = stepStartProbe(first.state, true, plan, 11_000).state;
    expect(state.failures).toBe(0);
    const again = stepStartProbe(stepStartProbe(state, false, plan, 16_000).state, false, plan, 21_000);
    expect(again).toEqual({ state: { passed: true, failures: 2 }, verdict: 'unhealthy', next_ms: null });
  });
});
