// Properties of instance planning over random current assignments: the desired set has
// the target replicas per service in distinct slots, keep/replace/remove split the
// current set exactly, and planning again from the result changes nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  instanceId,
  planInstances,
  type ServiceTarget,
} from '../../../src/core/deploy/index.js';
import { createPlacer, type PlacementNode } from '../../../src/core/placement/index.js';

const node = (id: string): PlacementNode => ({
  id,
  hostname: id,
  labels: {},
  arch: 'x86_64',
  os: 'linux',
  role: 'worker',
});
const nodes = [node('a'), node('b'), node('c')];

const currentArb = fc
  .uniqueArray(
    fc.record({
      service: fc.constantFrom('web', 'db', 'gone'),
      slot: fc.integer({ min: 1, max: 4 }),
      agent: fc.constantFrom('a', 'b', 'c'),
      hash: fc.constantFrom('h1', 'h2'),
      created: fc.nat(1000),
    }),
    { selector: (x) => `${x.service}/${x.slot}/${x.hash}` },
  )
  .map((xs) =>
    xs.map(
      (x): Assignment => ({
        instance: instanceId('s', x.service, x.slot, x.hash),
        stack: 's',
        service: x.service,
        slot: x.slot,
        agent: x.agent,
        spec_hash: x.hash,
        created_ms: x.created,
      }),
    ),
  );
const targetsArb = fc.record({
  web: fc.record({ replicas: fc.integer({ min: 0, max: 4 }), spec_hash: fc.constantFrom('h1', 'h2') }),
  db: fc.record({ replicas: fc.integer({ min: 0, max: 3 }), spec_hash: fc.constantFrom('h1', 'h2') }),
});

function plan(targets: Record<string, ServiceTarget>, current: readonly Assignment[]) {
  const result = planInstances({
    stack: 's',
    targets,
    current,
    nodes,
    placer: createPlacer(nodes),
    now: 5000,
  });
  if (!result.ok) throw result.error;
  return result.plan;
}
const ids = (list: readonly Assignment[]) => list.map((a) => `${a.agent}/${a.instance}`).sort();

describe('instance planning (properties)', () => {
  it('reaches the targets, partitions the current set, and is stable', () => {
    fc.assert(
      fc.property(currentArb, targetsArb, (current, t) => {
        const targets: Record<string, ServiceTarget> = {
          web: { ...t.web, constraints: [] },
          db: { ...t.db, constraints: [] },
        };
        const p = plan(targets, current);
        for (const [service, target] of Object.entries(targets)) {
          const mine = p.desired.filter((a) => a.service === service);
          expect(mine).toHaveLength(target.replicas);
          expect(new Set(mine.map((a) => a.slot)).size).toBe(target.replicas);
          for (const a of mine) expect(a.spec_hash).toBe(target.spec_hash);
        }
        expect(ids([...p.keep, ...p.replace.map((r) => r.old), ...p.remove])).toEqual(ids(current));
        expect(ids([...p.keep, ...p.add, ...p.replace.map((r) => r.next)])).toEqual(ids(p.desired));
        for (const r of p.replace) expect([r.old.service, r.old.slot]).toEqual([r.next.service, r.next.slot]);
        const again = plan(targets, p.desired);
        expect([...again.add, ...again.replace, ...again.remove]).toEqual([]);
      }),
    );
  });
});
