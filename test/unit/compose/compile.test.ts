// The compile step: a Compose service (as the loader normalizes it) -> the wire ContainerSpec,
// in Docker's terms. Pure; one spec per instance, today the same for every replica and host.
import { describe, expect, it } from 'vitest';
import { compileContainerSpec, compileHealthcheck, compileRestart } from '../../../src/compose/compile.js';
import { parseStack } from '../../../src/compose/index.js';
import { DEFAULT_BACKOFF } from '../../../src/compose/model.js';
import { ContainerSpecSchema, requiredFeatures, specHash } from '../../../src/protocol/index.js';
import { sampleSpec } from '../../helpers/samples.js';

describe('compileContainerSpec', () => {
  it('maps every field of a rich service to Docker terms, leaving Compose-only keys behind', () => {
    const service = sampleSpec({
      entrypoint: ['/bin/app'],
      volumes: [
        { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
        { type: 'volume', source: 'data', target: '/data', read_only: false },
        { type: 'volume', target: '/cache', read_only: false },
        { type: 'tmpfs', target: '/run', read_only: false },
      ],
      ports: [
        { target: 8080, published: '18080', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' },
        { target: 53, protocol: 'udp', mode: 'host' },
      ],
      labels: { team: 'core' },
      user: '1000',
      working_dir: '/app',
      hostname: 'web-1',
      stop_signal: 'SIGINT',
      stop_grace_period_ms: 1_500,
      limits: { cpus: 0.5, memory_bytes: 64, pids: 10 },
      reservations: { memory_bytes: 32, cpus: 0.25 },
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      restart: 'on-failure:3',
      x_alicia: { backoff: { ...DEFAULT_BACKOFF }, hosts: ['pi-1'], start_probe: false, priority: 3 },
    });
    const spec = compileContainerSpec('demo', service, { agent: 'pi-1' });
    expect(spec).toEqual({
      image: 'alicia-test/busybox:latest',
      command: ['sleep', '3600'],
      entrypoint: ['/bin/app'],
      env: { MODE: 'test', FROM_HOST: null },
      user: '1000',
      working_dir: '/app',
      hostname: 'web-1',
      labels: { team: 'core' },
      ports: [
        { container_port: 8080, protocol: 'tcp', host_port: '18080', host_ip: '127.0.0.1' },
        { container_port: 53, protocol: 'udp' },
      ],
      mounts: [
        { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
        // Named volumes get Compose's <project>_<volume> name; anonymous ones none.
        { type: 'volume', source: 'demo_data', target: '/data', read_only: false },
        { type: 'volume', target: '/cache', read_only: false },
        { type: 'tmpfs', target: '/run', read_only: false },
      ],
      restart: { name: 'on-failure', max_retries: 3 },
      healthcheck: { test: ['CMD-SHELL', 'true'], interval_ms: 1000, retries: 3 },
      stop_signal: 'SIGINT',
      stop_grace_period_ms: 1_500,
      privileged: false,
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      network_mode: 'host',
      resources: { cpus: 0.5, memory_bytes: 64, pids_limit: 10, memory_reservation_bytes: 32 },
      healing: { backoff: DEFAULT_BACKOFF },
      probe: { start: false },
    });
    // Valid on the wire, with no Compose names (depends_on, replicas, constraints, x_alicia…).
    expect(ContainerSpecSchema.parse(spec)).toEqual(spec);
    for (const key of ['name', 'depends_on', 'replicas', 'constraints', 'x_alicia', 'volumes', 'environment'])
      expect(spec).not.toHaveProperty(key);
    expect(requiredFeatures(spec)).toEqual(['healthcheck', 'probe', 'resources']);
  });

  it('needs no feature for a plain service, and start_probe true or absent travels as nothing', () => {
    const plain = sampleSpec({ healthcheck: undefined });
    delete plain.healthcheck;
    const spec = compileContainerSpec('demo', plain);
    expect(requiredFeatures(spec)).toEqual([]);
    const explicit = compileContainerSpec('demo', {
      ...plain,
      x_alicia: { ...plain.x_alicia, start_probe: true },
    });
    expect(specHash(explicit)).toBe(specHash(spec));
  });

  it('is the same for every replica and host today, and changes with the stack (volume names)', () => {
    const service = sampleSpec({
      volumes: [{ type: 'volume', source: 'data', target: '/d', read_only: false }],
    });
    const a = compileContainerSpec('demo', service, { agent: 'pi-1' });
    expect(compileContainerSpec('demo', service, { agent: 'pi-2' })).toEqual(a);
    expect(compileContainerSpec('demo', service)).toEqual(a);
    expect(specHash(compileContainerSpec('other', service))).not.toBe(specHash(a));
    // Compose-only keys (placement, dependencies, scale) do not change what the agent runs.
    expect(
      specHash(
        compileContainerSpec('demo', {
          ...service,
          replicas: 5,
          depends_on: {},
          constraints: [],
          x_alicia: { ...service.x_alicia, hosts: ['x'], priority: 9, category: 'core' },
        }),
      ),
    ).toBe(specHash(a));
  });

  it('maps restart policies and disabled healthchecks as Docker has them', () => {
    expect(compileRestart('no')).toEqual({ name: 'no' });
    expect(compileRestart('always')).toEqual({ name: 'always' });
    expect(compileRestart('unless-stopped')).toEqual({ name: 'unless-stopped' });
    expect(compileRestart('on-failure')).toEqual({ name: 'on-failure', max_retries: 0 });
    expect(compileRestart('on-failure:5')).toEqual({ name: 'on-failure', max_retries: 5 });
    expect(compileHealthcheck({ test: ['CMD', 'true'], interval_ms: 5, disable: true })).toEqual({
      test: ['NONE'],
    });
    expect(compileHealthcheck({ test: ['NONE'], disable: false })).toEqual({ test: ['NONE'] });
    expect(
      compileHealthcheck({
        test: ['CMD', 'pg_isready'],
        interval_ms: 1,
        timeout_ms: 2,
        start_period_ms: 0,
        start_interval_ms: 3,
        retries: 4,
        disable: false,
      }),
    ).toEqual({
      test: ['CMD', 'pg_isready'],
      interval_ms: 1,
      timeout_ms: 2,
      start_period_ms: 0,
      start_interval_ms: 3,
      retries: 4,
    });
  });

  it('compiles every service of a loaded Compose file to a valid wire spec', () => {
    const stack = parseStack(
      [
        {
          file: '/tmp/alicia-test/compose.yaml',
          text: `
services:
  db:
    image: alicia-test/busybox:latest
    environment: { POSTGRES_PASSWORD: secret }
    volumes: [data:/var/lib/data]
    healthcheck: { test: ["CMD", "true"], interval: 2s }
    deploy: { resources: { limits: { memory: 64m } } }
  app:
    image: alicia-test/busybox:latest
    ports: ["8080:80"]
    restart: always
volumes:
  data: {}
`,
        },
      ],
      { projectName: 'shop', env: {} },
    );
    const db = stack.services.db;
    const app = stack.services.app;
    if (!db || !app) throw new Error('services missing');
    const dbSpec = ContainerSpecSchema.parse(compileContainerSpec(stack.name, db));
    expect(dbSpec.mounts).toEqual([
      { type: 'volume', source: 'shop_data', target: '/var/lib/data', read_only: false },
    ]);
    expect(dbSpec.resources).toEqual({ memory_bytes: 64 * 1024 ** 2 });
    expect(dbSpec.env).toEqual({ POSTGRES_PASSWORD: 'secret' });
    const appSpec = ContainerSpecSchema.parse(compileContainerSpec(stack.name, app));
    expect(appSpec.ports).toEqual([{ container_port: 80, protocol: 'tcp', host_port: '8080' }]);
    expect(appSpec.restart).toEqual({ name: 'always' });
    expect(requiredFeatures(appSpec)).toEqual([]);
  });
});
