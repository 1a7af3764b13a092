import { describe, expect, it } from 'vitest';
import {
  applyPlan,
  type DesiredInstance,
  type ObservedInstance,
  reconcile,
} from '../../../src/core/reconcile/index.js';

const NOW = 1_000_000;

function d(instance: string, agent: string, hash = 'h1', slot = 1, service = 'web'): DesiredInstance {
  return { instance, stack: 's', service, slot, agent, spec_hash: hash };
}
function o(
  instance: string,
  agent: string,
  hash = 'h1',
  slot: number | null = 1,
  service = 'web',
): ObservedInstance {
  return {
    instance,
    stack: 's',
    service,
    slot,
    agent,
    spec_hash: hash,
    state: 'running',
    container_id: `c-${agent}-${instance}`,
    created_at: NOW - 1000,
  };
}

describe('reconcile', () => {
  it('keeps what runs as desired, starts what is missing, stops what is not desired', () => {
    const plan = reconcile([d('w1', 'a'), d('w2', 'b', 'h1', 2)], [o('w1', 'a'), o('x9', 'b', 'h1', 9)], NOW);
    expect(plan.keep.map((x) => x.instance)).toEqual(['w1']);
    expect(plan.start.map((x) => x.instance)).toEqual(['w2']);
    expect(plan.stop.map((x) => x.instance)).toEqual(['x9']);
    expect(plan.replace).toEqual([]);
    expect([...plan.byAgent.keys()].sort()).toEqual(['a', 'b']);
    expect(plan.byAgent.get('b')).toMatchObject({ start: [{ instance: 'w2' }], stop: [{ instance: 'x9' }] });
  });

  it('replaces an instance whose spec changed, in the same slot on the same host', () => {
    const plan = reconcile([d('w1-new', 'a', 'h2', 1)], [o('w1-old', 'a', 'h1', 1)], NOW);
    expect(plan.replace).toEqual([
      {
        start: expect.objectContaining({ instance: 'w1-new' }),
        stop: expect.objectContaining({ instance: 'w1-old' }),
      },
    ]);
    expect(plan.start).toEqual([]);
    expect(plan.stop).toEqual([]);
  });

  it('replaces in place when the same instance id runs another spec', () => {
    const plan = reconcile([d('w1', 'a', 'h2')], [o('w1', 'a', 'h1')], NOW);
    expect(plan.replace).toHaveLength(1);
  });

  it('stops a duplicate left on a host that came back after its instance was rescheduled', () => {
    const plan = reconcile([d('w1', 'b')], [o('w1', 'a'), o('w1', 'b')], NOW);
    expect(plan.keep.map((x) => x.agent)).toEqual(['b']);
    expect(plan.stop.map((x) => `${x.agent}/${x.instance}`)).toEqual(['a/w1']);
  });

  it('touches nothing on an unreachable host', () => {
    const plan = reconcile([d('w1', 'a'), d('w2', 'a', 'h2', 2)], [o('x', 'a'), o('w2', 'a', 'h1', 2)], NOW, {
      unreachable: new Set(['a']),
    });
    expect(plan.start).toEqual([]);
    expect(plan.stop).toEqual([]);
    expect(plan.replace).toEqual([]);
    expect(plan.wait.map((x) => x.instance).sort()).toEqual(['w1', 'w2']);
  });

  it('does not start again an instance whose start is in flight, until its pending window passed', () => {
    const pending = { ...d('w1', 'a'), pending_until: NOW + 5000 };
    expect(reconcile([pending], [], NOW).wait).toHaveLength(1);
    expect(reconcile([pending], [], NOW + 5000).start).toHaveLength(1);
  });

  it('applying the plan yields the desired set, and reconciling again is a no-op', () => {
    const desired = [d('w1', 'a'), d('w2', 'b', 'h2', 2), d('w3', 'c', 'h1', 3)];
    const observed = [o('w1', 'a'), o('w2-old', 'b', 'h1', 2), o('zz', 'c', 'h1', 7)];
    const plan = reconcile(desired, observed, NOW);
    const after = applyPlan(plan, observed);
    expect([...after].sort()).toEqual(['a/w1@h1', 'b/w2@h2', 'c/w3@h1']);
  });
});
