// At most one call per period, leading and trailing: the first change after a quiet period
// goes out at once, and a burst of Docker events after it (a restart is kill, die, stop,
// start, restart) becomes one more call when the period ends. An urgent change (a health
// verdict or a state the orchestrator may be waiting on to start the next layer) never sits
// out the period: three services of a layer turning healthy 10 ms apart must not make the
// last one wait for the trailing call.
import type { Clock, TimerHandle } from '../src/clock/index.js';

export interface Throttle {
  /**
   * Calls `fn` soon: on the next turn of the event loop if the last call is a period ago (or
   * `urgent`), else when the period ends.
   */
  schedule(urgent?: boolean): void;
  /** Calls `fn` now and drops a scheduled call. */
  now(): void;
  close(): void;
}

export function createThrottle(
  periodMs: number,
  fn: () => void,
  timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
): Throttle {
  /** The leading call (0 ms: changes made in the same turn of the event loop go out together). */
  let leading: TimerHandle | null = null;
  /** Runs while the period after a call lasts. */
  let cooling: TimerHandle | null = null;
  /** Something changed during the period: call once more when it ends. */
  let dirty = false;
  let closed = false;

  const cool = () => {
    cooling = timers.setTimeout(() => {
      cooling = null;
      if (closed || !dirty) return;
      call();
    }, periodMs);
  };
  const call = () => {
    dirty = false;
    // An urgent call can come while cooling: the period starts again from this call.
    if (cooling !== null) timers.clearTimeout(cooling);
    cool();
    fn();
  };
  const cancel = () => {
    if (leading !== null) timers.clearTimeout(leading);
    if (cooling !== null) timers.clearTimeout(cooling);
    leading = null;
    cooling = null;
    dirty = false;
  };
  return {
    schedule(urgent = false) {
      if (closed || leading !== null) return;
      if (cooling !== null && !urgent) {
        dirty = true;
        return;
      }
      leading = timers.setTimeout(() => {
        leading = null;
        if (!closed) call();
      }, 0);
    },
    now() {
      cancel();
      if (!closed) call();
    },
    close() {
      closed = true;
      cancel();
    },
  };
}
