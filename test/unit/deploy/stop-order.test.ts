import { describe, expect, it } from 'vitest';
import { stoppable, withDependents } from '../../../src/core/deploy/index.js';
import { buildGraph } from '../../../src/core/graph/index.js';
import { stackOf } from './helpers.js';

const built = buildGraph(
  stackOf({
    db: {},
    cache: {},
    api: { deps: { db: 'service_started', cache: 'service_started' } },
    web: { deps: { api: 'service_started' } },
  }).services,
);
if (!built.ok) throw built.error;
const graph = built.graph;

describe('stop order', () => {
  it('stops dependents before their dependencies', () => {
    const all = new Set(graph.services);
    const stopped = new Set<string>();
    const waves: string[][] = [];
    for (;;) {
      const wave = stoppable(graph, all, stopped, new Set());
      if (wave.length === 0) break;
      waves.push(wave);
      for (const s of wave) stopped.add(s);
    }
    expect(waves).toEqual([['web'], ['api'], ['cache', 'db']]);
  });

  it('does not offer a service that is already stopping', () => {
    expect(stoppable(graph, new Set(['web', 'cache']), new Set(), new Set(['web']))).toEqual(['cache']);
  });

  it('stopping a service takes its transitive dependents with it', () => {
    expect([...withDependents(graph, 'db')].sort()).toEqual(['api', 'db', 'web']);
  });
});
