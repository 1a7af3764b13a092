// How often the agent runs a starting container's healthcheck test itself. Docker probes
// once per `interval` (Docker ≥ 25 also every `start_interval` during `start_period`; the
// engines of Debian 12 and Raspberry Pi OS, 20.10, do not): a service that is ready 1.1 s
// after start with `interval: 5s` reads healthy only at 5 s, and everything that waits on
// `service_healthy` waits that long for nothing. While Docker has no verdict yet, the agent
// runs the very same test itself and applies Docker's own rules to the results, until
// Docker has a verdict of its own: the first pass is healthy (what Docker would say at its
// next probe, only without the wait); after it, the test runs every `interval` and
// `retries` failures in a row are unhealthy (what Docker would say once it had seen the
// pass; a container that breaks right after its first pass must not read healthy for the
// rest of Docker's start_period).
//
// When: without a `start_interval`, the delay before the next probe is a tenth of the time
// the container has been starting, between 100 ms and 1 s (and below half the `interval`):
// a service ready after 1 s is seen within ~0.1 s, one ready after 60 s within ~1 s, and a
// slow starter costs ~80 probes in its first minute rather than 240 at a fixed 250 ms. With a
// `start_interval`, that is the delay, as Docker ≥ 25 does it.

/** Bounds of the delay between two start probes when the healthcheck gives no start_interval (ms). */
const START_PROBE_MIN_MS = 100;
const START_PROBE_MAX_MS = 1_000;
/** The delay grows with the time since start: this share of it. */
const START_PROBE_SHARE = 0.1;
/** Docker's default healthcheck interval and timeout (ms). */
const DOCKER_DEFAULT_INTERVAL_MS = 30_000;
const DOCKER_DEFAULT_TIMEOUT_MS = 30_000;

/** Docker's default number of failures in a row that make a container unhealthy. */
const DOCKER_DEFAULT_RETRIES = 3;

export interface StartProbeCheck {
  readonly test: readonly string[];
  /** Compose's `disable: true`; the wire spec says `test: ['NONE']` instead. */
  readonly disable?: boolean | undefined;
  readonly interval_ms?: number | undefined;
  readonly timeout_ms?: number | undefined;
  readonly start_interval_ms?: number | undefined;
  readonly retries?: number | undefined;
}

export interface StartProbePlan {
  /** Before the first pass: shortest and longest delay between one probe's end and the next (ms). */
  readonly min_ms: number;
  readonly max_ms: number;
  /** After it: Docker's interval (ms). */
  readonly interval_ms: number;
  /** A probe that has not answered by then counts as failed (ms). */
  readonly timeout_ms: number;
  /** Failures in a row after the first pass that make the container unhealthy. */
  readonly retries: number;
}

/** Where the start probe of one run of a container stands. */
export interface StartProbeState {
  /** The test has passed once in this run: the container reads healthy. */
  readonly passed: boolean;
  /** Failures in a row since the last pass. */
  readonly failures: number;
}

export const INITIAL_START_PROBE: StartProbeState = Object.freeze({ passed: false, failures: 0 });

export interface StartProbeStep {
  readonly state: StartProbeState;
  /** A verdict to report now, Docker's rules applied to the probe's result; null: none new. */
  readonly verdict: 'healthy' | 'unhealthy' | null;
  /** When to probe again (ms from now); null: stop probing this run. */
  readonly next_ms: number | null;
}

/**
 * The start probe for a service, or null when there is none: no healthcheck in the spec
 * (an image's own HEALTHCHECK is Docker's alone), a disabled one, the spec's `probe.start:
 * false` (Compose `x-alicia.start_probe: false`), or a start probe no more frequent than
 * Docker's own probe (it would add nothing but load).
 */
export function startProbePlan(check: StartProbeCheck | undefined, enabled: boolean): StartProbePlan | null {
  if (!enabled || check === undefined || check.disable === true) return null;
  const kind = check.test[0];
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') return null;
  const interval = check.interval_ms ?? DOCKER_DEFAULT_INTERVAL_MS;
  const timeout_ms = check.timeout_ms ?? DOCKER_DEFAULT_TIMEOUT_MS;
  const retries = check.retries ?? DOCKER_DEFAULT_RETRIES;
  const common = { interval_ms: interval, timeout_ms, retries };
  const fixed = check.start_interval_ms;
  if (fixed !== undefined) return fixed < interval ? { min_ms: fixed, max_ms: fixed, ...common } : null;
  if (START_PROBE_MIN_MS >= interval) return null;
  // Strictly below the interval: probing as often as Docker itself adds nothing.
  return { min_ms: START_PROBE_MIN_MS, max_ms: Math.min(START_PROBE_MAX_MS, interval / 2), ...common };
}

/** One probe's result (`ok`) after `startingMs` since the container's start: what to report and when to probe again. */
export function stepStartProbe(
  state: StartProbeState,
  ok: boolean,
  plan: StartProbePlan,
  startingMs: number,
): StartProbeStep {
  if (ok) {
    return {
      state: { passed: true, failures: 0 },
      verdict: state.passed ? null : 'healthy',
      next_ms: plan.interval_ms,
    };
  }
  if (!state.passed) return { state, verdict: null, next_ms: startProbeDelay(plan, startingMs) };
  const failures = state.failures + 1;
  if (failures >= plan.retries)
    return { state: { passed: true, failures }, verdict: 'unhealthy', next_ms: null };
  return { state: { passed: true, failures }, verdict: null, next_ms: plan.interval_ms };
}

/** The delay (ms) before the next start probe of a container that has been starting for `startingMs`. */
export function startProbeDelay(plan: StartProbePlan, startingMs: number): number {
  const grown = Math.round(Math.max(0, startingMs) * START_PROBE_SHARE);
  return Math.min(plan.max_ms, Math.max(plan.min_ms, grown));
}
