// Agent report -> events: what a change in one instance's container report means (it
// became unhealthy, degraded, was restarted, recovered, failed). Pure: the previous view
// of the instance and the time come in, the next view and the events go out.
import { emit, type WatchStep } from './steps.js';

/** What the watcher remembers of one instance between reports. */
export interface SeenInstance {
  readonly health: string;
  readonly state: string;
  readonly restarts: number;
  /** Docker's own count at the last report. */
  readonly dockerRestarts: number;
  readonly gaveUp: boolean;
  /** When it last became unhealthy (ms), until it is healthy again; null otherwise. */
  readonly unhealthySince: number | null;
  /** The crash-loop episode already announced (its `since`); null: none. */
  readonly crashLoopSince: number | null;
}

/** The fields of a container report the rules read. */
export interface InstanceReport {
  readonly instance: string;
  readonly health: string;
  readonly state: string;
  readonly restarts: number;
  /** The exit code of a container that is not running (absent: unknown). */
  readonly exit_code?: number | null | undefined;
  readonly recovery?: { readonly gave_up: boolean; readonly attempts: number } | null | undefined;
  /** Docker's own RestartCount; absent from agents that predate it. */
  readonly docker_restarts?: number | undefined;
  readonly crash_loop?:
    | {
        readonly exit_code: number | null;
        readonly restarts: number;
        readonly log_tail: readonly string[];
        readonly since: number;
      }
    | null
    | undefined;
  /** The verdict of the agent's own HTTP/TCP probe, when the instance has one. */
  readonly probe?:
    | {
        readonly status: string;
        readonly latency_ms: number | null;
        readonly consecutive_failures: number;
        readonly last_error: string | null;
      }
    | null
    | undefined;
}

/** Why a probe makes an instance degraded, in the operator's words; null without a probe verdict. */
function degradedBy(probe: InstanceReport['probe']): { latency_ms: number | null; reason: string } | null {
  if (probe === null || probe === undefined) return null;
  if (probe.status === 'degraded') {
    return {
      latency_ms: probe.latency_ms,
      reason: `its probe answered in ${Math.round(probe.latency_ms ?? 0)} ms, slower than degraded_after`,
    };
  }
  if (probe.status === 'failing') {
    const n = probe.consecutive_failures;
    return {
      latency_ms: probe.latency_ms,
      reason: `its probe failed ${n} time${n === 1 ? '' : 's'} in a row (${probe.last_error ?? 'no answer'}), below unhealthy_threshold`,
    };
  }
  return null;
}

/** The instance's desired assignment, when it is one and no operation holds its stack. */
export interface ReportSubject {
  readonly stack: string;
  readonly service: string;
  readonly agent: string;
}

/**
 * The events one new report of an instance gives. The first report of an instance only
 * sets the baseline (no events), and so does a report of a container that is not a
 * desired instance or whose stack is being changed by an operation (`subject` null).
 */
export function reportEvents(
  before: SeenInstance | undefined,
  report: InstanceReport,
  subject: ReportSubject | null,
  now: number,
): { seen: SeenInstance; steps: WatchStep[] } {
  const gaveUp = report.recovery?.gave_up ?? false;
  let unhealthySince = before?.unhealthySince ?? null;
  const loop = report.crash_loop ?? null;
  // An episode is announced once, when there is a subject to announce it for: one seen first
  // during an operation (or by an orchestrator that just started, before == undefined while
  // the stack is locked) is announced as soon as the operation lets go.
  let crashLoopSince =
    loop === null
      ? null
      : before === undefined && subject !== null
        ? loop.since
        : (before?.crashLoopSince ?? null);
  const steps: WatchStep[] = [];
  if (before !== undefined && subject !== null) {
    const data = {
      stack: subject.stack,
      service: subject.service,
      instance: report.instance,
      agent: subject.agent,
    };
    if (report.health === 'unhealthy' && before.health !== 'unhealthy') {
      unhealthySince = now;
      steps.push(emit({ event_type: 'service_unhealthy', data: { ...data, restarts: report.restarts } }));
    }
    if (report.health === 'degraded' && before.health !== 'degraded') {
      const why = degradedBy(report.probe);
      steps.push(emit({ event_type: 'service_degraded', data: { ...data, ...(why ?? {}) } }));
    }
    if (loop !== null && crashLoopSince !== loop.since) {
      crashLoopSince = loop.since;
      steps.push(
        emit({
          event_type: 'service_crashlooping',
          data: { ...data, exit_code: loop.exit_code, restarts: loop.restarts, log_tail: [...loop.log_tail] },
        }),
      );
    }
    // While it loops, each of Docker's restarts is the loop's, announced by the event above.
    if (report.restarts > before.restarts && loop === null) {
      const agentRestart =
        report.docker_restarts === undefined || report.docker_restarts <= before.dockerRestarts;
      steps.push(
        emit({
          event_type: 'service_restarted',
          data: {
            ...data,
            // Docker's count, as `docker inspect` shows it; the agent's attempts beside it.
            restarts: report.docker_restarts ?? report.restarts,
            reason: agentRestart ? 'restarted by its agent' : 'restarted by Docker (restart policy)',
            attempts: report.recovery?.attempts ?? null,
          },
        }),
      );
    }
    if (report.health === 'healthy' && before.health !== 'healthy' && before.unhealthySince !== null) {
      steps.push(
        emit({
          event_type: 'service_recovered',
          data: { ...data, recovery_ms: now - before.unhealthySince },
        }),
      );
      unhealthySince = null;
    }
    if ((gaveUp && !before.gaveUp) || (report.state === 'failed' && before.state !== 'failed')) {
      steps.push(
        emit({
          event_type: 'service_failed',
          data: {
            ...data,
            reason: gaveUp
              ? `its agent gave up after ${report.restarts} restarts`
              : `its container exited${typeof report.exit_code === 'number' ? ` with code ${report.exit_code}` : ''} and is not restarted`,
            error: {
              code: 'ALICIA_ERR_DEPLOY_FAILED',
              message: `instance ${report.instance} failed on ${subject.agent}`,
            },
          },
        }),
      );
    }
  }
  return {
    seen: {
      health: report.health,
      state: report.state,
      restarts: report.restarts,
      dockerRestarts: report.docker_restarts ?? 0,
      gaveUp,
      unhealthySince,
      crashLoopSince,
    },
    steps,
  };
}
