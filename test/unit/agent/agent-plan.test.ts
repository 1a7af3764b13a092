// Pure agent decisions (src/core/agent-plan): what to create, start, replace, remove.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  planApply,
  planInstance,
  planRecovery,
  type SeenContainer,
} from '../../../src/core/agent-plan/index.js';
import { isOneShotRestart } from '../../../src/core/restart-policy.js';

const want = (instance: string, spec_hash = 'h1') => ({ instance, spec_hash });
const seen = (instance: string, over: Partial<SeenContainer> = {}): SeenContainer => ({
  instance,
  container_id: `c-${instance}`,
  spec_hash: 'h1',
  running: true,
  exit_code: null,
  ...over,
});

describe('planInstance', () => {
  it('keeps a running container of the same spec, starts a stopped one, replaces another spec, creates a missing one', () => {
    expect(planInstance(want('a'), seen('a')).type).toBe('keep');
    expect(planInstance(want('a'), seen('a', { running: false, exit_code: 0 })).type).toBe('start_existing');
    expect(planInstance(want('a', 'h2'), seen('a')).type).toBe('replace');
    expect(planInstance(want('a', 'h2'), seen('a', { running: false })).type).toBe('replace');
    expect(planInstance(want('a'), undefined).type).toBe('create');
  });
});

describe('planApply', () => {
  it('removes the containers no wanted instance names and keeps the last of duplicate entries', () => {
    const plan = planApply(
      [want('a'), want('b', 'old'), want('b', 'new')],
      [seen('a'), seen('b', { spec_hash: 'new' }), seen('z')],
    );
    expect(plan.steps.map((s) => [s.type, s.want.instance, s.want.spec_hash])).toEqual([
      ['keep', 'a', 'h1'],
      ['keep', 'b', 'new'],
    ]);
    expect(plan.remove.map((c) => c.instance)).toEqual(['z']);
  });

  const nameArb: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const hashArb: fc.Arbitrary<string> = fc.constantFrom('h1', 'h2');
  it('gives every wanted instance exactly one step and never creates next to an existing container', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ instance: nameArb, spec_hash: hashArb })),
        fc.uniqueArray(fc.record({ instance: nameArb, spec_hash: hashArb, running: fc.boolean() }), {
          selector: (c) => c.instance,
        }),
        (wanted, containers) => {
          const observed = containers.map((c) => seen(c.instance, c));
          const plan = planApply(wanted, observed);
          const wantedNames = new Set(wanted.map((w) => w.instance));
          expect(plan.steps.map((s) => s.want.instance).sort()).toEqual([...wantedNames].sort());
          for (const step of plan.steps) {
            const existing = observed.find((c) => c.instance === step.want.instance);
            if (step.type === 'create') expect(existing).toBeUndefined();
            else expect(existing).toBeDefined();
            if (step.type === 'keep') expect(existing?.spec_hash).toBe(step.want.spec_hash);
          }
          expect(plan.remove.map((c) => c.instance).sort()).toEqual(
            observed
              .filter((c) => !wantedNames.has(c.instance))
              .map((c) => c.instance)
              .sort(),
          );
        },
      ),
    );
  });
});

describe('planRecovery', () => {
  const entry = (
    instance: string,
    over: Partial<{ run: boolean; gave_up: boolean; one_shot: boolean; spec_hash: string }> = {},
  ) => ({
    want: want(instance, over.spec_hash ?? 'h1'),
    run: over.run ?? true,
    gave_up: over.gave_up ?? false,
    one_shot: over.one_shot ?? false,
  });

  it('adopts running containers, creates missing ones, starts stopped ones, and respects stops, give-ups and finished jobs', () => {
    const steps = planRecovery(
      [
        entry('running'),
        entry('missing'),
        entry('stopped'),
        entry('operator-stopped', { run: false }),
        entry('given-up', { gave_up: true }),
        entry('job-done', { one_shot: true }),
        entry('job-crashed', { one_shot: true }),
        entry('changed', { spec_hash: 'h2' }),
      ],
      [
        seen('running'),
        seen('stopped', { running: false, exit_code: 137 }),
        seen('operator-stopped', { running: false, exit_code: 137 }),
        seen('given-up', { running: false, exit_code: 137 }),
        seen('job-done', { running: false, exit_code: 0 }),
        seen('job-crashed', { running: false, exit_code: 2 }),
        seen('changed'),
        seen('orphan'),
      ],
    );
    expect(steps.map((s) => [s.want.instance, s.type])).toEqual([
      ['missing', 'create'],
      ['stopped', 'start_existing'],
      ['job-crashed', 'start_existing'],
      ['changed', 'replace'],
    ]);
  });
});

describe('isOneShotRestart', () => {
  it('makes no and on-failure[:N] one-shot jobs, not always or unless-stopped', () => {
    expect(['no', 'on-failure', 'on-failure:3'].map(isOneShotRestart)).toEqual([true, true, true]);
    expect(['always', 'unless-stopped'].map(isOneShotRestart)).toEqual([false, false]);
  });
});
