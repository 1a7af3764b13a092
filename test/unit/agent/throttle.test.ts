// The containers snapshot throttle: leading and trailing calls, and urgent changes that never
// wait out the period.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createThrottle } from '../../../agents/throttle.js';
import { systemClock } from '../../../src/clock/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(periodMs = 100) {
  const calls: number[] = [];
  // systemClock calls the global timers, which vitest's fake timers replace.
  const throttle = createThrottle(periodMs, () => calls.push(Date.now()), systemClock);
  return { throttle, calls };
}

describe('snapshot throttle', () => {
  it('calls at once after a quiet period, then once more when the period ends for a burst', async () => {
    const { throttle, calls } = setup();
    throttle.schedule();
    throttle.schedule();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10);
    throttle.schedule();
    throttle.schedule();
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toEqual([0, 100]);
  });

  it('does not hold an urgent change for the period, and the period starts again from it', async () => {
    const { throttle, calls } = setup();
    throttle.schedule();
    await vi.advanceTimersByTimeAsync(10);
    throttle.schedule(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([0, 10]);
    throttle.schedule();
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toEqual([0, 10]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([0, 10, 110]);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual([0, 10, 110]);
  });

  it('calls nothing more once closed', async () => {
    const { throttle, calls } = setup();
    throttle.schedule();
    throttle.close();
    throttle.schedule(true);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual([]);
  });
});
