// Feature negotiation in placement: an agent that lacks a feature the spec needs is not
// eligible, and when no eligible agent is left the error names the service, the feature and
// every agent to upgrade.
import { describe, expect, it } from 'vitest';
import { createPlacer, excludedBy, type PlacementNode } from '../../../src/core/placement/index.js';

function node(id: string, extra: Partial<PlacementNode> = {}): PlacementNode {
  return { id, hostname: id, labels: {}, arch: 'x86_64', os: 'linux', role: 'worker', ...extra };
}
const ALL = ['healthcheck', 'probe', 'resources'];

describe('placement by protocol features', () => {
  it('excludes an agent that lacks a needed feature; an agent without a feature list speaks the base set', () => {
    const rule = { constraints: [], features: ['healthcheck'] };
    expect(excludedBy(node('new', { protocol: 1, features: ALL }), rule)).toBeNull();
    expect(excludedBy(node('old', { protocol: 1, features: ['resources'] }), rule)).toBe(
      'lacks feature "healthcheck" (speaks protocol 1; upgrade it)',
    );
    expect(excludedBy(node('older'), rule)).toMatch(/lacks feature "healthcheck"/);
    // A spec that needs nothing beyond the base set runs anywhere.
    expect(excludedBy(node('older'), { constraints: [] })).toBeNull();
    expect(excludedBy(node('older'), { constraints: [], features: [] })).toBeNull();
  });

  it('places on the agents that speak the features, skipping the others', () => {
    const placer = createPlacer([node('a', { features: [] }), node('b', { features: ALL })]);
    const placed = placer.place({
      service: 'demo/api',
      count: 2,
      constraints: [],
      features: ['healthcheck'],
    });
    expect(placed).toEqual({ ok: true, agents: ['b', 'b'] });
  });

  it('names the service, the feature and the agent to upgrade when none is left', () => {
    const placer = createPlacer([node('pi-2', { protocol: 1, features: ['resources'] })]);
    const placed = placer.place({
      service: 'demo/api',
      count: 1,
      constraints: [],
      features: ['healthcheck'],
    });
    expect(placed.ok).toBe(false);
    if (placed.ok) return;
    expect(placed.error.code).toBe('ALICIA_ERR_PLACEMENT');
    expect(placed.error.message).toContain(
      'service "demo/api" needs feature "healthcheck"; agent pi-2 speaks protocol 1 without it — upgrade it',
    );
    expect(placed.error.details).toMatchObject({ features: ['healthcheck'], upgrade: ['pi-2'] });
  });

  it('names only agents the rules allow, each with what it lacks', () => {
    const placer = createPlacer([
      node('a', { features: [] }),
      node('b', { features: ['healthcheck'] }),
      node('c', { labels: { zone: 'far' }, features: [] }),
    ]);
    const placed = placer.place({
      service: 'demo/api',
      count: 1,
      constraints: [{ field: 'node.labels.zone', op: '!=', value: 'far' }],
      features: ['healthcheck', 'resources'],
    });
    expect(placed.ok).toBe(false);
    if (placed.ok) return;
    expect(placed.error.message).toContain(
      'service "demo/api" needs features "healthcheck", "resources"; agent a speaks protocol 1 without "healthcheck", "resources"; agent b speaks protocol 1 without "resources" — upgrade them',
    );
    expect(placed.error.message).not.toContain('agent c');
  });

  it('keeps the constraint error when the rules exclude every host anyway', () => {
    const placer = createPlacer([node('a', { features: [] })]);
    const placed = placer.place({
      service: 'demo/api',
      count: 1,
      constraints: [{ field: 'node.labels.zone', op: '==', value: 'x' }],
      features: ['healthcheck'],
    });
    expect(placed.ok).toBe(false);
    if (placed.ok) return;
    expect(placed.error.message).toContain('fits no host: a: node.labels.zone == x (is not set)');
  });
});
