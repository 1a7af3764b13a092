// At most one call per period, trailing: a burst of Docker events (a restart is kill, die,
// stop, start, restart) becomes one containers snapshot.
import type { Timers } from './healer.js';

export interface Throttle {
  /** Calls `fn` after `periodMs` unless a call is already scheduled. */
  schedule(): void;
  /** Calls `fn` now and drops a scheduled call. */
  now(): void;
  close(): void;
}

export function createThrottle(periodMs: number, fn: () => void, timers: Timers): Throttle {
  let pending: unknown = null;
  let closed = false;
  const cancel = () => {
    if (pending !== null) timers.clearTimeout(pending);
    pending = null;
  };
  return {
    schedule() {
      if (closed || pending !== null) return;
      pending = timers.setTimeout(() => {
        pending = null;
        if (!closed) fn();
      }, periodMs);
    },
    now() {
      cancel();
      if (!closed) fn();
    },
    close() {
      closed = true;
      cancel();
    },
  };
}
