// Deadline helpers: wait for a condition or an event instead of sleeping.

/** Resolves with the first truthy value of `check`, polled every `intervalMs`; rejects after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'} (last: ${String(last)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
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
