import { describe, expect, it } from 'vitest';
import type { Stack } from '../../../src/compose/model.js';
import { isAliciaError } from '../../../src/core/errors.js';
import { buildGraph } from '../../../src/core/graph/index.js';
import { errorOf, graphOf, input } from './helpers.js';

describe('buildGraph: layers and orders', () => {
  it('puts both sides of a diamond in one layer between its ends', () => {
    const graph = graphOf(buildGraph(input({ app: ['left', 'right'], left: ['db'], right: ['db'], db: [] })));
    expect(graph.layers).toEqual([['db'], ['left', 'right'], ['app']]);
    expect(graph.services).toEqual(['app', 'db', 'left', 'right']);
  });

  it('layers a 4-layer stack by its longest dependency chain', () => {
    const graph = graphOf(
      buildGraph(
        input({
          proxy: ['web', 'metrics'],
          web: ['api'],
          api: ['db', 'cache'],
          metrics: [],
          db: [],
          cache: [],
          worker: ['db'],
        }),
      ),
    );
    // proxy waits for web (layer 2), not just for metrics (layer 0), so it lands in layer 3.
    expect(graph.layers).toEqual([['cache', 'db', 'metrics'], ['api', 'worker'], ['web'], ['proxy']]);
    expect(graph.layerOf('proxy')).toBe(3);
    expect(graph.layerOf('metrics')).toBe(0);
    expect(graph.startOrder).toEqual(['cache', 'db', 'metrics', 'api', 'worker', 'web', 'proxy']);
  });

  it('puts independent services in one layer, sorted whatever the input order', () => {
    const graph = graphOf(buildGraph(input({ zeta: [], alpha: [], Mid: [], '2nd': [] })));
    // Code-unit order: digits, then upper case, then lower case — the same on every host.
    expect(graph.layers).toEqual([['2nd', 'Mid', 'alpha', 'zeta']]);
  });

  it('stops dependents before their dependencies: the start order reversed, layer by layer', () => {
    const graph = graphOf(buildGraph(input({ app: ['left', 'right'], left: ['db'], right: ['db'], db: [] })));
    expect(graph.stopOrder).toEqual(['app', 'right', 'left', 'db']);
  });

  it('answers direct dependencies, direct dependents (required_by) and transitive dependents', () => {
    const graph = graphOf(
      buildGraph(
        input({ proxy: ['web'], web: ['api'], api: ['db', 'cache'], worker: ['db'], db: [], cache: [] }),
      ),
    );
    expect(graph.dependenciesOf('api')).toEqual(['cache', 'db']);
    expect(graph.dependenciesOf('db')).toEqual([]);
    expect(graph.requiredBy('db')).toEqual(['api', 'worker']);
    expect(graph.dependentsOf('db')).toEqual(['api', 'proxy', 'web', 'worker']);
    expect(graph.dependentsOf('cache')).toEqual(['api', 'proxy', 'web']);
    expect(graph.dependentsOf('proxy')).toEqual([]);
    expect(graph.has('db')).toBe(true);
    expect(graph.has('nope')).toBe(false);
  });

  it('handles an empty stack', () => {
    const graph = graphOf(buildGraph({}));
    expect(graph.services).toEqual([]);
    expect(graph.layers).toEqual([]);
    expect(graph.stopOrder).toEqual([]);
  });

  it('refuses to answer about a service it does not hold', () => {
    const graph = graphOf(buildGraph(input({ db: [] })));
    for (const ask of [graph.dependenciesOf, graph.requiredBy, graph.dependentsOf, graph.layerOf]) {
      let thrown: unknown;
      try {
        ask('web');
      } catch (err) {
        thrown = err;
      }
      expect(isAliciaError(thrown) && thrown.code).toBe('ALICIA_ERR_NOT_FOUND');
      expect(isAliciaError(thrown) && thrown.details).toEqual({ service: 'web' });
    }
  });

  it('keeps service names that are also Object.prototype keys apart from the prototype', () => {
    const graph = graphOf(buildGraph(input({ constructor: ['toString'], toString: [] })));
    expect(graph.layers).toEqual([['toString'], ['constructor']]);
    expect(errorOf(buildGraph(input({ constructor: ['hasOwnProperty'] }))).code).toBe(
      'ALICIA_ERR_DEPENDENCY_UNKNOWN',
    );
  });

  it('deep-freezes what it returns', () => {
    const graph = graphOf(buildGraph(input({ web: ['db'], db: [] })));
    expect(Object.isFrozen(graph)).toBe(true);
    for (const list of [
      graph.services,
      graph.layers,
      ...graph.layers,
      graph.startOrder,
      graph.stopOrder,
      graph.dependenciesOf('web'),
      graph.requiredBy('db'),
      graph.dependentsOf('db'),
    ]) {
      expect(Object.isFrozen(list)).toBe(true);
    }
    // ESM is strict mode, so writing to a frozen array throws instead of being ignored.
    expect(() => (graph.layers[0] as string[]).push('x')).toThrow(TypeError);
  });

  it('accepts the services of a normalized Stack as they are', () => {
    const services: Stack['services'] = {};
    expect(graphOf(buildGraph(services)).services).toEqual([]);
  });
});

