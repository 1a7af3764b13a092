// The healer: the pure healing machine carried out with timers and container actions.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHealer } from '../../../agents/healer.js';
import type { RuntimeHealth } from '../../../agents/runtime/index.js';
import { systemClock } from '../../../src/clock/index.js';
import { silentLogger } from '../../../src/logging/logger.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: { restartTakesMs?: number; maxAttempts?: number } = {}) {
  const calls: string[] = [];
  let health: RuntimeHealth | null = 'unhealthy';
  const healer = createHealer({
    // systemClock calls the global timers and Date.now, which vitest's fake timers replace.
    clock: systemClock,
    policyFor: () => ({
      min_ms: 100,
      max_ms: 1_000,
      reset_after_ms: 10_000,
      max_attempts: options.maxAttempts ?? 3,
    }),
    restart: async (instance, attempt) => {
      calls.push(`restart ${instance} ${attempt}`);
      await new Promise((resolve) => setTimeout(resolve, options.restartTakesMs ?? 0));
      return true;
    },
    giveUp: async (instance, attempts) => {
      calls.push(`give_up ${instance} ${attempts}`);
      health = null;
    },
    currentHealth: () => health,
    onChange: () => undefined,
    log: silentLogger(),
  });
  return {
    healer,
    calls,
    setHealth(value: RuntimeHealth | null) {
      health = value;
    },
  };
}

describe('healer', () => {
  it('restarts after the backoff, doubles it while the container stays unhealthy, then gives up', async () => {
    const { healer, calls } = setup({ maxAttempts: 2 });
    healer.observe('a', 'unhealthy');
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['restart a 1']);
    // Still unhealthy after the restart: the second attempt comes 200 ms later.
    await vi.advanceTimersByTimeAsync(150);
    expect(calls).toEqual(['restart a 1']);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual(['restart a 1', 'restart a 2', 'give_up a 2']);
    expect(healer.state('a')?.gave_up).toBe(true);
    healer.observe('a', 'unhealthy');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(3);
  });

  it('does not lose a verdict that arrives while the restart is still being carried out', async () => {
    const { healer, calls } = setup({ restartTakesMs: 500 });
    healer.observe('a', 'unhealthy');
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual(['restart a 1']);
    // The restarted process fails its first probe before the restart call returned.
    healer.observe('a', 'unhealthy');
    await vi.advanceTimersByTimeAsync(500);
    // Replayed when the restart finished: the next attempt is scheduled 200 ms later.
    expect(healer.state('a')?.next_attempt_at).not.toBeNull();
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toEqual(['restart a 1', 'restart a 2']);
  });

  it('cancels a pending restart when the container turns healthy, and forgets on reset', async () => {
    const { healer, calls, setHealth } = setup();
    healer.observe('a', 'unhealthy');
    setHealth('healthy');
    healer.observe('a', 'healthy');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual([]);
    healer.observe('a', 'unhealthy');
    healer.reset('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toEqual([]);
    expect(healer.state('a')).toBeUndefined();
  });
});
