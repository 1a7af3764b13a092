// x-alicia.probe (+ unhealthy_threshold) -> the spec's health_probe feature, which agents run.
import { describe, expect, it } from 'vitest';
import { compileContainerSpec } from '../../../src/compose/compile.js';
import { ContainerSpecSchema, requiredFeatures } from '../../../src/protocol/index.js';
import { parse } from './helpers.js';

const service = (xAlicia: string) =>
  parse(`services:\n  web:\n    image: nginx\n    x-alicia:\n${xAlicia}`).services.web;

describe('health_probe', () => {
  it('an http probe with its threshold, status list and degraded_after; a feature', () => {
    const s = service(
      [
        '      probe:',
        '        http: {url: "http://127.0.0.1:8080/healthz", expect_status: [200, 204], degraded_after: 250ms, interval: 2s}',
        '      unhealthy_threshold: 2',
        '',
      ].join('\n'),
    );
    const spec = compileContainerSpec('demo', s ?? (undefined as never));
    expect(spec.health_probe).toEqual({
      kind: 'http',
      url: 'http://127.0.0.1:8080/healthz',
      expect_status: [200, 204],
      interval_ms: 2_000,
      timeout_ms: 5_000,
      degraded_after_ms: 250,
      unhealthy_threshold: 2,
    });
    expect(requiredFeatures(spec)).toContain('health_probe');
    expect(ContainerSpecSchema.parse(spec)).toEqual(spec);
  });

  it('a tcp probe with the default threshold (3); no probe, no field', () => {
    const spec = compileContainerSpec(
      'demo',
      service('      probe: {tcp: {port: 1883}}\n') ?? (undefined as never),
    );
    expect(spec.health_probe).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 1883,
      interval_ms: 10_000,
      timeout_ms: 5_000,
      unhealthy_threshold: 3,
    });
    const plain = compileContainerSpec('demo', service('      priority: 1\n') ?? (undefined as never));
    expect(plain.health_probe).toBeUndefined();
    expect(requiredFeatures(plain)).not.toContain('health_probe');
  });

  it('unhealthy_threshold without a probe warns (it would change nothing); with one it does not', () => {
    const warnings = (x: string) =>
      parse(`services:\n  web:\n    image: nginx\n    x-alicia:\n${x}`).warnings.map((w) => w.path);
    expect(warnings('      unhealthy_threshold: 2\n')).toEqual(['services.web.x-alicia.unhealthy_threshold']);
    expect(warnings('      unhealthy_threshold: 2\n      probe: {tcp: {port: 80}}\n')).toEqual([]);
  });

  it('start_period (http and tcp): the wire carries it only when given (the agent defaults to 30s)', () => {
    const http = compileContainerSpec(
      'demo',
      service('      probe: {http: {url: "http://127.0.0.1:8080/", start_period: 1m30s}}\n') ??
        (undefined as never),
    );
    expect(http.health_probe).toMatchObject({ kind: 'http', start_period_ms: 90_000 });
    const tcp = compileContainerSpec(
      'demo',
      service('      probe: {tcp: {port: 1883, start_period: 0s}}\n') ?? (undefined as never),
    );
    expect(tcp.health_probe).toMatchObject({ kind: 'tcp', start_period_ms: 0 });
    expect(ContainerSpecSchema.parse(tcp)).toEqual(tcp);
    const plain = compileContainerSpec(
      'demo',
      service('      probe: {tcp: {port: 1883}}\n') ?? (undefined as never),
    );
    expect(plain.health_probe).not.toHaveProperty('start_period_ms');
  });
});
