// Sees a container crash-looping (src/core/healing/crash-loop.ts says when) from Docker's
// start and die events, and keeps what the report tells about it: the last exit code, since
// when, and the last lines the container wrote (read once per exit while it loops, not on
// every report). Docker's restart policy does the restarting; the agent only says so.

import type { Clock, TimerHandle } from '../src/clock/index.js';
import {
  type CrashLoopInput,
  type CrashLoopRule,
  type CrashLoopState,
  DEFAULT_CRASH_LOOP_RULE,
  INITIAL_CRASH_LOOP,
  stepCrashLoop,
} from '../src/core/healing/index.js';
import type { Logger } from '../src/logging/logger.js';

/** Lines of log a crash loop's report carries (the protocol's cap). */
export const CRASH_LOG_TAIL = 20;

export interface CrashLoopView {
  readonly exit_code: number | null;
  readonly log_tail: readonly string[];
  readonly since: number;
}

export interface CrashWatchDeps {
  clock: Clock;
  rule?: CrashLoopRule;
  /** The container's last lines (ContainerRuntime.logs). */
  logs(containerId: string, tail: number): Promise<string[]>;
  /** The instance's crash-loop view changed: publish a report. */
  changed(instance: string): void;
  log: Logger;
}

export interface CrashWatch {
  /** Docker's start or die of the instance's container `containerId`, at `at` (epoch ms). */
  started(instance: string, containerId: string, at: number): void;
  /**
   * `startedAt`: the run's start as last inspected, for a run whose start was not seen;
   * `killed`: Docker sent it a signal first (kill-watch.ts): not a crash.
   */
  died(
    instance: string,
    containerId: string,
    at: number,
    exitCode: number | null,
    startedAt: number | null,
    killed?: boolean,
  ): void;
  /** The loop the instance is in, or null. */
  view(instance: string): CrashLoopView | null;
  /** Stopped, removed or restarted on purpose: its history no longer says anything. */
  forget(instance: string): void;
  /**
   * The agent is about to stop or restart the instance's container itself (healing, an
   * operator): the exit that follows is not a crash. Its history is forgotten, and so is that
   * exit when its `die` arrives (Docker's events come after the call returns).
   */
  onPurpose(instance: string): void;
  close(): void;
}

interface Watched {
  containerId: string;
  state: CrashLoopState;
  timer: TimerHandle | null;
  logTail: readonly string[];
  /** The episode's log tail was read once (or could not be): only then is the loop reported. */
  logsRead: boolean;
}

/** How long an announced stop or restart may take before its `die` is seen (ms). */
const ON_PURPOSE_MS = 60_000;

export function createCrashWatch(deps: CrashWatchDeps): CrashWatch {
  const rule = deps.rule ?? DEFAULT_CRASH_LOOP_RULE;
  const watched = new Map<string, Watched>();
  /** instance -> until when its next exit is the agent's own doing (epoch ms). */
  const purposed = new Map<string, number>();
  let closed = false;

  const clear = (w: Watched) => {
    if (w.timer !== null) deps.clock.clearTimeout(w.timer);
    w.timer = null;
  };

  const entry = (instance: string, containerId: string): Watched => {
    const current = watched.get(instance);
    // Another container for the instance (replaced, recreated): a fresh history.
    if (current !== undefined && current.containerId === containerId) return current;
    if (current !== undefined) clear(current);
    const fresh: Watched = {
      containerId,
      state: INITIAL_CRASH_LOOP,
      timer: null,
      logTail: [],
      logsRead: false,
    };
    watched.set(instance, fresh);
    return fresh;
  };

  const readLogs = (instance: string, w: Watched) => {
    void deps
      .logs(w.containerId, CRASH_LOG_TAIL)
      .catch((err: unknown) => {
        deps.log.debug({ err, instance }, 'could not read the logs of a crash-looping container');
        return [...w.logTail];
      })
      .then((lines) => {
        if (closed || watched.get(instance) !== w || w.state.since === null) return;
        w.logTail = lines;
        w.logsRead = true;
        deps.changed(instance);
      });
  };

  const feed = (instance: string, w: Watched, input: CrashLoopInput) => {
    if (closed) return;
    const step = stepCrashLoop(w.state, input, rule, deps.clock.now());
    w.state = step.state;
    clear(w);
    if (step.wake_at !== null) {
      w.timer = deps.clock.setTimeout(
        () => {
          w.timer = null;
          if (watched.get(instance) === w) feed(instance, w, { type: 'tick' });
        },
        Math.max(0, step.wake_at - deps.clock.now()),
      );
    }
    const exit = w.state.last_exit;
    if (step.entered) {
      deps.log.warn(
        { instance, exitCode: exit?.exit_code ?? null, since: w.state.since },
        'container is crash-looping',
      );
    }
    if (step.ended) {
      deps.log.info({ instance }, 'container stayed up: crash loop over');
      w.logTail = [];
      w.logsRead = false;
      deps.changed(instance);
    }
    // Each exit while looping: its last lines are the ones that say why.
    if (w.state.since !== null && input.type === 'die') readLogs(instance, w);
  };

  function forget(instance: string): void {
    const w = watched.get(instance);
    if (w === undefined) return;
    clear(w);
    watched.delete(instance);
    if (w.state.since !== null) deps.changed(instance);
  }

  return {
    started(instance, containerId, at) {
      const w = entry(instance, containerId);
      feed(instance, w, { type: 'start', at });
    },
    died(instance, containerId, at, exitCode, startedAt, killed = false) {
      const until = purposed.get(instance);
      if (until !== undefined) {
        purposed.delete(instance);
        // Stopped or restarted by the agent itself: not a crash, and no history before it counts.
        if (until >= deps.clock.now()) {
          forget(instance);
          return;
        }
      }
      const w = entry(instance, containerId);
      feed(instance, w, { type: 'die', at, exit_code: exitCode, started_at: startedAt, killed });
    },
    view(instance) {
      const w = watched.get(instance);
      // Reported with its log tail, never without: the first report is the one announced.
      if (w === undefined || w.state.since === null || !w.logsRead) return null;
      return { exit_code: w.state.last_exit?.exit_code ?? null, log_tail: w.logTail, since: w.state.since };
    },
    forget,
    onPurpose(instance) {
      forget(instance);
      purposed.set(instance, deps.clock.now() + ON_PURPOSE_MS);
    },
    close() {
      closed = true;
      purposed.clear();
      for (const w of watched.values()) clear(w);
      watched.clear();
    },
  };
}
