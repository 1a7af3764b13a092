// Moves follow dependency order (issue 13): the plan core/watch makes for the instances a
// lost host had, driven by the deploy's own pure state machine — a moved dependent starts
// only once its moved dependency meets its condition on the new host; a dependency that did
// not move is not waited for. And each move is a new incarnation with its own id.
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  type DeployStack,
  type InstanceView,
  initDeploy,
  instanceId,
  stepDeploy,
} from '../../../src/core/deploy/index.js';
import type { PlacementNode } from '../../../src/core/placement/index.js';
import { moveStartPlan, planReschedule, type WatchStep } from '../../../src/core/watch/index.js';

const hc = { test: ['CMD', 'true'], disable: false };
/** api waits for cache to be healthy; web waits for api to be started; db stands alone. */
const definition: DeployStack = {
  name: 's',
  services: {
    cache: { healthcheck: hc, depends_on: {}, restart: 'always', replicas: 1 },
    api: {
      healthcheck: hc,
      depends_on: { cache: { condition: 'service_healthy', required: true } },
      restart: 'always',
      replicas: 1,
    },
    web: {
      depends_on: { api: { condition: 'service_started', required: true } },
      restart: 'always',
      replicas: 1,
    },
    db: { depends_on: {}, restart: 'always', replicas: 1 },
  },
  x_alicia: {},
};
const assignment = (service: string, agent: string, incarnation = 0): Assignment => ({
  instance: instanceId('s', service, 1, 'abcdef', incarnation),
  stack: 's',
  service,
  slot: 1,
  agent,
  spec_hash: 'abcdef',
  created_ms: 1,
  ...(incarnation > 0 ? { incarnation } : {}),
});
const node = (id: string): PlacementNode => ({
  id,
  hostname: id,
  arch: 'x86_64',
  os: 'linux',
  role: 'worker',
  labels: {},
});

function reschedule(assignments: Assignment[]) {
  return planReschedule({
    agent: 'lost',
    offlineSinceMs: 0,
    now: 5_000,
    graceMs: 1_000,
    stacks: [{ name: 's', definition, assignments, ruleOf: () => ({ constraints: [] }) }],
    load: new Map(),
    nodes: [node('b'), node('c')],
    announced: false,
    unplaceable: new Set(),
  });
}
const moveOf = (steps: readonly WatchStep[]) => {
  const move = steps.find((s) => s.kind === 'move');
  if (move?.kind !== 'move') throw new Error('no move step');
  return move;
};

/** Views as the agents would report them: `up` maps a moved service to its state now. */
const viewsOf =
  (moved: readonly Assignment[], up: Record<string, 'starting' | 'running' | 'healthy'>) =>
  (service: string): InstanceView[] =>
    moved
      .filter((a) => a.service === service && up[service] !== undefined)
      .map((a) => ({
        instance: a.instance,
        agent: a.agent,
        state: 'running',
        health: up[service] === 'healthy' ? 'healthy' : 'unknown',
        exit_code: null,
        started_at: 10,
        restarts: 0,
        gave_up: false,
        start_error: null,
      }));

describe('moves: new incarnations', () => {
  it('names the new instance and the one it replaces; the move step carries new ids only', () => {
    const result = reschedule([assignment('cache', 'lost'), assignment('db', 'b')]);
    const event = result.steps.find((s) => s.kind === 'emit' && s.event.event_type === 'service_rescheduled');
    expect(event?.kind === 'emit' && event.event.data).toMatchObject({
      service: 'cache',
      instance: 's_cache_1_abcdef_1',
      replaces: 's_cache_1_abcdef',
      from: 'lost',
    });
    expect(moveOf(result.steps).moves.map((m) => [m.from.instance, m.to.instance])).toEqual([
      ['s_cache_1_abcdef', 's_cache_1_abcdef_1'],
    ]);
  });

  it('a second move counts on: incarnation 2', () => {
    const result = reschedule([assignment('cache', 'lost', 1)]);
    expect(moveOf(result.steps).moves[0]?.to).toMatchObject({
      instance: 's_cache_1_abcdef_2',
      incarnation: 2,
    });
  });
});

describe('moves: dependency order', () => {
  it('starts cache first, api once cache is healthy on its new host, web once api started', () => {
    const result = reschedule([
      assignment('cache', 'lost'),
      assignment('api', 'lost'),
      assignment('web', 'lost'),
      assignment('db', 'b'),
    ]);
    const move = moveOf(result.steps);
    const plan = move.order;
    if (plan === null) throw new Error('no order');
    const moved = move.moves.map((m) => m.to);
    const starts = (actions: ReturnType<typeof stepDeploy>['actions']) =>
      actions.flatMap((a) => (a.type === 'start' ? [a.service] : []));

    let state = initDeploy(plan, 0).state;
    let step = stepDeploy(plan, state, viewsOf(moved, {}), 1);
    // db did not move: nothing of it is started or waited for.
    expect(starts(step.actions)).toEqual(['cache']);
    state = step.state;
    expect(state.services.api?.phase).toBe('waiting');
    expect(state.services.db?.phase).toBe('ready');

    // cache runs, not healthy yet: api still waits.
    step = stepDeploy(plan, state, viewsOf(moved, { cache: 'running' }), 2);
    expect(starts(step.actions)).toEqual([]);
    state = step.state;

    step = stepDeploy(plan, state, viewsOf(moved, { cache: 'healthy' }), 3);
    expect(starts(step.actions)).toEqual(['api']);
    state = step.state;

    step = stepDeploy(plan, state, viewsOf(moved, { cache: 'healthy', api: 'starting' }), 4);
    expect(starts(step.actions)).toEqual(['web']);
    state = step.state;

    step = stepDeploy(plan, state, viewsOf(moved, { cache: 'healthy', api: 'healthy', web: 'running' }), 5);
    expect(step.state.outcome).toEqual({ ok: true, duration_ms: 5 });
  });

  it('a moved dependent whose dependency did not move starts at once', () => {
    const plan = moveStartPlan({ stack: definition, moved: [assignment('api', 'b', 1)] });
    if (plan === null) throw new Error('no order');
    const step = stepDeploy(plan, initDeploy(plan, 0).state, () => [], 1);
    expect(step.actions.filter((a) => a.type === 'start')).toEqual([{ type: 'start', service: 'api' }]);
    expect(plan.services.api?.expected).toBe(1);
    expect(plan.services.cache).toMatchObject({ expected: 0, start: false });
  });

  it('takes the orchestrator startup timeout when the stack sets none, and no order from a broken graph', () => {
    const plan = moveStartPlan({
      stack: definition,
      moved: [assignment('cache', 'b', 1)],
      startupTimeoutMs: 9_000,
    });
    expect(plan?.services.cache?.timeout_ms).toBe(9_000);
    const broken: DeployStack = {
      ...definition,
      services: {
        a: {
          depends_on: { b: { condition: 'service_started', required: true } },
          restart: 'no',
          replicas: 1,
        },
      },
    };
    expect(moveStartPlan({ stack: broken, moved: [] })).toBeNull();
  });
});
