// Networks, secrets, configs and the runtime keys are honoured (issue 11): read into the model,
// compiled into the wire ContainerSpec as features, errors naming the path.
import { describe, expect, it } from 'vitest';
import { compileContainerSpec } from '../../../src/compose/compile.js';
import type { ServiceSpec, Stack } from '../../../src/compose/model.js';
import { isAliciaError } from '../../../src/core/errors.js';
import { ContainerSpecSchema, requiredFeatures } from '../../../src/protocol/container-spec.js';
import { parse } from './helpers.js';

function only(stack: Stack): ServiceSpec {
  const service = stack.services.s;
  if (!service) throw new Error('no service s');
  return service;
}

const svc = (body: string, top = '') => `services:\n  s:\n    image: busybox\n${body}${top}`;

function errorOf(text: string, env: Record<string, string> = {}): { code: string; message: string } {
  try {
    parse(text, { env });
  } catch (err) {
    if (isAliciaError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected an error');
}

describe('networks', () => {
  it('a plain service needs no feature: the agent puts it on <stack>_default', () => {
    const stack = parse(svc(''));
    expect(stack.services.s?.networks).toBeUndefined();
    expect(requiredFeatures(compileContainerSpec(stack.name, only(stack)))).toEqual([]);
  });

  it('compiles declared networks with Compose names, the service name first among aliases, by priority', () => {
    const stack = parse(
      svc(
        '    networks:\n      back: {aliases: [api], ipv4_address: 172.30.0.5}\n      front: {priority: 10}\n',
        'networks:\n  back:\n    ipam: {config: [{subnet: 172.30.0.0/24}]}\n    internal: true\n  front:\n    external: true\n    name: proxy\n',
      ),
    );
    const spec = ContainerSpecSchema.parse(compileContainerSpec(stack.name, only(stack)));
    expect(spec.networks?.map((n) => [n.network.name, n.network.external, n.aliases])).toEqual([
      ['proxy', true, ['s']],
      [`${stack.name}_back`, false, ['s', 'api']],
    ]);
    expect(spec.networks?.[1]?.ipv4_address).toBe('172.30.0.5');
    expect(spec.networks?.[1]?.network.ipam?.config).toEqual([{ subnet: '172.30.0.0/24' }]);
    expect(requiredFeatures(spec)).toEqual(['networks']);
  });

  it('names an undeclared network, and network_mode combined with networks', () => {
    expect(errorOf(svc('    networks: [nope]\n')).message).toContain('network "nope" is not declared');
    expect(errorOf(svc('    network_mode: host\n    networks: [default]\n')).message).toContain(
      'cannot be combined',
    );
  });

  it('turns links into aliases of the linked service on the networks both share', () => {
    const stack = parse('services:\n  db:\n    image: x\n  app:\n    image: x\n    links: ["db:database"]\n');
    expect(stack.services.db?.networks?.default?.aliases).toEqual(['database']);
  });
});

describe('secrets and configs', () => {
  it('reads content from environment and content:, mounts at /run/secrets/<name> or /<name>, 0444 by default', () => {
    const stack = parse(
      svc(
        '    secrets: [pw, {source: tok, target: token, mode: 0400, uid: "1000"}]\n    configs: [conf]\n',
        'secrets:\n  pw: {environment: PW}\n  tok: {content: abc}\nconfigs:\n  conf: {content: "x=1"}\n',
      ),
      { env: { PW: 'hunter2' } },
    );
    const spec = compileContainerSpec(stack.name, only(stack));
    expect(
      spec.files?.map((f) => [
        f.kind,
        f.target,
        f.mode,
        f.uid,
        Buffer.from(f.content_base64, 'base64').toString(),
      ]),
    ).toEqual([
      ['secret', '/run/secrets/pw', 0o444, undefined, 'hunter2'],
      ['secret', '/run/secrets/token', 0o400, '1000', 'abc'],
      ['config', '/conf', 0o444, undefined, 'x=1'],
    ]);
  });

  it('refuses an undeclared secret, a Swarm external one, and an unset variable, naming the path', () => {
    expect(errorOf(svc('    secrets: [nope]\n')).message).toContain('secret "nope" is not declared');
    expect(errorOf(svc('', 'secrets:\n  a: {external: true}\n')).code).toBe('ALICIA_ERR_COMPOSE_UNSUPPORTED');
    expect(errorOf(svc('    secrets: [a]\n', 'secrets:\n  a: {environment: NOPE}\n')).message).toContain(
      'secrets.a.environment',
    );
  });
});

describe('runtime keys', () => {
  it('reads every form into Docker terms, with no warning', () => {
    const stack = parse(
      svc(
        [
          '    devices: ["/dev/ttyUSB0", "/dev/null:/dev/ttyACM0:rw", {source: /dev/dri, target: /dev/dri}]',
          '    extra_hosts: {gw: host-gateway}',
          '    dns: 9.9.9.9',
          '    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}',
          '    shm_size: 1g',
          '    tmpfs: /run',
          '    gpus: all',
          '    logging: {driver: syslog, options: {tag: x}}',
          '    cpu_period: 100ms',
          '    memswap_limit: -1',
          '',
        ].join('\n'),
      ),
    );
    const spec = compileContainerSpec(stack.name, only(stack));
    expect(spec.devices).toEqual([
      { path_on_host: '/dev/ttyUSB0', path_in_container: '/dev/ttyUSB0', cgroup_permissions: 'rwm' },
      { path_on_host: '/dev/null', path_in_container: '/dev/ttyACM0', cgroup_permissions: 'rw' },
      { path_on_host: '/dev/dri', path_in_container: '/dev/dri', cgroup_permissions: 'rwm' },
    ]);
    expect(spec.extra_hosts).toEqual(['gw:host-gateway']);
    expect(spec.dns).toEqual(['9.9.9.9']);
    expect(spec.ulimits).toEqual([
      { name: 'nofile', soft: 1, hard: 2 },
      { name: 'nproc', soft: 3, hard: 3 },
    ]);
    expect(spec.shm_size_bytes).toBe(1024 ** 3);
    expect(spec.tmpfs).toEqual({ '/run': '' });
    expect(spec.device_requests).toEqual([{ driver: 'nvidia', count: -1, capabilities: [['gpu']] }]);
    expect(spec.log_config).toEqual({ driver: 'syslog', options: { tag: 'x' } });
    expect(spec.cpu_period_us).toBe(100_000);
    expect(spec.memswap_limit_bytes).toBe(-1);
    expect(stack.warnings).toEqual([]);
  });

  it('names a bad device permission', () => {
    expect(errorOf(svc('    devices: ["/dev/a:/dev/b:rx"]\n')).message).toContain('services.s.devices[0]');
  });
});

describe('mount options and named volumes', () => {
  it('keeps propagation, SELinux, nocopy, subpath and tmpfs size/mode, and compiles them as mount_options', () => {
    const stack = parse(
      svc(
        [
          '    volumes:',
          '      - /srv:/srv:ro,rslave,z',
          '      - data:/data:nocopy',
          '      - {type: volume, source: data, target: /sub, volume: {subpath: a/b}}',
          '      - {type: tmpfs, target: /t, tmpfs: {size: 1m, mode: 1777}}',
          '',
        ].join('\n'),
        'volumes:\n  data:\n    driver_opts: {type: nfs, o: "addr=10.0.0.1", device: ":/export"}\n',
      ),
    );
    const spec = compileContainerSpec(stack.name, only(stack));
    expect(spec.mount_options).toEqual([
      { target: '/srv', propagation: 'rslave', selinux: 'z' },
      { target: '/data', nocopy: true },
      { target: '/sub', subpath: 'a/b' },
      { target: '/t', tmpfs_size_bytes: 1024 * 1024, tmpfs_mode: 0o1777 },
    ]);
    expect(spec.volumes).toEqual([
      {
        name: `${stack.name}_data`,
        key: 'data',
        external: false,
        driver_opts: { type: 'nfs', o: 'addr=10.0.0.1', device: ':/export' },
      },
    ]);
    expect(stack.warnings).toEqual([]);
  });

  it('mounts an external volume by its own name', () => {
    const stack = parse(
      svc('    volumes: ["media:/media"]\n', 'volumes:\n  media: {external: true, name: nas-media}\n'),
    );
    const spec = compileContainerSpec(stack.name, only(stack));
    expect(spec.mounts[0]?.source).toBe('nas-media');
    expect(spec.volumes?.[0]).toEqual({ name: 'nas-media', key: 'media', external: true });
  });
});

describe('profiles and label_file', () => {
  const text = [
    'services:',
    '  app: {image: x}',
    '  debug: {image: x, profiles: [debug]}',
    '  tools: {image: x, profiles: [tools, ops]}',
    '',
  ].join('\n');

  it('runs a service with profiles only when one is active (COMPOSE_PROFILES or --profile)', () => {
    expect(Object.keys(parse(text).services)).toEqual(['app']);
    expect(Object.keys(parse(text, { env: { COMPOSE_PROFILES: 'ops, debug' } }).services)).toEqual([
      'app',
      'debug',
      'tools',
    ]);
    expect(Object.keys(parse(text, { profiles: ['tools'] }).services)).toEqual(['app', 'tools']);
  });

  it('reads label_file as KEY=value lines, under the labels written in the file', () => {
    const stack = parse(svc('    label_file: ./labels.env\n    labels: {b: file-wins}\n'), {
      disk: { '/project/labels.env': 'a=1\nb=2\n' },
    });
    expect(only(stack).labels).toEqual({ a: '1', b: 'file-wins' });
    expect(errorOf(svc('    label_file: ./none.env\n')).code).toBe('ALICIA_ERR_COMPOSE_NOT_FOUND');
  });
});
