import { describe, expect, it } from 'vitest';
import {
  checkConditions,
  type DeployAction,
  type DeployPlan,
  type DeployState,
  initDeploy,
  nextDeadline,
  stepDeploy,
} from '../../../src/core/deploy/index.js';
import { planOf, stackOf, view, world } from './helpers.js';

function run(plan: DeployPlan, now = 0) {
  const w = world();
  const init = initDeploy(plan, now);
  let state: DeployState = init.state;
  const log: DeployAction[] = [...init.actions];
  const step = (at: number): DeployAction[] => {
    const result = stepDeploy(plan, state, w.observe, at);
    state = result.state;
    log.push(...result.actions);
    return [...result.actions];
  };
  return { w, step, log, state: () => state };
}

const starts = (actions: readonly DeployAction[]) =>
  actions.flatMap((a) => (a.type === 'start' ? [a.service] : []));
const events = (actions: readonly DeployAction[]) =>
  actions.flatMap((a) =>
    a.type === 'event' ? [`${a.event_type}${'service' in a.data ? `:${a.data.service}` : ''}`] : [],
  );

describe('deploy state machine', () => {
  const layered = {
    db: { health: true },
    cache: { health: true },
    api: { deps: { db: 'service_healthy', cache: 'service_healthy' }, health: true },
    web: { deps: { api: 'service_healthy' } },
  };

  it('starts services in dependency order, gated on health', () => {
    const d = run(planOf(layered));
    let actions = d.step(0);
    expect(starts(actions)).toEqual(['cache', 'db']);
    expect(events(actions)).toContain('service_waiting:api');

    d.w.set('db', [view('db1', { health: 'unknown' })]);
    d.w.set('cache', [view('c1', { health: 'unknown' })]);
    actions = d.step(100);
    expect(events(actions)).toEqual(['service_started:cache', 'service_started:db']);
    expect(starts(actions)).toEqual([]);

    d.w.set('db', [view('db1', { health: 'healthy' })]);
    actions = d.step(200);
    expect(events(actions)).toEqual(['service_healthy:db', 'service_waiting:api']);
    expect(d.state().services.api?.waiting_for).toEqual(['cache']);

    d.w.set('cache', [view('c1', { health: 'healthy' })]);
    actions = d.step(300);
    expect(starts(actions)).toEqual(['api']);

    d.w.set('api', [view('a1', { health: 'healthy' })]);
    actions = d.step(400);
    // One report carries the chain forward: api healthy -> web starts in the same step.
    expect(starts(actions)).toEqual(['web']);
    d.w.set('web', [view('w1')]);
    actions = d.step(500);
    expect(events(actions)).toEqual(['service_started:web', 'deploy_completed']);
    expect(d.state().outcome).toEqual({ ok: true, duration_ms: 500 });
  });

  it('starts a service as soon as its own dependencies are met, not when the whole layer is', () => {
    const plan = planOf({
      slow: { health: true },
      fast: { health: true },
      a: { deps: { fast: 'service_healthy' } },
      b: { deps: { slow: 'service_healthy' } },
    });
    const d = run(plan);
    d.step(0);
    d.w.set('fast', [view('f', { health: 'healthy' })]);
    d.w.set('slow', [view('s', { health: 'unknown' })]);
    expect(starts(d.step(50))).toEqual(['a']);
  });

  it('gates service_started on started and service_completed_successfully on exit code 0', () => {
    const plan = planOf({
      migrate: {},
      db: {},
      api: { deps: { migrate: 'service_completed_successfully', db: 'service_started' } },
    });
    const d = run(plan);
    d.step(0);
    d.w.set('db', [view('db1')]);
    d.w.set('migrate', [view('m1')]);
    expect(starts(d.step(10))).toEqual([]);
    d.w.set('migrate', [view('m1', { state: 'stopped', exit_code: 0 })]);
    const actions = d.step(20);
    expect(events(actions)).toContain('service_completed:migrate');
    expect(starts(actions)).toEqual(['api']);
  });

  it('fails the deploy when a dependency becomes unhealthy, and does not start its dependents', () => {
    const d = run(planOf(layered));
    d.step(0);
    d.w.set('cache', [view('c1', { health: 'healthy' })]);
    d.w.set('db', [view('db1', { health: 'unhealthy' })]);
    const actions = d.step(100);
    expect(starts(actions)).toEqual([]);
    expect(events(actions)).toEqual([
      'service_started:cache',
      'service_healthy:cache',
      'service_started:db',
      'service_failed:db',
      'service_failed:api',
      'service_failed:web',
      'deploy_failed',
    ]);
    const outcome = d.state().outcome;
    expect(outcome).toMatchObject({
      ok: false,
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      failed: ['db'],
      blocked: ['api', 'web'],
    });
    expect(outcome && !outcome.ok ? outcome.reason : '').toBe(
      'service "db": instance db1 on a is unhealthy (its healthcheck failed); ' +
        'not started because a dependency failed: api, web',
    );
  });

  it('fails a service whose start the agent refused, naming the agent and the error', () => {
    const d = run(planOf({ db: {} }));
    d.step(0);
    d.w.set('db', [
      view('db1', {
        state: null,
        started_at: null,
        start_error: { code: 'ALICIA_ERR_IMAGE_PULL', message: 'no registry' },
      }),
    ]);
    d.step(5);
    const outcome = d.state().outcome;
    expect(outcome && !outcome.ok ? outcome.reason : '').toBe(
      'service "db": instance db1 could not start on a: no registry',
    );
  });

  it('fails a service that does not get healthy within its startup timeout', () => {
    const plan = planOf(
      { db: { health: true }, api: { deps: { db: 'service_healthy' } } },
      { timeout: 1000 },
    );
    const d = run(plan);
    d.step(0);
    d.w.set('db', [view('db1', { health: 'unknown' })]);
    d.step(500);
    expect(nextDeadline(plan, d.state())).toBe(1000);
    expect(d.state().outcome).toBeNull();
    d.step(1000);
    expect(d.state().services.db?.failure).toEqual({
      code: 'ALICIA_ERR_TIMEOUT',
      reason: 'not healthy within the startup timeout of 1000 ms',
    });
    expect(d.state().outcome).toMatchObject({ ok: false, blocked: ['api'] });
  });

  it('treats an exit as final with restart "no" and waits for Docker to restart it otherwise', () => {
    const d1 = run(planOf({ db: { health: true } }));
    d1.step(0);
    d1.w.set('db', [view('db1', { state: 'stopped', exit_code: 1 })]);
    d1.step(10);
    expect(d1.state().services.db?.phase).toBe('failed');

    const d2 = run(planOf({ db: { health: true, restart: 'always' } }));
    d2.step(0);
    d2.w.set('db', [view('db1', { state: 'stopped', exit_code: 1 })]);
    d2.step(10);
    expect(d2.state().services.db?.phase).toBe('starting');
    d2.w.set('db', [view('db1', { health: 'healthy', restarts: 1 })]);
    d2.step(20);
    expect(d2.state().outcome).toMatchObject({ ok: true });
  });

  it('goes ahead when an optional dependency fails', () => {
    const d = run(planOf({ extra: {}, api: { deps: { extra: 'service_started' }, optional: ['extra'] } }));
    d.step(0);
    d.w.set('extra', [view('e', { state: 'stopped', exit_code: 3 })]);
    expect(starts(d.step(10))).toEqual(['api']);
  });

  it('waits for every replica', () => {
    const d = run(planOf({ db: { health: true, replicas: 2 }, api: { deps: { db: 'service_healthy' } } }));
    d.step(0);
    d.w.set('db', [view('db1', { health: 'healthy' })]);
    expect(starts(d.step(10))).toEqual([]);
    d.w.set('db', [view('db1', { health: 'healthy' }), view('db2', { health: 'healthy' })]);
    expect(starts(d.step(20))).toEqual(['api']);
  });

  it('redeploying an unchanged stack starts nothing and emits no per-service event', () => {
    const d = run(planOf(layered, { unchanged: ['db', 'cache', 'api', 'web'] }));
    d.w.set('db', [view('db1', { health: 'healthy' })]);
    d.w.set('cache', [view('c1', { health: 'healthy' })]);
    d.w.set('api', [view('a1', { health: 'healthy' })]);
    d.w.set('web', [view('w1')]);
    const actions = d.step(0);
    expect(starts(actions)).toEqual([]);
    expect(events(d.log)).toEqual(['deploy_started', 'deploy_completed']);
  });

  it('counts a service with no replicas as up', () => {
    const d = run(planOf({ db: { replicas: 0 }, api: { deps: { db: 'service_started' } } }));
    expect(starts(d.step(0))).toEqual(['api']);
  });

  it('refuses up front a service_healthy dependency that has no healthcheck, as Compose does', () => {
    const error = checkConditions(stackOf({ db: {}, api: { deps: { db: 'service_healthy' } } }));
    expect(error?.message).toBe(
      'Deploy failed: service "api" waits for "db" to be healthy, but "db" has no healthcheck',
    );
  });
});
