// Properties of reconcile over random fleets: applying the plan yields the desired set,
// nothing is started twice or both kept and stopped, and reconciling the result is a no-op.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyPlan,
  type DesiredInstance,
  type ObservedInstance,
  type ReconcilePlan,
  reconcile,
} from '../../../src/core/reconcile/index.js';

const NOW = 5_000_000;
const agents = ['a', 'b', 'c'];
const services = ['web', 'db'];
const hashes = ['h1', 'h2'];

const slotArb = fc.record({
  service: fc.constantFrom(...services),
  slot: fc.integer({ min: 1, max: 4 }),
  agent: fc.constantFrom(...agents),
  hash: fc.constantFrom(...hashes),
});

/** Desired: at most one instance per (service, slot); its id is derived like the orchestrator's. */
const desiredArb = fc.uniqueArray(slotArb, { selector: (x) => `${x.service}/${x.slot}` }).map((xs) =>
  xs.map(
    (x): DesiredInstance => ({
      instance: `s_${x.service}_${x.slot}_${x.hash}`,
      stack: 's',
      service: x.service,
      slot: x.slot,
      agent: x.agent,
      spec_hash: x.hash,
    }),
  ),
);

/** Observed: any containers, at most one per (agent, instance id) as Docker names are unique per host. */
const observedArb = fc
  .uniqueArray(fc.record({ s: slotArb, knownSlot: fc.boolean(), age: fc.nat(10_000) }), {
    selector: (x) => `${x.s.agent}/${x.s.service}_${x.s.slot}_${x.s.hash}`,
  })
  .map((xs) =>
    xs.map(
      ({ s, knownSlot, age }): ObservedInstance => ({
        instance: `s_${s.service}_${s.slot}_${s.hash}`,
        stack: 's',
        service: s.service,
        slot: knownSlot ? s.slot : null,
        agent: s.agent,
        spec_hash: s.hash,
        state: 'running',
        container_id: `c-${s.agent}-${s.service}-${s.slot}-${s.hash}`,
        created_at: NOW - age,
      }),
    ),
  );

/** What a plan leaves running, as observed instances (for the idempotence check). */
function carryOut(plan: ReconcilePlan, observed: readonly ObservedInstance[]): ObservedInstance[] {
  const stopped = new Set(
    [...plan.stop, ...plan.replace.map((r) => r.stop)].map((x) => `${x.agent}/${x.instance}`),
  );
  const left = observed.filter((x) => !stopped.has(`${x.agent}/${x.instance}`));
  const started = [...plan.start, ...plan.replace.map((r) => r.start)].map(
    (x): ObservedInstance => ({
      ...x,
      slot: x.slot,
      state: 'running',
      container_id: `new-${x.instance}`,
      created_at: NOW,
    }),
  );
  return [...left, ...started];
}

describe('reconcile properties', () => {
  it('applying the plan to observed yields exactly the desired set', () => {
    fc.assert(
      fc.property(desiredArb, observedArb, (desired, observed) => {
        const plan = reconcile(desired, observed, NOW);
        const expected = new Set(desired.map((x) => `${x.agent}/${x.instance}@${x.spec_hash}`));
        expect(applyPlan(plan, observed)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('never starts an instance twice, and every observed container is kept, replaced or stopped exactly once', () => {
    fc.assert(
      fc.property(desiredArb, observedArb, (desired, observed) => {
        const plan = reconcile(desired, observed, NOW);
        const started = [...plan.start, ...plan.replace.map((r) => r.start)].map(
          (x) => `${x.agent}/${x.instance}`,
        );
        expect(new Set(started).size).toBe(started.length);
        const handled = [
          ...plan.stop.map((x) => `${x.agent}/${x.instance}`),
          ...plan.replace.map((r) => `${r.stop.agent}/${r.stop.instance}`),
          ...plan.keep.map((x) => `${x.agent}/${x.instance}`),
        ];
        expect(handled.sort()).toEqual(observed.map((x) => `${x.agent}/${x.instance}`).sort());
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: reconciling what the plan produced changes nothing', () => {
    fc.assert(
      fc.property(desiredArb, observedArb, (desired, observed) => {
        const after = carryOut(reconcile(desired, observed, NOW), observed);
        const again = reconcile(desired, after, NOW);
        expect(again.start).toEqual([]);
        expect(again.stop).toEqual([]);
        expect(again.replace).toEqual([]);
        expect(again.keep).toHaveLength(desired.length);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves unreachable hosts untouched', () => {
    fc.assert(
      fc.property(desiredArb, observedArb, fc.subarray(agents), (desired, observed, down) => {
        const unreachable = new Set(down);
        const plan = reconcile(desired, observed, NOW, { unreachable });
        const touched = [
          ...plan.start.map((x) => x.agent),
          ...plan.stop.map((x) => x.agent),
          ...plan.replace.flatMap((r) => [r.start.agent, r.stop.agent]),
        ];
        expect(touched.filter((a) => unreachable.has(a))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
