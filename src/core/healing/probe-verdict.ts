// The verdict of the agent's own HTTP/TCP probe (`x-alicia.probe`) on one run of a
// container, from its results. Pure: the caller runs the probe and passes the time.
//
// - ok and no slower than `degraded_after_ms`: ok (the container reads healthy);
// - ok but slower: degraded (healthy for dependents, reported degraded: it answers, slowly);
// - a failure (refused, timeout, unexpected status): failing; `unhealthy_threshold` of them
//   in a row make it unhealthy, and the agent heals it as it heals a container Docker judged
//   unhealthy.
// Until its first pass a starting container has no verdict (as Docker's start_period: a
// service still starting is not failing) and is probed more often (the start probe) — for
// `start_period_ms` at most: a run that never passes is then judged like any other, its
// failures counting every interval (without that bound a container that fails from its
// first probe on, e.g. after a restart, read `starting` forever and was never healed).

export interface NetProbeRule {
  readonly interval_ms: number;
  readonly degraded_after_ms?: number | undefined;
  readonly unhealthy_threshold: number;
  /** Failures before the first pass of a run count only after this long (ms); absent: the default. */
  readonly start_period_ms?: number | undefined;
}

/** How long a run may fail before its first pass without it counting (Compose `start_period`). */
export const DEFAULT_PROBE_START_PERIOD_MS = 30_000;

/** The run is past its start period (`startingMs`: time since it started). */
function pastStart(rule: NetProbeRule, startingMs: number): boolean {
  return startingMs >= (rule.start_period_ms ?? DEFAULT_PROBE_START_PERIOD_MS);
}

export interface NetProbeResult {
  readonly ok: boolean;
  /** How long the answer took (ms); null when there was none. */
  readonly latency_ms: number | null;
  readonly error: string | null;
}

export type NetProbeStatus = 'ok' | 'degraded' | 'failing';

export interface NetProbeState {
  /** The probe passed once in this run. */
  readonly passed: boolean;
  /** null before the first result of this run. */
  readonly status: NetProbeStatus | null;
  readonly consecutive_failures: number;
  readonly latency_ms: number | null;
  readonly last_error: string | null;
  readonly checked_at: number | null;
}

export const INITIAL_NET_PROBE: NetProbeState = Object.freeze({
  passed: false,
  status: null,
  consecutive_failures: 0,
  latency_ms: null,
  last_error: null,
  checked_at: null,
});

/** The health the probe gives the container: null while it has no say yet. */
export type NetProbeHealth = 'healthy' | 'unhealthy' | null;

export function netProbeHealth(state: NetProbeState, rule: NetProbeRule): NetProbeHealth {
  // Failures only count once it passed or its start period is over (stepNetProbe).
  if (state.consecutive_failures >= rule.unhealthy_threshold) return 'unhealthy';
  if (!state.passed) return null;
  // Failing below the threshold, or degraded: still healthy for what waits on it.
  return 'healthy';
}

/** `startingMs`: how long the run has been up when the result came. */
export function stepNetProbe(
  state: NetProbeState,
  result: NetProbeResult,
  rule: NetProbeRule,
  now: number,
  startingMs: number,
): NetProbeState {
  if (result.ok) {
    const slow =
      rule.degraded_after_ms !== undefined &&
      result.latency_ms !== null &&
      result.latency_ms > rule.degraded_after_ms;
    return {
      passed: true,
      status: slow ? 'degraded' : 'ok',
      consecutive_failures: 0,
      latency_ms: result.latency_ms,
      last_error: null,
      checked_at: now,
    };
  }
  // Before its first pass a failure is a service still starting, not a failing one — until
  // its start period is over.
  const counts = state.passed || pastStart(rule, startingMs);
  const failures = counts ? state.consecutive_failures + 1 : 0;
  return {
    passed: state.passed,
    status: 'failing',
    consecutive_failures: failures,
    latency_ms: result.latency_ms,
    last_error: result.error,
    checked_at: now,
  };
}

/** Bounds of the delay between probes of a run that has not passed yet (ms). */
const START_MIN_MS = 100;
const START_MAX_MS = 1_000;

/**
 * When to probe next (ms from now): every `interval_ms` once it passed or its start period
 * is over; before that a tenth of the time since start, between 100 ms and 1 s (and not
 * above the interval), as the start probe of the healthcheck does (start-probe.ts).
 */
export function netProbeDelay(state: NetProbeState, rule: NetProbeRule, startingMs: number): number {
  if (state.passed || pastStart(rule, startingMs)) return rule.interval_ms;
  const grown = Math.round(Math.max(0, startingMs) * 0.1);
  return Math.min(rule.interval_ms, START_MAX_MS, Math.max(START_MIN_MS, grown));
}
