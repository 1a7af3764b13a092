import { describe, expect, it } from 'vitest';
import { createPlacer, excludedBy, type PlacementNode } from '../../../src/core/placement/index.js';

function node(id: string, extra: Partial<PlacementNode> = {}): PlacementNode {
  return { id, hostname: `host-${id}`, labels: {}, arch: 'x86_64', os: 'linux', role: 'worker', ...extra };
}

describe('feasibility', () => {
  const pi = node('pi-1', { hostname: 'pi-1', arch: 'aarch64', labels: { zone: 'garage' }, role: 'manager' });

  it('matches every constraint field Swarm knows', () => {
    const ok = (field: string, op: '==' | '!=', value: string) =>
      excludedBy(pi, { constraints: [{ field, op, value }] }) === null;
    expect(ok('node.hostname', '==', 'pi-1')).toBe(true);
    expect(ok('node.id', '==', 'pi-1')).toBe(true);
    expect(ok('node.role', '==', 'manager')).toBe(true);
    expect(ok('node.platform.arch', '==', 'aarch64')).toBe(true);
    expect(ok('node.platform.os', '==', 'linux')).toBe(true);
    expect(ok('node.labels.zone', '==', 'garage')).toBe(true);
    expect(ok('node.labels.zone', '!=', 'garage')).toBe(false);
    expect(ok('node.platform.arch', '==', 'x86_64')).toBe(false);
  });

  it('treats a missing label as unequal (Swarm: != is met, == is not)', () => {
    expect(excludedBy(pi, { constraints: [{ field: 'node.labels.gpu', op: '==', value: 'yes' }] })).toBe(
      'node.labels.gpu == yes (is not set)',
    );
    expect(
      excludedBy(pi, { constraints: [{ field: 'node.labels.gpu', op: '!=', value: 'yes' }] }),
    ).toBeNull();
  });

  it('honours x-alicia.hosts by agent id or hostname', () => {
    const other = node('b', { hostname: 'pi-1' });
    expect(excludedBy(node('a'), { constraints: [], hosts: ['a'] })).toBeNull();
    expect(excludedBy(other, { constraints: [], hosts: ['pi-1'] })).toBeNull();
    expect(excludedBy(node('c'), { constraints: [], hosts: ['a', 'pi-1'] })).toMatch(
      /^x-alicia.hosts \[a, pi-1\]/,
    );
  });
});

describe('placement', () => {
  it('spreads replicas: fewest of the service first, then least loaded, ties by agent id', () => {
    const placer = createPlacer([node('c'), node('a'), node('b')], new Map([['a', 2]]));
    const first = placer.place({ service: 's/web', count: 4, constraints: [] });
    expect(first).toEqual({ ok: true, agents: ['b', 'c', 'a', 'b'] });
    // The load carries over: the next service goes to the least loaded hosts.
    expect(placer.place({ service: 's/db', count: 1, constraints: [] })).toEqual({ ok: true, agents: ['c'] });
  });

  it('counts replicas a service already has', () => {
    const placer = createPlacer([node('a'), node('b')]);
    expect(placer.place({ service: 's/web', count: 1, constraints: [], existing: ['a'] })).toEqual({
      ok: true,
      agents: ['b'],
    });
  });

  it('places only where constraints allow', () => {
    const placer = createPlacer([node('a', { labels: { zone: 'garage' } }), node('b'), node('c')]);
    const result = placer.place({
      service: 's/cam',
      count: 3,
      constraints: [{ field: 'node.labels.zone', op: '==', value: 'garage' }],
    });
    expect(result).toEqual({ ok: true, agents: ['a', 'a', 'a'] });
  });

  it('says which constraint excluded which host when a service fits nowhere', () => {
    const placer = createPlacer([node('a', { labels: { zone: 'attic' } }), node('b', { arch: 'aarch64' })]);
    const result = placer.place({
      service: 's/cam',
      count: 1,
      constraints: [
        { field: 'node.platform.arch', op: '==', value: 'aarch64' },
        { field: 'node.labels.zone', op: '==', value: 'garage' },
      ],
    });
    if (result.ok) throw new Error('expected a placement error');
    expect(result.error.code).toBe('ALICIA_ERR_PLACEMENT');
    expect(result.error.message).toBe(
      'No host satisfies the placement constraints: service "s/cam" fits no host: ' +
        'a: node.platform.arch == aarch64 (is "x86_64"); b: node.labels.zone == garage (is not set)',
    );
  });

  it('says so when no agent is online at all', () => {
    const result = createPlacer([]).place({ service: 's/web', count: 1, constraints: [] });
    expect(result.ok ? '' : result.error.message).toMatch(/no agent is online/);
  });

  it('places 10,000 instances on 1,000 agents evenly and within constraints', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      node(`agent-${String(i).padStart(4, '0')}`, { labels: { zone: i % 2 === 0 ? 'even' : 'odd' } }),
    );
    const placer = createPlacer(nodes);
    const perAgent = new Map<string, number>();
    // 1,000 services × 10 replicas; every tenth service is pinned to the even zone.
    for (let s = 0; s < 1000; s += 1) {
      const pinned = s % 10 === 0;
      const result = placer.place({
        service: `fleet/svc-${s}`,
        count: 10,
        constraints: pinned ? [{ field: 'node.labels.zone', op: '==', value: 'even' }] : [],
      });
      if (!result.ok) throw result.error;
      expect(result.agents).toHaveLength(10);
      // Spread: ten replicas land on ten distinct hosts.
      expect(new Set(result.agents).size).toBe(10);
      for (const agent of result.agents) {
        if (pinned) expect(Number(agent.slice(-4)) % 2).toBe(0);
        perAgent.set(agent, (perAgent.get(agent) ?? 0) + 1);
      }
    }
    const counts = [...perAgent.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(perAgent.size).toBe(1000);
    // Least-loaded first keeps every host within one instance of the others.
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});
