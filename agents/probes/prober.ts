// Runs the agent's own HTTP/TCP probe (the spec's `health_probe`, Compose `x-alicia.probe`)
// of each running container made from its desired spec, and gives the agent its view:
// Docker's, with the probe's verdict on health (src/core/healing/probe-verdict.ts). An
// unhealthy verdict reaches the healer exactly as Docker's would; a degraded one is only
// reported. Each run of the container (a restart) starts from no verdict.
import type { Clock, TimerHandle } from '../../src/clock/index.js';
import {
  INITIAL_NET_PROBE,
  type NetProbeResult,
  type NetProbeState,
  netProbeDelay,
  netProbeHealth,
  stepNetProbe,
} from '../../src/core/healing/index.js';
import type { Logger } from '../../src/logging/logger.js';
import type { HealthProbe } from '../../src/protocol/container-spec.js';
import type { ContainerReport } from '../../src/protocol/containers.js';
import type { RuntimeContainer } from '../runtime/types.js';

export type ProbeReport = NonNullable<ContainerReport['probe']>;

export interface NetProberDeps {
  clock: Clock;
  /** The probe of the container (its desired spec's), or null. */
  probeFor(container: RuntimeContainer): HealthProbe | null;
  run(probe: HealthProbe): Promise<NetProbeResult>;
  /** The verdict changed (health, status): view() the container again and publish. */
  changed(instance: string): void;
  log: Logger;
}

export interface NetProber {
  /** Docker's view of the container -> the agent's, with the probe's health verdict. */
  view(container: RuntimeContainer): RuntimeContainer;
  /** What the report says of the probe; null when it has none (or no result yet). */
  report(instance: string): ProbeReport | null;
  forget(instance: string): void;
  close(): void;
}

interface Watch {
  readonly run: string;
  readonly probe: HealthProbe;
  readonly startedAt: number;
  state: NetProbeState;
  timer: TimerHandle | null;
}

const runOf = (c: RuntimeContainer) => `${c.id}@${c.startedAt ?? 0}`;

export function createNetProber(deps: NetProberDeps): NetProber {
  const watches = new Map<string, Watch>();
  let closed = false;

  const stop = (instance: string) => {
    const w = watches.get(instance);
    if (w?.timer != null) deps.clock.clearTimeout(w.timer);
    watches.delete(instance);
  };

  /** `spentMs`: how long the last probe took; the interval runs from start to start. */
  const arm = (instance: string, w: Watch, spentMs = 0) => {
    const delay = Math.max(0, netProbeDelay(w.state, w.probe, deps.clock.now() - w.startedAt) - spentMs);
    w.timer = deps.clock.setTimeout(() => {
      w.timer = null;
      void probeOnce(instance, w);
    }, delay);
  };

  const probeOnce = async (instance: string, w: Watch) => {
    const began = deps.clock.now();
    const result = await deps.run(w.probe);
    if (closed || watches.get(instance) !== w) return;
    const before = w.state;
    const now = deps.clock.now();
    w.state = stepNetProbe(before, result, w.probe, now, now - w.startedAt);
    const healthBefore = netProbeHealth(before, w.probe);
    const healthAfter = netProbeHealth(w.state, w.probe);
    if (healthAfter === 'unhealthy') {
      deps.log.warn(
        { instance, failures: w.state.consecutive_failures, error: w.state.last_error },
        'probe failing: container unhealthy',
      );
    }
    const moved =
      healthBefore !== healthAfter || (before.status !== w.state.status && (w.state.passed || before.passed));
    // Unhealthy: the healer takes over (a restart makes a new run); no more probes of this one.
    // A probe that waited out its timeout does not push the next one back: every interval_ms,
    // start to start, so unhealthy_threshold failures take threshold × interval, not × (interval + timeout).
    if (healthAfter !== 'unhealthy') arm(instance, w, deps.clock.now() - began);
    if (moved) deps.changed(instance);
  };

  return {
    view(container) {
      const instance = container.instance;
      if (closed || container.state !== 'running') {
        stop(instance);
        return container;
      }
      const run = runOf(container);
      let w = watches.get(instance);
      if (w === undefined || w.run !== run) {
        stop(instance);
        const probe = deps.probeFor(container);
        if (probe === null) return container;
        w = {
          run,
          probe,
          startedAt: container.startedAt ?? deps.clock.now(),
          state: INITIAL_NET_PROBE,
          timer: null,
        };
        watches.set(instance, w);
        arm(instance, w);
      }
      const health = netProbeHealth(w.state, w.probe);
      if (health === null) {
        // No say yet: a container without a healthcheck is still starting, not "none".
        return container.health === 'none' ? { ...container, health: 'starting' } : container;
      }
      // Either judge saying unhealthy makes it unhealthy; Docker's starting/none defer to the probe.
      if (health === 'unhealthy' || container.health === 'unhealthy')
        return { ...container, health: 'unhealthy' };
      return container.health === 'healthy' || container.health === 'none' || container.health === 'starting'
        ? { ...container, health: 'healthy' }
        : container;
    },
    report(instance) {
      const w = watches.get(instance);
      if (w === undefined || w.state.status === null || w.state.checked_at === null) return null;
      return {
        kind: w.probe.kind,
        status: w.state.status,
        latency_ms: w.state.latency_ms === null ? null : Math.round(w.state.latency_ms * 10) / 10,
        consecutive_failures: w.state.consecutive_failures,
        last_error: w.state.last_error,
        checked_at: w.state.checked_at,
      };
    },
    forget: stop,
    close() {
      closed = true;
      for (const instance of [...watches.keys()]) stop(instance);
    },
  };
}
