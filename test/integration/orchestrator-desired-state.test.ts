// The one writer of desired state, on a real file system: every named operation is on disk
// when its promise resolves (a fresh load reads it back), operations in one turn share one
// write, and an operation on a stack that is gone changes nothing.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Assignment } from '../../src/core/deploy/index.js';
import { createDesiredState } from '../../src/orchestrator/desired-state.js';
import { serviceSpecs } from '../../src/orchestrator/service-spec.js';
import { createStore, STATE_FILE, type Store } from '../../src/orchestrator/store.js';
import { parse } from '../unit/compose/helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const stack = parse(
  'name: demo\nservices:\n  db:\n    image: db\n  web:\n    image: web\n    depends_on: [db]\n',
);
const specs = Object.fromEntries([...serviceSpecs(stack).values()].map(({ spec, hash }) => [hash, spec]));
const hashOf = (service: string): string => serviceSpecs(stack).get(service)?.hash ?? '';
const a = (service: string, slot: number, agent: string): Assignment => ({
  instance: `demo_${service}_${slot}`,
  stack: 'demo',
  service,
  slot,
  agent,
  spec_hash: hashOf(service),
  created_ms: 10,
});

async function open(): Promise<{ store: Store; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-desired-'));
  dirs.push(dir);
  return { store: createStore(dir), dir };
}

describe('desired state', () => {
  it('writes every named operation before it resolves', async () => {
    const { store } = await open();
    const desired = createDesiredState(store, await store.load());
    await desired.setSession(4);
    const record = await desired.applyStack('demo', {
      stack,
      specs: { ...specs, stale: specs[hashOf('db')] ?? {} } as typeof specs,
      scale: { web: 2 },
      stopped: [],
      assignments: [a('db', 1, 'x')],
      deployed_ms: 7,
    });
    expect((await store.load()).stacks.demo?.assignments).toEqual([a('db', 1, 'x')]);

    await desired.assign('demo', [a('web', 1, 'x'), a('web', 2, 'y')]);
    await desired.reassign('demo', [{ from: a('web', 2, 'y'), to: a('web', 2, 'z') }]);
    await desired.unassign('demo', [a('db', 1, 'x')]);
    await desired.markStopped('demo', ['db']);
    await desired.keepSpecs('demo', new Set([hashOf('web')]));
    const loaded = await store.load();
    expect(loaded).toEqual(desired.state);
    expect(loaded.session).toBe(4);
    expect(loaded.stacks.demo).toMatchObject({
      assignments: [a('web', 1, 'x'), a('web', 2, 'z')],
      stopped: ['db'],
      scale: { web: 2 },
    });
    expect(Object.keys(loaded.stacks.demo?.specs ?? {})).toEqual([hashOf('web')]);
    // Readers holding the record see the changes (same record, edited only here).
    expect(record.assignments.map((x) => x.agent)).toEqual(['x', 'z']);

    await desired.removeStack('demo', 99);
    expect(await store.load()).toMatchObject({ stacks: {}, removed: { demo: 99 } });
    // A redeploy forgets that the stack was removed.
    await desired.applyStack('demo', {
      stack,
      specs,
      scale: {},
      stopped: [],
      assignments: [],
      deployed_ms: 100,
    });
    expect((await store.load()).removed).toEqual({});
  });

  it('reads a state file written before the desired-state module, and writes the same format back', async () => {
    const { store, dir } = await open();
    const before = {
      v: 1,
      session: 2,
      stacks: {
        demo: {
          name: 'demo',
          stack,
          specs,
          scale: {},
          stopped: [],
          assignments: [a('db', 1, 'x')],
          deployed_ms: 5,
        },
      },
      removed: { old: 3 },
    };
    await writeFile(path.join(dir, STATE_FILE), `${JSON.stringify(before)}\n`);
    const desired = createDesiredState(store, await store.load());
    expect(desired.state).toEqual(before);
    await desired.assign('demo', [a('web', 1, 'y')]);
    const after = JSON.parse(await readFile(path.join(dir, STATE_FILE), 'utf8')) as typeof before;
    expect(after).toEqual({
      ...before,
      stacks: { demo: { ...before.stacks.demo, assignments: [a('db', 1, 'x'), a('web', 1, 'y')] } },
    });
  });

  it('upgrades a state file that held Compose specs: each is compiled in place under its old hash', async () => {
    const { store, dir } = await open();
    const oldHash = 'c0ffee';
    const db = stack.services.db;
    if (db === undefined) throw new Error('no db');
    const before = {
      v: 1,
      session: 4,
      stacks: {
        demo: {
          name: 'demo',
          stack,
          // Before the wire ContainerSpec: the Compose service itself, under its hash.
          specs: { [oldHash]: db },
          scale: {},
          stopped: [],
          assignments: [{ ...a('db', 1, 'x'), spec_hash: oldHash }],
          deployed_ms: 5,
        },
      },
      removed: {},
    };
    await writeFile(path.join(dir, STATE_FILE), `${JSON.stringify(before)}\n`);
    const state = await store.load();
    const record = state.stacks.demo;
    // The same hash (the agents' containers carry it), now holding the compiled spec.
    expect(record?.assignments.map((x) => x.spec_hash)).toEqual([oldHash]);
    expect(record?.specs[oldHash]).toEqual(serviceSpecs(stack).get('db')?.spec);
  });

  it('operations in one turn share one write; a stack that is gone is left alone', async () => {
    const { store } = await open();
    let saves = 0;
    const counting: Store = {
      ...store,
      save(s) {
        saves += 1;
        return store.save(s);
      },
    };
    const desired = createDesiredState(counting, await store.load());
    await desired.applyStack('demo', {
      stack,
      specs,
      scale: {},
      stopped: [],
      assignments: [],
      deployed_ms: 1,
    });
    saves = 0;
    await Promise.all([
      desired.assign('demo', [a('db', 1, 'x')]),
      desired.assign('demo', [a('web', 1, 'x')]),
      desired.markStopped('demo', ['web']),
    ]);
    expect(saves).toBe(1);
    expect((await store.load()).stacks.demo?.assignments).toHaveLength(2);
    await desired.assign('gone', [a('db', 1, 'x')]);
    expect(saves).toBe(1);
    expect(Object.keys(desired.state.stacks)).toEqual(['demo']);
  });
});
