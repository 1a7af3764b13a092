import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  instanceId,
  moveAssignment,
  planInstances,
} from '../../../src/core/deploy/index.js';
import { createPlacer, type PlacementNode } from '../../../src/core/placement/index.js';

const node = (id: string, labels: Record<string, string> = {}): PlacementNode => ({
  id,
  hostname: id,
  labels,
  arch: 'x86_64',
  os: 'linux',
  role: 'worker',
});
const nodes = [node('a'), node('b', { zone: 'garage' })];

function current(service: string, slot: number, agent: string, hash: string, created: number): Assignment {
  return {
    instance: instanceId('s', service, slot, hash),
    stack: 's',
    service,
    slot,
    agent,
    spec_hash: hash,
    created_ms: created,
  };
}

function plan(targets: Parameters<typeof planInstances>[0]['targets'], cur: Assignment[] = []) {
  const result = planInstances({
    stack: 's',
    targets,
    current: cur,
    nodes,
    placer: createPlacer(nodes),
    now: 100,
  });
  if (!result.ok) throw result.error;
  return result.plan;
}

describe('instance planning', () => {
  it('names instances <stack>_<service>_<slot>_<hash6> and keeps them within 128 characters', () => {
    expect(instanceId('demo', 'web', 2, 'abcdef0123456789')).toBe('demo_web_2_abcdef');
    const long = instanceId('s'.repeat(100), 'w'.repeat(100), 12, 'abcdef0123');
    expect(long).toHaveLength(128);
    expect(long.endsWith('_12_abcdef')).toBe(true);
  });

  it('a move is a new incarnation: the count is folded into the id only when > 0', () => {
    expect(instanceId('demo', 'web', 2, 'abcdef0123', 0)).toBe('demo_web_2_abcdef');
    expect(instanceId('demo', 'web', 2, 'abcdef0123', 3)).toBe('demo_web_2_abcdef_3');
    const long = instanceId('s'.repeat(100), 'w'.repeat(100), 12, 'abcdef0123', 2);
    expect(long).toHaveLength(128);
    expect(long.endsWith('_12_abcdef_2')).toBe(true);
    const first = moveAssignment(current('web', 1, 'a', 'h1', 1), 'b', 50);
    expect(first).toMatchObject({
      instance: 's_web_1_h1_1',
      agent: 'b',
      slot: 1,
      incarnation: 1,
      created_ms: 50,
    });
    expect(moveAssignment(first, 'a', 60)).toMatchObject({
      instance: 's_web_1_h1_2',
      agent: 'a',
      incarnation: 2,
    });
  });

  it('a redeploy keeps a moved instance (same spec) and replaces it by slot (changed spec: incarnation 0)', () => {
    const moved = moveAssignment(current('web', 1, 'a', 'h1', 1), 'b', 50);
    const same = plan({ web: { replicas: 1, spec_hash: 'h1', constraints: [] } }, [moved]);
    expect(same.keep).toEqual([moved]);
    expect([...same.add, ...same.replace, ...same.remove]).toEqual([]);
    const changed = plan({ web: { replicas: 1, spec_hash: 'h2', constraints: [] } }, [moved]);
    expect(changed.replace.map((r) => [r.old.instance, r.next.instance, r.next.agent])).toEqual([
      ['s_web_1_h1_1', 's_web_1_h2', 'b'],
    ]);
    expect(changed.replace[0]?.next.incarnation).toBeUndefined();
  });

  it('adds replicas spread over the hosts', () => {
    const p = plan({ web: { replicas: 2, spec_hash: 'h1', constraints: [] } });
    expect(p.add.map((a) => `${a.instance}@${a.agent}`)).toEqual(['s_web_1_h1@a', 's_web_2_h1@b']);
  });

  it('keeps everything when nothing changed', () => {
    const cur = [current('web', 1, 'a', 'h1', 1), current('web', 2, 'b', 'h1', 2)];
    const p = plan({ web: { replicas: 2, spec_hash: 'h1', constraints: [] } }, cur);
    expect(p.keep).toHaveLength(2);
    expect([...p.add, ...p.replace, ...p.remove]).toEqual([]);
  });

  it('removes the oldest first on scale down', () => {
    const cur = [
      current('web', 1, 'a', 'h1', 30),
      current('web', 2, 'b', 'h1', 10),
      current('web', 3, 'a', 'h1', 20),
    ];
    const p = plan({ web: { replicas: 1, spec_hash: 'h1', constraints: [] } }, cur);
    expect(p.remove.map((a) => a.slot)).toEqual([2, 3]);
    expect(p.keep.map((a) => a.slot)).toEqual([1]);
  });

  it('replaces a changed spec slot by slot on the same host, or elsewhere when the host no longer fits', () => {
    const cur = [current('web', 1, 'a', 'h1', 1), current('web', 2, 'b', 'h1', 2)];
    const p = plan(
      {
        web: {
          replicas: 2,
          spec_hash: 'h2',
          constraints: [{ field: 'node.labels.zone', op: '==', value: 'garage' }],
        },
      },
      cur,
    );
    expect(p.replace.map((r) => `${r.old.instance}->${r.next.instance}@${r.next.agent}`).sort()).toEqual([
      's_web_1_h1->s_web_1_h2@b',
      's_web_2_h1->s_web_2_h2@b',
    ]);
  });

  it('removes the instances of a service that left the stack', () => {
    const p = plan({}, [current('old', 1, 'a', 'h1', 1)]);
    expect(p.remove.map((a) => a.service)).toEqual(['old']);
  });

  it('refuses to place a changed spec of a sticky service elsewhere while the host with its data is away', () => {
    // db's data is on host c, which is offline (not among the nodes).
    const cur = [current('db', 1, 'c', 'h1', 1)];
    const target = { replicas: 1, spec_hash: 'h2', constraints: [], holds: 'volume "s_data"' };
    const result = planInstances({
      stack: 's',
      targets: { db: target },
      current: cur,
      nodes,
      placer: createPlacer(nodes),
      now: 0,
    });
    expect(result.ok ? null : result.error).toMatchObject({
      code: 'ALICIA_ERR_PLACEMENT',
      message: expect.stringContaining('holds its data on host c (volume "s_data"), which is offline'),
    });
    // Unchanged, it simply stays assigned to its host (and waits for it).
    expect(plan({ db: { ...target, spec_hash: 'h1' } }, cur).keep.map((a) => a.agent)).toEqual(['c']);
    // Movable (no holds): the changed spec goes to an online host.
    expect(plan({ db: { replicas: 1, spec_hash: 'h2', constraints: [] } }, cur).replace[0]?.next.agent).toBe(
      'a',
    );
  });

  it('reports a placement error for a service that fits nowhere', () => {
    const result = planInstances({
      stack: 's',
      targets: {
        cam: {
          replicas: 1,
          spec_hash: 'h',
          constraints: [{ field: 'node.labels.zone', op: '==', value: 'moon' }],
        },
      },
      current: [],
      nodes,
      placer: createPlacer(nodes),
      now: 0,
    });
    expect(result.ok ? null : result.error.code).toBe('ALICIA_ERR_PLACEMENT');
  });
});
