// Healing of an idle stack as steps: start what runs nowhere, remove duplicates and
// orphans, and never remove the container an in-place replacement is swapping.
import { describe, expect, it } from 'vitest';
import type { Assignment } from '../../../src/core/deploy/index.js';
import type { ObservedInstance } from '../../../src/core/reconcile/index.js';
import { planHealing, planLeftovers, type WatchStep } from '../../../src/core/watch/index.js';

const a = (instance: string, agent: string, spec_hash = 'h1', slot = 1): Assignment => ({
  instance,
  stack: 's',
  service: 'web',
  slot,
  agent,
  spec_hash,
  created_ms: 1,
});
const o = (instance: string, agent: string, spec_hash = 'h1', slot: number | null = 1): ObservedInstance => ({
  instance,
  stack: 's',
  service: 'web',
  slot,
  agent,
  spec_hash,
  state: 'running',
  container_id: `c-${agent}-${instance}`,
  created_at: 10,
});
const base = { stack: 's', pendingUntil: () => undefined, unreachable: new Set<string>(), now: 100 };
const summary = (steps: readonly WatchStep[]) =>
  steps.map((s) => {
    switch (s.kind) {
      case 'emit':
        return `${s.event.event_type}:${s.event.event_type === 'healing_action' ? s.event.data.instances.join(',') : ''}`;
      case 'start':
      case 'remove':
        return `${s.kind}:${s.assignments.map((x) => `${x.agent}/${x.instance}`).join(',')}`;
      case 'move':
        return 'move';
      default:
        return s satisfies never;
    }
  });

describe('healing steps', () => {
  it('nothing to do when what runs is what is desired', () => {
    expect(planHealing({ ...base, assignments: [a('w1', 'x')], observed: [o('w1', 'x')] })).toEqual([]);
  });

  it('starts the missing and removes a duplicate left on another host', () => {
    const steps = planHealing({
      ...base,
      assignments: [a('w1', 'x'), a('w2', 'y', 'h1', 2)],
      observed: [o('w1', 'x'), o('w1', 'z')],
    });
    expect(summary(steps)).toEqual(['healing_action:w2', 'start:y/w2', 'healing_action:z/w1', 'remove:z/w1']);
  });

  it('replaces in place under the same id by the start alone', () => {
    const steps = planHealing({ ...base, assignments: [a('w1', 'x', 'h2')], observed: [o('w1', 'x', 'h1')] });
    expect(summary(steps)).toEqual(['healing_action:w1', 'start:x/w1']);
  });

  it('replaces a new id in the old one slot: start the new, remove the old', () => {
    const steps = planHealing({
      ...base,
      assignments: [a('w1b', 'x', 'h2')],
      observed: [o('w1a', 'x', 'h1')],
    });
    expect(summary(steps)).toEqual([
      'healing_action:w1b',
      'start:x/w1b',
      'healing_action:x/w1a',
      'remove:x/w1a',
    ]);
  });

  it('leaves unreachable hosts and pending starts alone', () => {
    const steps = planHealing({
      ...base,
      assignments: [a('w1', 'x'), a('w2', 'y', 'h1', 2)],
      observed: [],
      unreachable: new Set(['x']),
      pendingUntil: (agent) => (agent === 'y' ? 200 : undefined),
    });
    expect(steps).toEqual([]);
  });

  it('removes leftovers of stacks taken down', () => {
    expect(summary(planLeftovers([o('w1', 'x', 'h1', null)]))).toEqual([
      'healing_action:x/w1',
      'remove:x/w1',
    ]);
    expect(planLeftovers([])).toEqual([]);
  });
});
