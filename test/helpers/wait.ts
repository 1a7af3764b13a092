// Deadline helpers: wait for a condition or an event instead of sleeping.

export interface UntilOptions {
  /** What is awaited, for the failure message (a function is read only when it fails). */
  what?: string | (() => string);
  timeoutMs?: number;
  /** How often the condition is checked. */
  everyMs?: number;
  /** Keep polling when the probe throws (the last error goes into the failure message). */
  retryErrors?: boolean;
}

/**
 * Resolves with the first value of `probe` other than undefined, null or false, re-checked
 * every `everyMs`; rejects after `timeoutMs` naming `what` and the last value seen. For
 * conditions no event announces.
 */
export async function until<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: UntilOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const everyMs = options.everyMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (err) {
      if (!options.retryErrors) throw err;
      last = err;
    }
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'a condition');
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A list of items pushed by a callback, with a way to wait for one that matches. */
export interface Recorder<T> {
  readonly items: T[];
  push(item: T): void;
  next(match: (item: T) => boolean, timeoutMs?: number, what?: string): Promise<T>;
}

export function createRecorder<T>(): Recorder<T> {
  const items: T[] = [];
  const waiters = new Set<{ match: (item: T) => boolean; resolve: (item: T) => void }>();
  return {
    items,
    push(item) {
      items.push(item);
      for (const waiter of [...waiters]) {
        if (waiter.match(item)) {
          waiters.delete(waiter);
          waiter.resolve(item);
        }
      }
    },
    /** Waits for the next item (pushed from now on) that matches. */
    next(match, timeoutMs = 10_000, what = 'an item') {
      return new Promise<T>((resolve, reject) => {
        const waiter = {
          match,
          resolve: (item: T) => {
            clearTimeout(timer);
            resolve(item);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}
