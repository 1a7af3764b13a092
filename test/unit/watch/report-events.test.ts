// Agent report -> events, as a pure function of the previous view, the report and the time.
import { describe, expect, it } from 'vitest';
import {
  type InstanceReport,
  reportEvents,
  type SeenInstance,
  type WatchStep,
} from '../../../src/core/watch/index.js';

const subject = { stack: 's', service: 'db', agent: 'a' };
const report = (over: Partial<InstanceReport> = {}): InstanceReport => ({
  instance: 's_db_1_abc',
  health: 'healthy',
  state: 'running',
  restarts: 0,
  recovery: null,
  ...over,
});
const types = (steps: readonly WatchStep[]) =>
  steps.map((s) => (s.kind === 'emit' ? s.event.event_type : s.kind));

/** Feeds reports in order (one ms apart from `t0`), returning every event type and the last view. */
function feed(reports: InstanceReport[], t0 = 1000, sub: typeof subject | null = subject) {
  let seen: SeenInstance | undefined;
  const all: WatchStep[] = [];
  reports.forEach((r, i) => {
    const out = reportEvents(seen, r, sub, t0 + i * 1000);
    seen = out.seen;
    all.push(...out.steps);
  });
  return { steps: all, seen };
}

describe('report events', () => {
  it('the first report only sets the baseline', () => {
    const out = reportEvents(undefined, report({ health: 'unhealthy', restarts: 3 }), subject, 5);
    expect(out.steps).toEqual([]);
    expect(out.seen).toEqual({
      health: 'unhealthy',
      state: 'running',
      restarts: 3,
      dockerRestarts: 0,
      gaveUp: false,
      unhealthySince: null,
      crashLoopSince: null,
    });
  });

  it('unhealthy, restarted, then recovered with the time it took', () => {
    const { steps } = feed([
      report(),
      report({ health: 'unhealthy' }),
      report({ health: 'starting' as string, restarts: 1, recovery: { gave_up: false, attempts: 1 } }),
      report({ health: 'healthy', restarts: 1 }),
    ]);
    expect(types(steps)).toEqual(['service_unhealthy', 'service_restarted', 'service_recovered']);
    const [unhealthy, restarted, recovered] = steps;
    expect(unhealthy).toEqual({
      kind: 'emit',
      event: { event_type: 'service_unhealthy', data: { ...subject, instance: 's_db_1_abc', restarts: 0 } },
    });
    expect(restarted?.kind === 'emit' && restarted.event.data).toMatchObject({ restarts: 1, attempts: 1 });
    expect(recovered?.kind === 'emit' && recovered.event.data).toMatchObject({ recovery_ms: 2000 });
  });

  it('healthy without an unhealthy spell before is not a recovery', () => {
    expect(types(feed([report({ health: 'starting' }), report({ health: 'healthy' })]).steps)).toEqual([]);
  });

  it('degraded once per transition; failed once when the agent gives up', () => {
    const { steps } = feed([
      report(),
      report({ health: 'degraded' }),
      report({ health: 'degraded' }),
      report({ health: 'unhealthy', state: 'failed', recovery: { gave_up: true, attempts: 5 }, restarts: 5 }),
      report({ health: 'unhealthy', state: 'failed', recovery: { gave_up: true, attempts: 5 }, restarts: 5 }),
    ]);
    expect(types(steps)).toEqual([
      'service_degraded',
      'service_unhealthy',
      'service_restarted',
      'service_failed',
    ]);
    const failed = steps.at(-1);
    expect(failed?.kind === 'emit' && failed.event.data).toMatchObject({
      reason: 'its agent gave up after 5 restarts',
      error: { code: 'ALICIA_ERR_DEPLOY_FAILED' },
    });
  });

  it('a failure without a give-up says what it is: the exit, not restarts that never happened', () => {
    const { steps } = feed([report(), report({ health: 'none', state: 'failed', exit_code: 3 })]);
    const failed = steps.find((s) => s.kind === 'emit' && s.event.event_type === 'service_failed');
    expect(failed?.kind === 'emit' && failed.event.data).toMatchObject({
      reason: 'its container exited with code 3 and is not restarted',
    });
  });

  it('says nothing of containers that are not desired instances or whose stack an operation holds', () => {
    const { steps, seen } = feed([report(), report({ health: 'unhealthy', restarts: 2 })], 0, null);
    expect(steps).toEqual([]);
    // The view still follows the reports, so nothing stale fires once the stack is free again.
    expect(seen).toMatchObject({ health: 'unhealthy', restarts: 2 });
  });

  it('degraded by its probe says why: the latency, or the failures below the threshold', () => {
    const probe = (over: Partial<NonNullable<InstanceReport['probe']>>) => ({
      status: 'ok',
      latency_ms: 4,
      consecutive_failures: 0,
      last_error: null,
      ...over,
    });
    const slow = feed([
      report({ probe: probe({}) }),
      report({ health: 'degraded', probe: probe({ status: 'degraded', latency_ms: 1012.4 }) }),
    ]).steps[0];
    expect(slow?.kind === 'emit' && slow.event.data).toMatchObject({
      latency_ms: 1012.4,
      reason: 'its probe answered in 1012 ms, slower than degraded_after',
    });
    const failing = feed([
      report(),
      report({
        health: 'degraded',
        probe: probe({
          status: 'failing',
          latency_ms: null,
          consecutive_failures: 1,
          last_error: 'HTTP 503',
        }),
      }),
    ]).steps[0];
    expect(failing?.kind === 'emit' && failing.event.data).toMatchObject({
      latency_ms: null,
      reason: 'its probe failed 1 time in a row (HTTP 503), below unhealthy_threshold',
    });
    // Without a probe verdict: no reason, as before.
    const plain = feed([report(), report({ health: 'degraded' })]).steps[0];
    expect(plain?.kind === 'emit' && plain.event.data).toEqual({ ...subject, instance: 's_db_1_abc' });
  });
});
