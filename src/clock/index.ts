// The one Clock/timer port of every process (orchestrator, agent, runtimes): time and
// timers come through it, so decision-bearing code never calls Date.now or setTimeout
// itself and tests can drive time by hand (createManualClock).

/** An opaque timer handle; only the clock that made it can clear it. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  /** Runs `fn` every `ms` milliseconds. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

/** Wall time and Node's timers. Timers are unref'd only where the caller asks (`unref`). */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle | null | undefined) => {
    if (handle) clearTimeout(handle as NodeJS.Timeout);
  },
  setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
  clearInterval: (handle: TimerHandle | null | undefined) => {
    if (handle) clearInterval(handle as NodeJS.Timeout);
  },
});

export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void;
  /** Timers not yet run or cleared. */
  pending(): number;
}

/** A clock for tests: time moves only when `advance` is called. */
export function createManualClock(startMs = 0): ManualClock {
  let now = startMs;
  let nextId = 0;
  const timers = new Map<number, { due: number; every: number | null; fn: () => void }>();
  const handleOf = (id: number): TimerHandle => ({ id });
  const idOf = (handle: TimerHandle | null | undefined): number | undefined =>
    handle && typeof handle === 'object' && 'id' in handle ? (handle as { id: number }).id : undefined;
  const add = (fn: () => void, ms: number, every: number | null): TimerHandle => {
    nextId += 1;
    timers.set(nextId, { due: now + Math.max(0, ms), every, fn });
    return handleOf(nextId);
  };
  const clear = (handle: TimerHandle | null | undefined) => {
    const id = idOf(handle);
    if (id !== undefined) timers.delete(id);
  };
  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, null),
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearTimeout: clear,
    clearInterval: clear,
    pending: () => timers.size,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        let nextKey: number | undefined;
        let nextDue = Number.POSITIVE_INFINITY;
        for (const [id, t] of timers) {
          if (t.due <= until && t.due < nextDue) {
            nextDue = t.due;
            nextKey = id;
          }
        }
        if (nextKey === undefined) break;
        const timer = timers.get(nextKey);
        if (timer === undefined) break;
        now = Math.max(now, timer.due);
        if (timer.every === null) timers.delete(nextKey);
        else timer.due += timer.every;
        timer.fn();
      }
      now = until;
    },
  };
}