describe('buildGraph: dependencies that are not in the stack', () => {
  it('ignores an absent dependency marked required: false, as Compose does', () => {
    const graph = graphOf(buildGraph(input({ web: { db: {}, cache: { required: false } }, db: [] })));
    expect(graph.dependenciesOf('web')).toEqual(['db']);
    expect(graph.layers).toEqual([['db'], ['web']]);
  });

  it('keeps an optional dependency that is present as an ordinary edge', () => {
    const graph = graphOf(buildGraph(input({ web: { cache: { required: false } }, cache: [] })));
    expect(graph.layers).toEqual([['cache'], ['web']]);
  });

  it('names both services of an unknown required dependency', () => {
    const error = errorOf(buildGraph(input({ web: ['db'] })));
    expect(error.code).toBe('ALICIA_ERR_DEPENDENCY_UNKNOWN');
    expect(error.message).toBe(
      'Service depends on a service that does not exist: service "web" depends on "db", which is not in the stack',
    );
    expect(error.details).toEqual({ service: 'web', dependency: 'db' });
  });

  it('reports the first unknown dependency by service name, then by dependency name', () => {
    const error = errorOf(buildGraph(input({ zeta: ['gone'], beta: ['z-missing', 'a-missing'], alpha: [] })));
    expect(error.details).toEqual({ service: 'beta', dependency: 'a-missing' });
  });

  it('reports an unknown dependency before a cycle', () => {
    const error = errorOf(buildGraph(input({ a: ['b'], b: ['a'], z: ['missing'] })));
    expect(error.code).toBe('ALICIA_ERR_DEPENDENCY_UNKNOWN');
  });
});

describe('buildGraph: cycles', () => {
  it('reports a service that depends on itself', () => {
    const error = errorOf(buildGraph(input({ a: ['a'], b: [] })));
    expect(error.code).toBe('ALICIA_ERR_DEPENDENCY_CYCLE');
    expect(error.message).toBe('Services depend on each other in a cycle: a → a');
    expect(error.details).toEqual({ cycle: ['a', 'a'] });
  });

  it('prints a 3-cycle in dependency order', () => {
    const error = errorOf(buildGraph(input({ a: ['b'], b: ['c'], c: ['a'] })));
    expect(error.message).toBe('Services depend on each other in a cycle: a → b → c → a');
    expect(error.details).toEqual({ cycle: ['a', 'b', 'c', 'a'] });
  });

  it('starts the cycle at its smallest name whatever the input order', () => {
    const error = errorOf(buildGraph(input({ c: ['a'], b: ['c'], a: ['b'] })));
    expect(error.message).toBe('Services depend on each other in a cycle: a → b → c → a');
    const other = errorOf(buildGraph(input({ web: ['db'], db: ['cache'], cache: ['web'] })));
    expect(other.details).toEqual({ cycle: ['cache', 'web', 'db', 'cache'] });
  });

  it('does not start at a service that only depends on a cycle', () => {
    // "a" is stuck behind the cycle but is not on it; the cycle is b ↔ c.
    const error = errorOf(buildGraph(input({ a: ['b'], b: ['c'], c: ['b'], d: [] })));
    expect(error.details).toEqual({ cycle: ['b', 'c', 'b'] });
  });

  it('of several cycles reports the one through the smallest name, by its shortest path', () => {
    // m is on a 2-cycle (m ↔ n) and a 3-cycle (m → x → y → m); x ↔ z is another cycle with larger names.
    const error = errorOf(
      buildGraph(input({ m: ['x', 'n'], n: ['m'], x: ['y', 'z'], y: ['m'], z: ['x'], a: ['m'] })),
    );
    expect(error.message).toBe('Services depend on each other in a cycle: m → n → m');
  });
});
