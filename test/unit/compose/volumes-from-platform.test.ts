// Keys honoured late in issue 11: volumes_from (implicit dependency, co-placement, Docker's
// VolumesFrom), pull_policy, platform (create parameter + placement by arch), external_links,
// GPUs through deploy.resources.reservations.devices and gpus (Docker's DeviceRequests in the
// create body: there is no GPU here).
import { describe, expect, it } from 'vitest';
import { toDockerCreateOptions } from '../../../agents/runtime/docker-options.js';
import { compileContainerSpec } from '../../../src/compose/compile.js';
import { sharesHostWith } from '../../../src/compose/finalize.js';
import type { Stack } from '../../../src/compose/model.js';
import { planInstances } from '../../../src/core/deploy/instance-plan.js';
import { createPlacer, type PlacementNode } from '../../../src/core/placement/index.js';
import type { InstanceSpec } from '../../../src/protocol/agent-actions.js';
import { requiredFeatures } from '../../../src/protocol/container-spec.js';
import { errorOf, parse, service } from './helpers.js';

function instance(stack: Stack, name: string): InstanceSpec {
  return {
    stack: stack.name,
    service: name,
    instance: `${stack.name}_${name}_1`,
    spec: compileContainerSpec(stack.name, service(stack, name)),
  } as InstanceSpec;
}

const create = (stack: Stack, name: string, extra: Record<string, unknown> = {}) =>
  toDockerCreateOptions(instance(stack, name), { agent: 'a1', env: {}, ...extra }).options;

describe('volumes_from', () => {
  const stack = parse(
    [
      'services:',
      '  data: {image: x, volumes: [cache:/cache]}',
      '  app: {image: x, volumes_from: ["data:ro", "container:legacy-box"]}',
      'volumes: {cache: {}}',
      '',
    ].join('\n'),
  );

  it('depends on the source service and shares its host', () => {
    expect(service(stack, 'app').depends_on.data).toEqual({
      condition: 'service_started',
      required: true,
      restart: false,
    });
    expect(sharesHostWith(service(stack, 'app'))).toEqual(['data']);
    expect(requiredFeatures(instance(stack, 'app').spec)).toContain('volumes_from');
  });

  it("becomes Docker's VolumesFrom with the source's container on this host", () => {
    const options = create(stack, 'app', { resolvedVolumesFrom: ['0123abcd', 'legacy-box'] });
    expect(options.HostConfig?.VolumesFrom).toEqual(['0123abcd:ro', 'legacy-box:rw']);
  });

  it('refuses a source that is not in the stack and a malformed entry', () => {
    expect(errorOf(() => parse('services:\n  app: {image: x, volumes_from: [nope]}\n')).message).toContain(
      'takes volumes_from "nope", which is not in the stack',
    );
    expect(
      errorOf(() => parse('services:\n  app: {image: x, volumes_from: ["a:b:c:d"]}\n')).message,
    ).toContain('is not a volumes_from entry');
  });

  it('places the dependent on a host of its source (network_mode service: too)', () => {
    const node = (id: string): PlacementNode => ({
      id,
      hostname: id,
      labels: {},
      arch: 'x86_64',
      os: 'linux',
      role: 'worker',
    });
    const nodes = [node('a1'), node('a2'), node('a3')];
    const result = planInstances({
      stack: 's',
      targets: {
        // Pinned to a3, which placement would not pick first for an unconstrained service.
        data: { replicas: 1, spec_hash: 'h1', constraints: [], hosts: ['a3'] },
        app: { replicas: 2, spec_hash: 'h2', constraints: [], with: ['data'] },
        net: { replicas: 1, spec_hash: 'h3', constraints: [], with: ['app'] },
      },
      current: [],
      nodes,
      placer: createPlacer(nodes),
      now: 0,
    });
    if (!result.ok) throw result.error;
    expect(result.plan.desired.map((a) => `${a.service}@${a.agent}`)).toEqual([
      'app@a3',
      'app@a3',
      'data@a3',
      'net@a3',
    ]);
    const none = planInstances({
      stack: 's',
      targets: {
        data: { replicas: 0, spec_hash: 'h1', constraints: [] },
        app: { replicas: 1, spec_hash: 'h2', constraints: [], with: ['data'] },
      },
      current: [],
      nodes,
      placer: createPlacer(nodes),
      now: 0,
    });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.error.message).toContain('must run on the same host as "data"');
  });
});

describe('pull_policy', () => {
  it('compiles always, never and missing (if_not_present), refuses build', () => {
    for (const [given, expected] of [
      ['always', 'always'],
      ['never', 'never'],
      ['missing', 'missing'],
      ['if_not_present', 'missing'],
    ]) {
      const stack = parse(`services:\n  s: {image: x, pull_policy: ${given}}\n`);
      expect(compileContainerSpec(stack.name, service(stack, 's')).pull_policy).toBe(expected);
      expect(stack.warnings).toEqual([]);
    }
    const build = errorOf(() => parse('services:\n  s: {image: x, pull_policy: build}\n'));
    expect(build.code).toBe('ALICIA_ERR_COMPOSE_UNSUPPORTED');
    expect(build.message).toContain('services.s.pull_policy: pull_policy: build needs an image build');
  });
});

describe('platform', () => {
  it("is Docker's create platform and places the service on hosts of that arch", () => {
    const stack = parse('services:\n  s: {image: x, platform: linux/arm/v7}\n');
    expect(service(stack, 's').constraints).toEqual([
      { field: 'node.platform.arch', op: '==', value: 'armv7l' },
    ]);
    expect((create(stack, 's') as Record<string, unknown>).platform).toBe('linux/arm/v7');
    expect(errorOf(() => parse('services:\n  s: {image: x, platform: windows}\n')).message).toContain(
      'is not a platform Alicia can place',
    );
  });
});

describe('external_links and GPUs', () => {
  it('external_links become legacy links', () => {
    const stack = parse('services:\n  s: {image: x, external_links: ["redis_1:redis", "db"]}\n');
    expect(create(stack, 's').HostConfig?.Links).toEqual(['redis_1:redis', 'db:db']);
  });

  it('deploy.resources.reservations.devices and gpus send DeviceRequests', () => {
    const stack = parse(
      [
        'services:',
        '  s:',
        '    image: x',
        '    deploy:',
        '      resources:',
        '        reservations:',
        '          devices: [{driver: nvidia, count: 1, capabilities: [gpu, utility]}]',
        '  t: {image: x, gpus: all}',
        '  u:',
        '    image: x',
        '    deploy: {resources: {reservations: {devices: [{capabilities: [gpu], device_ids: ["0", "2"]}]}}}',
        '',
      ].join('\n'),
    );
    expect(stack.warnings).toEqual([]);
    const body = (name: string) => (create(stack, name).HostConfig as Record<string, unknown>).DeviceRequests;
    expect(body('s')).toEqual([
      { Driver: 'nvidia', Count: 1, DeviceIDs: null, Capabilities: [['gpu', 'utility']], Options: {} },
    ]);
    expect(body('t')).toEqual([
      { Driver: 'nvidia', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} },
    ]);
    expect(body('u')).toEqual([
      { Driver: '', Count: 0, DeviceIDs: ['0', '2'], Capabilities: [['gpu']], Options: {} },
    ]);
  });
});
