// Exponential restart delays. Pure: the caller owns the clock.

/** The restart backoff of one service (the spec's `healing.backoff`, Compose `x-alicia.backoff`); milliseconds. */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  readonly min_ms: number;
  /** Ceiling of the exponential delay. */
  readonly max_ms: number;
  /** Healthy this long after a restart → the attempt counter starts again from zero. */
  readonly reset_after_ms: number;
  /** Restarts allowed before the instance is left stopped and reported failed. */
  readonly max_attempts: number;
}

/**
 * Delay before restart number `attempt` (1-based): min, 2·min, 4·min, … capped at max.
 * The exponent is clamped so that a huge attempt number cannot overflow to Infinity.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(policy.max_ms, policy.min_ms * 2 ** exponent);
}
