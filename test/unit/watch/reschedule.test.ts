// The rescheduling policy as a pure function: grace period, spread, announcements once,
// the desired state written before the starts, unplaceable instances reported once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Assignment, type DeployStack, instanceId } from '../../../src/core/deploy/index.js';
import type { PlacementNode } from '../../../src/core/placement/index.js';
import { planReschedule, type RescheduleInput, type WatchStep } from '../../../src/core/watch/index.js';

const node = (id: string, labels: Record<string, string> = {}): PlacementNode => ({
  id,
  hostname: id,
  arch: 'x86_64',
  os: 'linux',
  role: 'worker',
  labels,
});
const assignment = (service: string, slot: number, agent: string): Assignment => ({
  instance: instanceId('s', service, slot, 'abcdef'),
  stack: 's',
  service,
  slot,
  agent,
  spec_hash: 'abcdef',
  created_ms: 1,
});
const anyRule = () => ({ constraints: [] });
const plain = { depends_on: {}, restart: 'always', replicas: 1 };
/** web, db and api: no dependencies among them. */
const definition: DeployStack = {
  name: 's',
  services: { web: plain, db: plain, api: plain },
  x_alicia: {},
};

function input(over: Partial<RescheduleInput> = {}): RescheduleInput {
  const assignments = [assignment('web', 1, 'lost'), assignment('web', 2, 'b'), assignment('db', 1, 'lost')];
  return {
    agent: 'lost',
    offlineSinceMs: 0,
    now: 5000,
    graceMs: 1000,
    stacks: [{ name: 's', definition, assignments, ruleOf: anyRule }],
    load: new Map([
      ['lost', 2],
      ['b', 1],
    ]),
    nodes: [node('b'), node('c')],
    announced: false,
    unplaceable: new Set(),
    ...over,
  };
}
const kinds = (steps: readonly WatchStep[]) =>
  steps.map((s) => (s.kind === 'emit' ? s.event.event_type : s.kind));

describe('reschedule policy', () => {
  it('waits out the grace period', () => {
    expect(planReschedule(input({ now: 500 })).steps).toEqual([]);
  });

  it('announces the lost host once, moves each instance, then one move step (write, then start)', () => {
    const first = planReschedule(input());
    expect(kinds(first.steps)).toEqual(['agent_lost', 'service_rescheduled', 'service_rescheduled', 'move']);
    expect(first.announced).toBe(true);
    const move = first.steps.find((s) => s.kind === 'move');
    // web 1 goes to c, away from the replica on b; db to the least loaded (b and c tie at 1: by id).
    expect(move?.kind === 'move' && move.moves.map((m) => `${m.to.service}:${m.to.agent}`)).toEqual([
      'web:c',
      'db:b',
    ]);
    const again = planReschedule(input({ announced: true }));
    expect(kinds(again.steps)[0]).toBe('service_rescheduled');
  });

  it('reports an instance that fits nowhere once, and retries it later', () => {
    const stacks = [
      {
        name: 's',
        definition,
        assignments: [assignment('db', 1, 'lost')],
        ruleOf: () => ({ constraints: [], hosts: ['lost'] }),
      },
    ];
    const first = planReschedule(input({ stacks }));
    expect(kinds(first.steps)).toEqual(['agent_lost', 'orchestration_error']);
    expect(first.unplaceable.has(assignment('db', 1, 'lost').instance)).toBe(true);
    const second = planReschedule(input({ stacks, announced: true, unplaceable: first.unplaceable }));
    expect(second.steps).toEqual([]);
  });

  it('leaves instances of an unknown spec alone', () => {
    const stacks = [
      { name: 's', definition, assignments: [assignment('db', 1, 'lost')], ruleOf: () => undefined },
    ];
    expect(kinds(planReschedule(input({ stacks })).steps)).toEqual(['agent_lost']);
  });

  it('property: every moved instance leaves the lost host for an online one, and nothing else moves', () => {
    const arb = fc.array(
      fc.record({ service: fc.constantFrom('web', 'db', 'api'), agent: fc.constantFrom('lost', 'b', 'c') }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(arb, (xs) => {
        const assignments = xs.map((x, i) => assignment(x.service, i + 1, x.agent));
        const result = planReschedule(
          input({ stacks: [{ name: 's', definition, assignments, ruleOf: anyRule }] }),
        );
        const moves = result.steps.flatMap((s) => (s.kind === 'move' ? s.moves : []));
        expect(moves.length).toBe(assignments.filter((a) => a.agent === 'lost').length);
        const ids = new Set(assignments.map((a) => a.instance));
        for (const m of moves) {
          expect(m.from.agent).toBe('lost');
          expect(['b', 'c']).toContain(m.to.agent);
          // A new incarnation: a new id no instance of the stack had; nothing else changes.
          expect(m.to.incarnation).toBe(1);
          expect(ids.has(m.to.instance)).toBe(false);
          expect({
            ...m.to,
            instance: m.from.instance,
            agent: m.from.agent,
            created_ms: m.from.created_ms,
            incarnation: undefined,
          }).toEqual({ ...m.from, incarnation: undefined });
        }
        expect(result.steps.filter((s) => s.kind === 'start')).toEqual([]);
      }),
    );
  });
});

describe('reschedule: data stays with its host', () => {
  it('does not move a service that holds data on the lost host; says once that it waits for that host', () => {
    const rules = (a: Assignment) =>
      a.service === 'db' ? { constraints: [], holds: 'volume "s_data"' } : { constraints: [] };
    const first = planReschedule(
      input({
        stacks: [{ name: 's', definition, assignments: input().stacks[0]?.assignments ?? [], ruleOf: rules }],
      }),
    );
    const waiting = first.steps.flatMap((s) =>
      s.kind === 'emit' && s.event.event_type === 'service_waiting' ? [s.event.data] : [],
    );
    expect(waiting).toEqual([
      expect.objectContaining({ service: 'db', host: 'lost', holds: 'volume "s_data"', waiting_for: [] }),
    ]);
    const moved = first.steps.flatMap((s) => (s.kind === 'move' ? s.moves.map((m) => m.from.service) : []));
    expect(moved).toEqual(['web']);
    const again = planReschedule(
      input({
        announced: true,
        stacks: [{ name: 's', definition, assignments: input().stacks[0]?.assignments ?? [], ruleOf: rules }],
      }),
    );
    expect(kinds(again.steps)).not.toContain('service_waiting');
  });
});
