// How far a service got, judged from its instances' reports. Pure.

/** The protocol's instance states and health values (src/protocol/containers.ts), restated so core stays pure. */
export type InstanceStateName =
  | 'unknown'
  | 'stopped'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'failed'
  | 'maintenance';
export type HealthName = 'healthy' | 'degraded' | 'unhealthy' | 'recovering' | 'unknown' | 'none';

/** The strongest milestone a service must reach for the deploy to call it up. */
export type Target = 'started' | 'healthy' | 'completed';

export interface Milestones {
  /** Every instance has been started (Compose `service_started`). */
  readonly started: boolean;
  /** Every instance runs and its healthcheck passes (`service_healthy`). */
  readonly healthy: boolean;
  /** Every instance exited with code 0 (`service_completed_successfully`). */
  readonly completed: boolean;
}

export const NO_MILESTONES: Milestones = Object.freeze({ started: false, healthy: false, completed: false });
const ALL_MILESTONES: Milestones = Object.freeze({ started: true, healthy: true, completed: true });

/** One instance the deploy waits for, as the agent last reported it (null fields: not reported yet). */
export interface InstanceView {
  readonly instance: string;
  readonly agent: string;
  readonly state: InstanceStateName | null;
  readonly health: HealthName | null;
  readonly exit_code: number | null;
  readonly started_at: number | null;
  readonly restarts: number;
  /** The agent stopped healing it (recovery.gave_up). */
  readonly gave_up: boolean;
  /** The agent refused or failed the start command for it. */
  readonly start_error: { readonly code: string; readonly message: string } | null;
  /** The agent sees the container dying at once, again and again (absent: not reported). */
  readonly crash_loop?: {
    readonly exit_code: number | null;
    readonly restarts: number;
    readonly log_tail: readonly string[];
  } | null;
}

/** Log lines a crash-loop failure quotes (the newest). */
const CRASH_LOG_LINES = 5;

/** `exit code N, M restarts; last log lines: …` of a crash-looping instance. */
export function describeCrashLoop(crash: NonNullable<InstanceView['crash_loop']>): string {
  const tail = crash.log_tail.slice(-CRASH_LOG_LINES);
  const code = crash.exit_code === null ? 'exit code unknown' : `exit code ${crash.exit_code}`;
  return `${code}, ${crash.restarts} restart${crash.restarts === 1 ? '' : 's'}${
    tail.length > 0 ? `; last log lines: ${tail.join(' | ')}` : ''
  }`;
}

export interface ServiceRules {
  readonly target: Target;
  /** Compose `restart`: with `no`, an exit is final. */
  readonly restart: string;
}

export interface Judgement {
  readonly reached: Milestones;
  /** Why the service cannot reach its target, or null while it still may. */
  readonly failure: { readonly code: string; readonly reason: string } | null;
}

function exited(view: InstanceView): boolean {
  return (
    view.state !== null && view.state !== 'running' && view.state !== 'starting' && view.exit_code !== null
  );
}

/**
 * Milestones and failure of a service from the reports of the `expected` instances it
 * should have. A service with no instance (replicas: 0) is trivially up.
 */
export function judgeService(
  views: readonly InstanceView[],
  expected: number,
  rules: ServiceRules,
): Judgement {
  if (expected === 0) return { reached: ALL_MILESTONES, failure: null };
  for (const view of views) {
    if (view.start_error) {
      return {
        reached: NO_MILESTONES,
        failure: {
          code: view.start_error.code,
          reason: `instance ${view.instance} could not start on ${view.agent}: ${view.start_error.message}`,
        },
      };
    }
  }
  const complete = views.length >= expected;
  const started = complete && views.every((v) => v.started_at !== null && v.state !== null);
  const healthy = complete && views.every((v) => v.state === 'running' && v.health === 'healthy');
  const completed = complete && views.every((v) => exited(v) && v.exit_code === 0);
  const reached: Milestones = { started, healthy, completed };
  return { reached, failure: failureOf(views, rules) };
}

function failureOf(views: readonly InstanceView[], rules: ServiceRules): Judgement['failure'] {
  const final = rules.restart === 'no';
  for (const view of views) {
    const where = `instance ${view.instance} on ${view.agent}`;
    // Dying at once, again and again: failed now, not at the startup timeout.
    if (view.crash_loop) {
      return {
        code: 'ALICIA_ERR_DEPLOY_FAILED',
        reason: `${where} is crash-looping (${describeCrashLoop(view.crash_loop)})`,
      };
    }
    if (view.gave_up || view.state === 'failed') {
      return {
        code: 'ALICIA_ERR_DEPLOY_FAILED',
        reason: `${where} failed${view.exit_code !== null ? ` (exit code ${view.exit_code})` : ''} after ${view.restarts} restarts`,
      };
    }
    switch (rules.target) {
      case 'completed':
        if (exited(view) && view.exit_code !== 0) {
          return { code: 'ALICIA_ERR_DEPLOY_FAILED', reason: `${where} exited with code ${view.exit_code}` };
        }
        break;
      case 'healthy':
        if (view.state === 'running' && view.health === 'unhealthy') {
          return {
            code: 'ALICIA_ERR_DEPLOY_FAILED',
            reason: `${where} is unhealthy (its healthcheck failed)`,
          };
        }
        if (exited(view) && final) {
          return {
            code: 'ALICIA_ERR_DEPLOY_FAILED',
            reason: `${where} exited with code ${view.exit_code} before it became healthy`,
          };
        }
        break;
      case 'started':
        if (exited(view) && final && view.exit_code !== 0) {
          return { code: 'ALICIA_ERR_DEPLOY_FAILED', reason: `${where} exited with code ${view.exit_code}` };
        }
        break;
    }
  }
  return null;
}

/** Merges milestones: once reached, a milestone stays reached (Compose gates on the first time). */
export function mergeMilestones(a: Milestones, b: Milestones): Milestones {
  return {
    started: a.started || b.started,
    healthy: a.healthy || b.healthy,
    completed: a.completed || b.completed,
  };
}

export function reachedTarget(reached: Milestones, target: Target): boolean {
  switch (target) {
    case 'started':
      // A one-shot that already exited 0 was started as well.
      return reached.started || reached.completed;
    case 'healthy':
      return reached.healthy;
    case 'completed':
      return reached.completed;
  }
}

/** Whether a `depends_on` condition holds for a dependency that reached `reached`. */
export function conditionMet(condition: string, reached: Milestones): boolean {
  switch (condition) {
    case 'service_started':
      return reached.started || reached.completed;
    case 'service_healthy':
      return reached.healthy;
    case 'service_completed_successfully':
      return reached.completed;
    default:
      return false;
  }
}
