// The orchestrator's retained presence as a client sees it: what lets a request fail at
// once, saying why, instead of waiting for a reply nobody will send.
import { aliciaError } from '../core/errors.js';
import type { Presence } from '../protocol/index.js';

/**
 * The orchestrator's retained presence as this client last saw it. A request waits for it
 * at most `waitMs` (it is retained, so it comes right after the subscription when there
 * is one), then fails at once when it is absent or offline instead of waiting for a reply
 * that nobody will send. A late will of an older session is ignored, as everywhere.
 */
export function createPresenceWatch(url: string, waitMs: number) {
  let last: Presence | null = null;
  let heard = false;
  let closed = false;
  const waiters = new Set<() => void>();
  const offlineListeners = new Set<(error: (method: string) => Error) => void>();
  const ago = (ts: number) => `${new Date(ts).toISOString()}, ${((Date.now() - ts) / 1000).toFixed(0)} s ago`;
  const offlineError = (method: string, p: Presence | null): Error =>
    aliciaError(
      'ALICIA_ERR_ORCHESTRATOR_OFFLINE',
      p === null
        ? `on ${url} (none has announced itself there); ${method} was not sent`
        : `on ${url} (last seen ${ago(p.ts)}, session ${p.session}); ${method} was not sent`,
    );
  return {
    update(p: Presence): void {
      if (last !== null && p.session < last.session) return;
      const wasOnline = last?.state === 'online';
      last = p;
      heard = true;
      for (const wake of [...waiters]) wake();
      if (wasOnline && p.state === 'offline') {
        const gone = p;
        for (const listener of offlineListeners)
          listener((method) =>
            aliciaError(
              'ALICIA_ERR_ORCHESTRATOR_OFFLINE',
              `the orchestrator on ${url} went offline (session ${gone.session}) while ${method} waited for its answer`,
            ),
          );
      }
    },
    /** Resolves when an orchestrator is online; rejects with ALICIA_ERR_ORCHESTRATOR_OFFLINE otherwise. */
    async online(method: string): Promise<void> {
      if (!heard) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, waitMs);
          waiters.add(wake);
        });
      }
      if (last?.state !== 'online') throw offlineError(method, last);
    },
    /** Resolves when an orchestrator is (or comes) online; rejects after `timeoutMs`. */
    whenOnline(timeoutMs: number): Promise<void> {
      if (last?.state === 'online') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          if (closed) {
            clearTimeout(timer);
            waiters.delete(wake);
            reject(offlineError('the wait (closed)', last));
            return;
          }
          if (last?.state !== 'online') return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(offlineError('the wait', last));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    onOffline(listener: (error: (method: string) => Error) => void): void {
      offlineListeners.add(listener);
    },
    describe(): string {
      return last === null
        ? 'presence unknown'
        : `${last.state} since ${new Date(last.ts).toISOString()}, session ${last.session}`;
    },
    close(): void {
      closed = true;
      for (const wake of [...waiters]) wake();
      offlineListeners.clear();
    },
  };
}
