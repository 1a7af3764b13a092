// Tells a kill from outside from a crash or a stop, from Docker's event stream: `docker
// kill` reads `kill`, `die`; `docker stop` (also the agent's own) `kill`, `die`, `stop`; a
// removal `kill`, `die`, `destroy`; a crash `die` alone. A die after a kill is never a crash
// (crash-watch is told so). A die after a kill that the agent did not cause, not followed by
// `stop` or `destroy` within `settleMs`, is handed to `restart` (the instance's queue
// decides with src/core/agent-plan/after-kill.ts); until that is done the instance reads as
// restarting, not failed, so the orchestrator does not take a kill for a failure.

import type { Clock, TimerHandle } from '../src/clock/index.js';
import type { Logger } from '../src/logging/logger.js';

/** How long after a die Docker may still say `stop` or `destroy` for it (ms). */
export const KILL_SETTLE_MS = 500;

export type KillWatchAction = 'start' | 'kill' | 'die' | 'stop' | 'destroy';

export interface KillWatchDeps {
  clock: Clock;
  settleMs?: number;
  /** The agent is stopping, restarting or removing the instance itself. */
  busy(instance: string): boolean;
  /** The kill settled: start the container again if the instance still wants it. */
  restart(instance: string, containerId: string): Promise<void>;
  /** The instance's reported state changes (restarting, or no longer). */
  changed(instance: string): void;
  log: Logger;
}

export interface KillWatch {
  /** One of Docker's events for the instance's container `containerId`; for `die`: whether a kill came first. */
  event(instance: string, action: KillWatchAction, containerId: string): boolean;
  /** A killed instance the agent is about to start again (reported as restarting). */
  pending(instance: string): boolean;
  close(): void;
}

export function createKillWatch(deps: KillWatchDeps): KillWatch {
  const settleMs = deps.settleMs ?? KILL_SETTLE_MS;
  /** Containers sent a signal through Docker since their last start. */
  const signalled = new Set<string>();
  const pending = new Map<string, { id: string; timer: TimerHandle | null }>();
  let closed = false;

  const settle = (instance: string, id: string) => {
    const entry = pending.get(instance);
    if (closed || entry?.id !== id) return;
    entry.timer = null;
    deps.log.warn({ instance, container: id }, 'container was killed from outside; starting it again');
    void deps
      .restart(instance, id)
      .catch((err: unknown) => deps.log.error({ err, instance }, 'could not start a killed container again'))
      .finally(() => {
        if (pending.get(instance)?.id !== id) return;
        pending.delete(instance);
        deps.changed(instance);
      });
  };

  const drop = (instance: string, id: string) => {
    const entry = pending.get(instance);
    // Only a kill still waiting to settle is dropped: a start in flight finishes by itself.
    if (entry?.id !== id || entry.timer === null) return;
    deps.clock.clearTimeout(entry.timer);
    pending.delete(instance);
    deps.changed(instance);
  };

  return {
    event(instance, action, id) {
      switch (action) {
        case 'start':
          signalled.delete(id);
          return false;
        case 'kill':
          signalled.add(id);
          return false;
        case 'die': {
          const killed = signalled.delete(id);
          if (killed && !closed && !deps.busy(instance) && !pending.has(instance)) {
            const entry: { id: string; timer: TimerHandle | null } = { id, timer: null };
            entry.timer = deps.clock.setTimeout(() => settle(instance, id), settleMs);
            pending.set(instance, entry);
            deps.changed(instance);
          }
          return killed;
        }
        case 'stop':
        case 'destroy':
          // Stopped on purpose or removed: left as it is, as Docker's restart policies do.
          signalled.delete(id);
          drop(instance, id);
          return false;
      }
    },
    pending: (instance) => pending.has(instance),
    close() {
      closed = true;
      for (const entry of pending.values()) if (entry.timer !== null) deps.clock.clearTimeout(entry.timer);
      pending.clear();
    },
  };
}
