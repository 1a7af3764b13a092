import { describe, expect, it } from 'vitest';
import { isAliciaError } from '../../../src/core/errors.js';
import { blockedBy, buildGraph } from '../../../src/core/graph/index.js';
import { graphOf, input } from './helpers.js';

const stack = input({
  web: { db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } },
  migrate: { db: { condition: 'service_healthy' } },
  worker: { cache: { condition: 'service_started', required: false }, gone: { required: false } },
  cache: [],
  db: [],
});
const graph = graphOf(buildGraph(stack));

describe('blockedBy', () => {
  it('lists the dependencies whose condition is not met yet, sorted', () => {
    const asked: string[] = [];
    const blocked = blockedBy(graph, stack, 'web', (dep, condition) => {
      asked.push(`${dep}:${condition}`);
      return false;
    });
    expect(blocked).toEqual(['db', 'migrate']);
    // The predicate sees each dependency with its own condition from depends_on.
    expect(asked).toEqual(['db:service_healthy', 'migrate:service_completed_successfully']);
  });

  it('drops the dependencies that are satisfied', () => {
    const healthy = new Set(['db']);
    expect(blockedBy(graph, stack, 'web', (dep) => healthy.has(dep))).toEqual(['migrate']);
    expect(blockedBy(graph, stack, 'web', () => true)).toEqual([]);
  });

  it('is empty for a service without dependencies', () => {
    expect(blockedBy(graph, stack, 'db', () => false)).toEqual([]);
  });

  it('waits for an optional dependency that is present and ignores one that is absent', () => {
    expect(blockedBy(graph, stack, 'worker', () => false)).toEqual(['cache']);
  });

  it('throws for a service outside the graph or an input the graph was not built from', () => {
    const codeOf = (run: () => unknown): unknown => {
      try {
        run();
      } catch (err) {
        return isAliciaError(err) ? err.code : err;
      }
      return undefined;
    };
    expect(codeOf(() => blockedBy(graph, stack, 'nope', () => true))).toBe('ALICIA_ERR_NOT_FOUND');
    expect(codeOf(() => blockedBy(graph, input({ web: [] }), 'web', () => true))).toBe(
      'ALICIA_ERR_NOT_FOUND',
    );
  });
});
