// Runs the healthcheck test of a starting container itself until Docker has a verdict of its
// own, and reports what Docker's rules make of the results (src/core/healing/start-probe.ts
// says why and when). Docker's own probes keep running; its first verdict rules from then
// on. At most PARALLEL_PROBES tests run at once per host: a Pi starting twenty services
// should not spend its CPU on probes.
import {
  INITIAL_START_PROBE,
  type StartProbePlan,
  type StartProbeState,
  startProbeDelay,
  stepStartProbe,
} from '../src/core/healing/index.js';
import type { Logger } from '../src/logging/logger.js';
import type { Timers } from './healer.js';
import type { ContainerRuntime, ProbeTest, RuntimeContainer } from './runtime/types.js';

const PARALLEL_PROBES = 2;

/** One run of a container's process: a restart is a new run with a new start time. */
export function runOf(container: RuntimeContainer): string {
  return `${container.id}@${container.startedAt ?? 0}`;
}

/** A test that runs something (not `['NONE']`). */
export function isProbeTest(test: readonly string[]): test is ProbeTest {
  return test[0] === 'CMD' || test[0] === 'CMD-SHELL';
}

export type StartProbeVerdict = 'healthy' | 'unhealthy';

export interface StartProberDeps {
  runtime: Pick<ContainerRuntime, 'probe'>;
  timers: Timers;
  now(): number;
  /** The test and its start probe plan for the container of a desired instance; null: not probed. */
  planFor(container: RuntimeContainer): { test: ProbeTest; plan: StartProbePlan } | null;
  /** Docker's rules made this of run `run` of the instance's container. */
  verdict(instance: string, run: string, health: StartProbeVerdict): void;
  log: Logger;
}

export interface StartProber {
  /** Docker's latest view of a container: probed while it runs without a verdict from Docker. */
  observe(container: RuntimeContainer): void;
  /** The instance's container is gone. */
  forget(instance: string): void;
  close(): void;
}

interface Watch {
  readonly run: string;
  readonly id: string;
  /** Epoch ms the container's process started. */
  readonly startedAt: number;
  readonly test: ProbeTest;
  readonly plan: StartProbePlan;
  state: StartProbeState;
  timer: unknown;
}

export function createStartProber(deps: StartProberDeps): StartProber {
  const watches = new Map<string, Watch>();
  /** Probes due, waiting for one of the PARALLEL_PROBES places. */
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
    if (watch !== undefined && watch.timer !== null) deps.timers.clearTimeout(watch.timer);
    watches.delete(instance);
  };

  const probeOnce = async (instance: string, watch: Watch): Promise<void> => {
    if (watches.get(instance) !== watch) return;
    const ok = await deps.runtime.probe(watch.id, watch.test, watch.plan.timeout_ms).catch((err: unknown) => {
      deps.log.debug({ err, instance }, 'start probe could not run');
      return false;
    });
    if (watches.get(instance) !== watch) return;
    const step = stepStartProbe(watch.state, ok, watch.plan, deps.now() - watch.startedAt);
    watch.state = step.state;
    // Done with this run (kept, so the same run is not probed again): the verdict stands
    // until Docker has its own or the container restarts.
    if (step.next_ms !== null) arm(instance, watch, step.next_ms);
    if (step.verdict !== null) {
      deps.log.debug({ instance, health: step.verdict }, 'start probe verdict ahead of Docker');
      deps.verdict(instance, watch.run, step.verdict);
    }
  };

  const arm = (instance: string, watch: Watch, delayMs: number): void => {
    watch.timer = deps.timers.setTimeout(() => {
      watch.timer = null;
      due.push(() => probeOnce(instance, watch));
      pump();
    }, delayMs);
  };

  return {
    observe(container) {
      const instance = container.instance;
      if (closed || container.state !== 'running' || container.health !== 'starting') {
        stop(instance);
        return;
      }
      const run = runOf(container);
      if (watches.get(instance)?.run === run) return;
      stop(instance);
      const probe = deps.planFor(container);
      if (probe === null) return;
      const startedAt = container.startedAt ?? deps.now();
      const watch: Watch = {
        run,
        id: container.id,
        startedAt,
        test: probe.test,
        plan: probe.plan,
        state: INITIAL_START_PROBE,
        timer: null,
      };
      watches.set(instance, watch);
      arm(instance, watch, startProbeDelay(probe.plan, deps.now() - startedAt));
    },
    forget: stop,
    close() {
      closed = true;
      for (const instance of [...watches.keys()]) stop(instance);
      due.length = 0;
    },
  };
}
