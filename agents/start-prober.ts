// Runs the healthcheck test of a starting container itself until Docker has a verdict of its
// own, and applies what Docker's rules make of the results to the agent's view of the
// container (src/core/healing/start-probe.ts says why and when). Docker's own probes keep
// running; its first verdict rules from then on. One test runs at a time per host, the
// others wait their turn: a `docker exec` costs ~35 ms of CPU on a small x86 VM (dockerd,
// containerd, runc), more on a Pi, and a host starting twenty services should not spend more
// than one core on probes.

import type { Clock, TimerHandle } from '../src/clock/index.js';
import {
  INITIAL_START_PROBE,
  type StartProbePlan,
  type StartProbeState,
  startProbeDelay,
  startProbePlan,
  stepStartProbe,
} from '../src/core/healing/index.js';
import type { Logger } from '../src/logging/logger.js';
import type { ContainerRuntime, ProbeTest, RuntimeContainer } from './runtime/types.js';
import type { DesiredEntry } from './state-store.js';

const PARALLEL_PROBES = 1;

/** One run of a container's process: a restart is a new run with a new start time. */
function runOf(container: RuntimeContainer): string {
  return `${container.id}@${container.startedAt ?? 0}`;
}

/** A test that runs something (not `['NONE']`). */
function isProbeTest(test: readonly string[]): test is ProbeTest {
  return test[0] === 'CMD' || test[0] === 'CMD-SHELL';
}

export interface StartProbe {
  test: ProbeTest;
  plan: StartProbePlan;
}

/** The start probe of a desired instance's container; null when it gets none. */
export function startProbeFor(
  entry: DesiredEntry | undefined,
  container: RuntimeContainer,
): StartProbe | null {
  const check = entry?.spec.spec.healthcheck;
  // Only the container made from the desired spec: not one being replaced.
  if (!entry?.run || entry.spec.spec_hash !== container.specHash || !check || !isProbeTest(check.test))
    return null;
  const plan = startProbePlan(check, entry.spec.spec.probe?.start !== false);
  return plan === null ? null : { test: check.test, plan };
}

type StartProbeVerdict = 'healthy' | 'unhealthy';

export interface StartProberDeps {
  runtime: Pick<ContainerRuntime, 'probe'>;
  /** Time and timers (the one Clock port). */
  clock: Clock;
  /** The start probe of a container (startProbeFor); null: not probed. */
  probeFor(container: RuntimeContainer): StartProbe | null;
  /** A verdict on the instance's current run: view() its container (seen()) again. */
  changed(instance: string): void;
  log: Logger;
}

export interface StartProber {
  /**
   * Takes Docker's latest view of a container (probed while it runs without a verdict from
   * Docker) and returns the agent's: Docker's, with the start probe's verdict on this run
   * while Docker has none.
   */
  view(container: RuntimeContainer): RuntimeContainer;
  /** Docker's latest view of a probed container, as last given to view(). */
  seen(instance: string): RuntimeContainer | undefined;
  /** The instance's container is gone. */
  forget(instance: string): void;
  close(): void;
}

interface Watch {
  readonly run: string;
  /** Docker's latest view of this run. */
  seen: RuntimeContainer;
  /** Epoch ms the container's process started. */
  readonly startedAt: number;
  readonly test: ProbeTest;
  readonly plan: StartProbePlan;
  state: StartProbeState;
  verdict: StartProbeVerdict | null;
  timer: TimerHandle | null;
}

export function createStartProber(deps: StartProberDeps): StartProber {
  const watches = new Map<string, Watch>();
  /** Probes due, waiting for their turn. */
  const due: (() => Promise<void>)[] = [];
  let running = 0;
  let closed = false;

  const pump = (): void => {
    while (!closed && running < PARALLEL_PROBES) {
      const task = due.shift();
      if (task === undefined) return;
      running += 1;
      void task().finally(() => {
        running -= 1;
        pump();
      });
    }
  };

  const stop = (instance: string): void => {
    const watch = watches.get(instance);
    if (watch !== undefined && watch.timer !== null) deps.clock.clearTimeout(watch.timer);
    watches.delete(instance);
  };

  const probeOnce = async (instance: string, watch: Watch): Promise<void> => {
    if (watches.get(instance) !== watch) return;
    const ok = await deps.runtime
      .probe(watch.seen.id, watch.test, watch.plan.timeout_ms)
      .catch((err: unknown) => {
        deps.log.debug({ err, instance }, 'start probe could not run');
        return false;
      });
    if (watches.get(instance) !== watch) return;
    const step = stepStartProbe(watch.state, ok, watch.plan, deps.clock.now() - watch.startedAt);
    watch.state = step.state;
    // Done with this run (kept, so the same run is not probed again): the verdict stands
    // until Docker has its own or the container restarts.
    if (step.next_ms !== null) arm(instance, watch, step.next_ms);
    if (step.verdict !== null) {
      deps.log.debug({ instance, health: step.verdict }, 'start probe verdict ahead of Docker');
      watch.verdict = step.verdict;
      deps.changed(instance);
    }
  };

  const arm = (instance: string, watch: Watch, delayMs: number): void => {
    watch.timer = deps.clock.setTimeout(() => {
      watch.timer = null;
      due.push(() => probeOnce(instance, watch));
      pump();
    }, delayMs);
  };

  return {
    view(container) {
      const instance = container.instance;
      if (closed || container.state !== 'running' || container.health !== 'starting') {
        stop(instance);
        return container;
      }
      const run = runOf(container);
      const current = watches.get(instance);
      if (current?.run === run) {
        current.seen = container;
        return current.verdict === null ? container : { ...container, health: current.verdict };
      }
      stop(instance);
      const probe = deps.probeFor(container);
      if (probe === null) return container;
      const startedAt = container.startedAt ?? deps.clock.now();
      const watch: Watch = {
        run,
        seen: container,
        startedAt,
        test: probe.test,
        plan: probe.plan,
        state: INITIAL_START_PROBE,
        verdict: null,
        timer: null,
      };
      watches.set(instance, watch);
      arm(instance, watch, startProbeDelay(probe.plan, deps.clock.now() - startedAt));
      return container;
    },
    seen: (instance) => watches.get(instance)?.seen,
    forget: stop,
    close() {
      closed = true;
      for (const instance of [...watches.keys()]) stop(instance);
      due.length = 0;
    },
  };
}
