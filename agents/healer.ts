// Carries out the pure healing machine (src/core/healing) with timers: restarts an
// unhealthy container with backoff, gives up past max_attempts. Works whether or not the
// broker or orchestrator is reachable: it only needs Docker's health verdicts.

import type { Clock, TimerHandle } from '../src/clock/index.js';
import {
  type BackoffPolicy,
  type HealingInput,
  type HealingState,
  INITIAL_HEALING,
  stepHealing,
} from '../src/core/healing/index.js';
import type { Logger } from '../src/logging/logger.js';
import type { RuntimeHealth } from './runtime/types.js';

export interface HealerDeps {
  /** Time and timers (the one Clock port; the agent passes systemClock). */
  clock: Clock;
  /** The backoff of the instance's service; null when the agent does not heal it. */
  policyFor(instance: string): BackoffPolicy | null;
  /** Restarts the container; resolves false when it could not. */
  restart(instance: string, attempt: number): Promise<boolean>;
  /** Stops the container for good and records the failure. */
  giveUp(instance: string, attempts: number): Promise<void>;
  /** Docker's latest verdict on the running container; null when it is not running. */
  currentHealth(instance: string): RuntimeHealth | null;
  onChange(): void;
  log: Logger;
}

export interface Healer {
  /** Docker's health verdict for a running container. */
  observe(instance: string, health: RuntimeHealth): void;
  /** Operator action (start, restart, replace): forget the streak. */
  reset(instance: string): void;
  /** The instance is gone or stopped on purpose: stop watching it. */
  forget(instance: string): void;
  /** Restores a give-up recorded before a restart of the agent. */
  restoreGaveUp(instance: string, attempts: number): void;
  state(instance: string): HealingState | undefined;
  close(): void;
}

export function createHealer(deps: HealerDeps): Healer {
  const states = new Map<string, HealingState>();
  const timers = new Map<string, TimerHandle>();
  /**
   * Instances with a restart or give-up in flight. Verdicts that arrive meanwhile are not fed
   * one by one (they may predate the restart); when the action ends the latest one is.
   */
  const acting = new Set<string>();
  let closed = false;

  const clearTimer = (instance: string) => {
    const handle = timers.get(instance);
    if (handle !== undefined) deps.clock.clearTimeout(handle);
    timers.delete(instance);
  };

  const schedule = (instance: string, wakeAt: number | null) => {
    clearTimer(instance);
    if (wakeAt === null || closed) return;
    const delay = Math.max(0, wakeAt - deps.clock.now());
    timers.set(
      instance,
      deps.clock.setTimeout(() => {
        timers.delete(instance);
        feed(instance, { type: 'tick' });
      }, delay),
    );
  };

  const feed = (instance: string, input: HealingInput) => {
    if (closed) return;
    const policy = deps.policyFor(instance);
    if (policy === null) return;
    const before = states.get(instance) ?? INITIAL_HEALING;
    const step = stepHealing(before, input, policy, deps.clock.now());
    states.set(instance, step.state);
    schedule(instance, step.wake_at);
    const log = deps.log.child({ instance });
    switch (step.action.type) {
      case 'none':
        break;
      case 'restart': {
        const attempt = step.action.attempt;
        log.warn({ attempt, maxAttempts: policy.max_attempts }, 'restarting unhealthy container');
        acting.add(instance);
        void deps
          .restart(instance, attempt)
          .catch((err: unknown) => {
            log.error({ err }, 'healing restart failed');
            return false;
          })
          .then((ok) => {
            acting.delete(instance);
            if (!ok) feed(instance, { type: 'restart_failed' });
            else settle(instance);
          });
        break;
      }
      case 'give_up': {
        log.error(
          { attempts: step.action.attempts },
          'container stays unhealthy; giving up and leaving it stopped',
        );
        acting.add(instance);
        void deps
          .giveUp(instance, step.action.attempts)
          .catch((err: unknown) => log.error({ err }, 'could not stop the failed container'))
          .finally(() => acting.delete(instance));
        break;
      }
      case 'recovered':
        log.info({ attempts: step.action.attempts }, 'container stayed healthy; restart counter reset');
        break;
    }
    if (step.state !== before) deps.onChange();
  };

  const observe = (instance: string, health: RuntimeHealth) => {
    if (acting.has(instance)) return;
    if (health === 'unhealthy') feed(instance, { type: 'unhealthy' });
    else if (health === 'healthy') feed(instance, { type: 'healthy' });
  };

  /** After a restart: the new process may already have a verdict (a fast failing probe). */
  const settle = (instance: string) => {
    const health = deps.currentHealth(instance);
    if (health !== null) observe(instance, health);
  };

  return {
    observe,
    reset(instance) {
      clearTimer(instance);
      if (states.has(instance)) {
        states.delete(instance);
        deps.onChange();
      }
    },
    forget(instance) {
      clearTimer(instance);
      states.delete(instance);
    },
    restoreGaveUp(instance, attempts) {
      states.set(instance, { ...INITIAL_HEALING, attempts, gave_up: true });
    },
    state: (instance) => states.get(instance),
    close() {
      closed = true;
      for (const instance of [...timers.keys()]) clearTimer(instance);
    },
  };
}
