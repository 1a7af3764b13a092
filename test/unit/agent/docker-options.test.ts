// InstanceSpec -> Docker create options: every key of the spec lands where Docker expects it.
import { describe, expect, it } from 'vitest';
import { toRuntimeEvent } from '../../../agents/runtime/docker-events.js';
import {
  toDockerCreateOptions,
  toDockerHealthcheck,
  toDockerRestartPolicy,
} from '../../../agents/runtime/docker-options.js';
import { compileHealthcheck, compileRestart } from '../../../src/compose/compile.js';
import { instanceSpec } from '../../contract/specs.js';

const context = { agent: 'pi-1', defaultNetworkMode: 'host', env: { FROM_HOST: 'yes' } };

describe('toDockerCreateOptions', () => {
  it('maps a rich spec faithfully', () => {
    const spec = instanceSpec('demo', 'api', 2, {
      image: 'ghcr.io/acme/api:1.2',
      command: ['serve', '--port', '8080'],
      entrypoint: ['/bin/app'],
      environment: { MODE: 'prod', FROM_HOST: null, MISSING: null },
      ports: [
        { target: 8080, published: '18080', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
        { target: 53, published: '5353', protocol: 'udp', mode: 'ingress' },
      ],
      volumes: [
        { type: 'bind', source: '/srv/alicia/conf', target: '/conf', read_only: true },
        { type: 'volume', source: 'data', target: '/data', read_only: false },
        { type: 'volume', target: '/cache', read_only: false },
        { type: 'tmpfs', target: '/run', read_only: false },
      ],
      labels: { 'com.example.team': 'core', 'alicia.agent': 'spoofed' },
      network_mode: 'bridge',
      user: '1000:1000',
      working_dir: '/app',
      hostname: 'api-2',
      limits: { cpus: 0.5, memory_bytes: 64 * 1024 * 1024, pids: 100 },
      reservations: { memory_bytes: 32 * 1024 * 1024 },
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      stop_signal: 'SIGINT',
      stop_grace_period_ms: 1_500,
      restart: 'on-failure:3',
      healthcheck: {
        test: ['CMD', 'wget', '-q', 'http://127.0.0.1:8080/health'],
        interval_ms: 500,
        timeout_ms: 2_000,
        start_period_ms: 10_000,
        start_interval_ms: 100,
        retries: 4,
        disable: false,
      },
    });
    const { options, networkMode, warnings } = toDockerCreateOptions(spec, context);
    expect(networkMode).toBe('bridge');
    expect(warnings).toEqual([]);
    expect(options).toEqual({
      name: 'alicia-demo_api_2',
      Image: 'ghcr.io/acme/api:1.2',
      Cmd: ['serve', '--port', '8080'],
      Entrypoint: ['/bin/app'],
      Env: ['MODE=prod', 'FROM_HOST=yes'],
      Labels: {
        'com.example.team': 'core',
        'alicia.stack': 'demo',
        'alicia.service': 'api',
        'alicia.instance': 'demo_api_2',
        'alicia.agent': 'pi-1',
        'alicia.slot': '2',
        'alicia.spec-hash': spec.spec_hash,
      },
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      User: '1000:1000',
      WorkingDir: '/app',
      Hostname: 'api-2',
      StopSignal: 'SIGINT',
      StopTimeout: 2,
      Healthcheck: {
        Test: ['CMD', 'wget', '-q', 'http://127.0.0.1:8080/health'],
        Interval: 500_000_000,
        Timeout: 2_000_000_000,
        StartPeriod: 10_000_000_000,
        StartInterval: 100_000_000,
        Retries: 4,
      },
      HostConfig: {
        NetworkMode: 'bridge',
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        Privileged: false,
        PortBindings: {
          '8080/tcp': [{ HostPort: '18080', HostIp: '127.0.0.1' }],
          '53/udp': [{ HostPort: '5353' }],
        },
        Binds: ['/srv/alicia/conf:/conf:ro'],
        Mounts: [
          { Type: 'volume', Source: 'demo_data', Target: '/data', ReadOnly: false },
          { Type: 'volume', Source: '', Target: '/cache', ReadOnly: false },
          { Type: 'tmpfs', Source: '', Target: '/run', ReadOnly: false },
        ],
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['ALL'],
        NanoCpus: 500_000_000,
        Memory: 64 * 1024 * 1024,
        PidsLimit: 100,
        MemoryReservation: 32 * 1024 * 1024,
      },
    });
  });

  it('defaults to the host network, where it keeps port bindings but cannot set a hostname', () => {
    const spec = instanceSpec('demo', 'web', 1, {
      ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }],
      hostname: 'web',
    });
    const { options, networkMode, warnings } = toDockerCreateOptions(spec, context);
    expect(networkMode).toBe('host');
    expect(options.HostConfig?.NetworkMode).toBe('host');
    expect(options.HostConfig?.PortBindings).toEqual({ '80/tcp': [{ HostPort: '8080' }] });
    expect(options.Hostname).toBeUndefined();
    expect(warnings).toHaveLength(2);
  });

  it('maps every restart policy and disabled healthchecks', () => {
    // Compose's policy, compiled to the wire spec, then to Docker's.
    const restart = (policy: Parameters<typeof compileRestart>[0]) =>
      toDockerRestartPolicy(compileRestart(policy));
    const health = (check: Parameters<typeof compileHealthcheck>[0]) =>
      toDockerHealthcheck(compileHealthcheck(check));
    expect(restart('no')).toEqual({ Name: 'no' });
    expect(restart('always')).toEqual({ Name: 'always' });
    expect(restart('unless-stopped')).toEqual({ Name: 'unless-stopped' });
    expect(restart('on-failure')).toEqual({ Name: 'on-failure', MaximumRetryCount: 0 });
    expect(health({ test: ['CMD-SHELL', 'true'], disable: true })).toEqual({ Test: ['NONE'] });
    expect(health({ test: ['NONE'], disable: false })).toEqual({ Test: ['NONE'] });
  });
});

describe('toRuntimeEvent', () => {
  const actor = {
    ID: 'abc',
    Attributes: { 'alicia.instance': 'demo_web_1', exitCode: '137', name: 'alicia-demo_web_1' },
  };
  it('reads health, die and lifecycle events of containers', () => {
    expect(
      toRuntimeEvent({
        Type: 'container',
        Action: 'health_status: unhealthy',
        Actor: actor,
        timeNano: 1_700_000_000_123_456_000,
      }),
    ).toEqual({
      type: 'container',
      action: 'health_status',
      id: 'abc',
      instance: 'demo_web_1',
      health: 'unhealthy',
      at: 1_700_000_000_123,
    });
    expect(
      toRuntimeEvent({ Type: 'container', Action: 'die', Actor: actor, time: 1_700_000_000 }),
    ).toMatchObject({ action: 'die', exitCode: 137, at: 1_700_000_000_000 });
    expect(
      toRuntimeEvent({ Type: 'container', Action: 'destroy', Actor: { ID: 'x', Attributes: {} } }),
    ).toMatchObject({ action: 'destroy', instance: null });
  });

  it('ignores exec events, other object types and junk', () => {
    expect(
      toRuntimeEvent({ Type: 'container', Action: 'exec_start: sh -c rm /tmp/ready', Actor: actor }),
    ).toBeNull();
    expect(toRuntimeEvent({ Type: 'network', Action: 'connect', Actor: actor })).toBeNull();
    expect(toRuntimeEvent({ Type: 'container', Action: 'start' })).toBeNull();
    expect(toRuntimeEvent('start')).toBeNull();
    expect(toRuntimeEvent(null)).toBeNull();
  });
});
