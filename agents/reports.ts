// A managed container as the agent reports it on alicia/agents/<id>/containers.
import type { HealingState } from '../src/core/healing/index.js';
import type { ContainerReport, Health, InstanceState } from '../src/protocol/containers.js';
import type { CrashLoopView } from './crash-watch.js';
import type { ProbeReport } from './probes/prober.js';
import type { RuntimeContainer } from './runtime/types.js';

export interface ReportContext {
  /** Restarts the agent did itself (healing, restart commands). */
  agentRestarts: number;
  healing: HealingState | undefined;
  /** Healing gave up on it (also remembered across agent restarts), with the attempts made. */
  failedAttempts: number | undefined;
  /** true: should run; false: stopped on purpose; undefined: not a desired instance. */
  desiredRun: boolean | undefined;
  /** What the agent is doing to it right now, if anything. */
  busy: 'stopping' | 'restarting' | null;
  address: string | null;
  /** The crash loop the container is in (crash-watch.ts), or null. */
  crashLoop?: CrashLoopView | null | undefined;
  /** The agent's own HTTP/TCP probe of it (probes/prober.ts), or null. */
  probe?: ProbeReport | null | undefined;
}

export function reportState(container: RuntimeContainer, context: ReportContext): InstanceState {
  if (context.busy === 'stopping') return 'stopping';
  // Between the kill and the start of a restart Docker shows it exited: it is not a failure.
  if (context.busy === 'restarting') return 'starting';
  const gaveUp = context.failedAttempts !== undefined || context.healing?.gave_up === true;
  switch (container.state) {
    case 'running':
      // Healing gave up: the agent is about to stop it.
      if (gaveUp) return 'stopping';
      return container.health === 'starting' ? 'starting' : 'running';
    case 'restarting':
      return 'starting';
    case 'created':
      return context.desiredRun === false ? 'stopped' : 'starting';
    case 'paused':
      return 'maintenance';
    case 'removing':
      return 'stopping';
    case 'exited':
    case 'dead':
      if (gaveUp) return 'failed';
      // An exit the agent did not ask for, with an error code, is a failure.
      if (context.desiredRun === true && container.exitCode !== null && container.exitCode !== 0)
        return 'failed';
      return 'stopped';
  }
}

export function reportHealth(container: RuntimeContainer, context: ReportContext): Health {
  if (container.health === 'none') return 'none';
  if (container.state !== 'running') return 'unknown';
  switch (container.health) {
    case 'healthy':
      // Its HTTP/TCP probe answers slowly, or failed below its unhealthy_threshold.
      if (context.probe?.status === 'degraded' || context.probe?.status === 'failing') return 'degraded';
      return 'healthy';
    case 'unhealthy':
      return 'unhealthy';
    case 'starting':
      // Restarted by healing and not judged yet.
      return (context.healing?.attempts ?? 0) > 0 ? 'recovering' : 'unknown';
  }
}

export function toContainerReport(container: RuntimeContainer, context: ReportContext): ContainerReport {
  const healing = context.healing;
  const gaveUp = healing?.gave_up === true || context.failedAttempts !== undefined;
  const attempts = Math.max(healing?.attempts ?? 0, context.failedAttempts ?? 0);
  const recovery =
    gaveUp || attempts > 0 || (healing?.next_attempt_at ?? null) !== null
      ? { attempts, next_attempt_at: healing?.next_attempt_at ?? null, gave_up: gaveUp }
      : null;
  return {
    instance: container.instance,
    stack: container.stack,
    service: container.service,
    container_id: container.id,
    image: container.image,
    spec_hash: container.specHash,
    state: reportState(container, context),
    health: reportHealth(container, context),
    exit_code: container.exitCode,
    restarts: container.restartCount + context.agentRestarts,
    created_at: container.createdAt,
    started_at: container.startedAt,
    finished_at: container.finishedAt,
    address: context.address,
    ports: [...container.ports],
    recovery,
    probe: context.probe ?? null,
    docker_restarts: container.restartCount,
    crash_loop:
      context.crashLoop === null || context.crashLoop === undefined
        ? null
        : {
            exit_code: context.crashLoop.exit_code,
            restarts: container.restartCount + context.agentRestarts,
            log_tail: [...context.crashLoop.log_tail],
            since: context.crashLoop.since,
          },
  };
}
