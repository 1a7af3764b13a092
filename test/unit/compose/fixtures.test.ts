// Every fixture under test/fixtures/compose: real-world-shaped stacks load into the model
// they mean, and every broken one fails with its one clear error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStack, parseStack, startLayers, toComposeJson } from '../../../src/compose/index.js';
import { readOptionalFile } from '../../../src/compose/load.js';
import type { Stack } from '../../../src/compose/model.js';
import { isAliciaError } from '../../../src/core/errors.js';

const ROOT = new URL('../../fixtures/compose/', import.meta.url).pathname;

interface Fixture {
  files: string[];
  env?: Record<string, string>;
  error?: { code: string; file: string; path: string; line: number; column: number; message: string };
}

const fixtures = readdirSync(ROOT, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = join(ROOT, entry.name);
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as Fixture;
    return { name: entry.name, dir, ...fixture };
  });
const valid = fixtures.filter((f) => !f.error);
const broken = fixtures.filter((f) => f.error);

const load = (fixture: (typeof fixtures)[number]): Promise<Stack> =>
  loadStack({ files: fixture.files.map((file) => join(fixture.dir, file)), env: fixture.env ?? {} });

const s = (stack: Stack, name: string) => {
  const found = stack.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

/** What each valid fixture must mean, beyond loading without error. */
const CHECKS: Record<string, (stack: Stack, dir: string) => void> = {
  // Compared with docker-compose field by field in test/e2e/parity.test.ts.
  parity: (stack) => {
    expect(s(stack, 'box').runtime).toMatchObject({
      init: true,
      tty: true,
      shm_size_bytes: 64 * 1024 * 1024,
    });
    expect(stack.warnings).toEqual([]);
  },
  'network-stack': (stack, dir) => {
    // Only app and db name networks; cache is on the default network, which the agent adds.
    expect(s(stack, 'cache').networks).toBeUndefined();
    expect(s(stack, 'app').networks).toEqual({
      default: { definition: { external: false }, aliases: [] },
      back: { definition: { external: false, labels: { 'com.example.tier': 'back' } }, aliases: ['api'] },
    });
    expect(s(stack, 'app').secrets).toEqual([
      {
        source: 'db_password',
        target: '/run/secrets/db_password',
        mode: 0o440,
        content_base64: Buffer.from('s3cret\n').toString('base64'),
        from: { kind: 'file', path: join(dir, 'db_password.txt') },
      },
    ]);
    expect(s(stack, 'db').secrets?.[0]?.mode).toBe(0o444);
    expect(Object.keys(stack.networks ?? {}).sort()).toEqual(['back', 'default']);
    expect(stack.warnings).toEqual([]);
  },
  // Compared with docker-compose on a parent interface the test makes (test/e2e/macvlan.test.ts).
  macvlan: (stack) => {
    expect(stack.networks?.mv).toMatchObject({
      driver: 'macvlan',
      driver_opts: { parent: 'alicia-dmy0', macvlan_mode: 'bridge' },
    });
    expect(stack.warnings).toEqual([]);
  },
  // The four home-lab files are checked through `alicia config` in
  // test/integration/homelab-config.test.ts; home-assistant.yaml (which docker-compose 1.29
  // also reads: compose-vs-docker-compose.test.ts) is the one loaded here.
  homelab: (stack) => {
    expect(Object.keys(stack.services).sort()).toEqual([
      'homeassistant',
      'mosquitto',
      'nodered',
      'zigbee2mqtt',
    ]);
    expect(stack.warnings.map((w) => w.path)).toEqual([
      'services.homeassistant.container_name',
      'services.mosquitto.container_name',
      'services.zigbee2mqtt.container_name',
      'services.nodered.container_name',
    ]);
  },

  'web-db-cache': (stack, dir) => {
    expect(startLayers(stack)).toEqual([['cache', 'db'], ['app'], ['proxy']]);
    expect(s(stack, 'app').depends_on).toEqual({
      db: { condition: 'service_healthy', required: true, restart: false },
      cache: { condition: 'service_started', required: true, restart: false },
    });
    expect(s(stack, 'app').environment.WORKERS).toBe('4');
    expect(s(stack, 'db').environment).toEqual({
      POSTGRES_USER: 'shop',
      POSTGRES_PASSWORD: 'shop',
      POSTGRES_DB: 'shop',
    });
    expect(s(stack, 'cache').command).toEqual([
      'redis-server',
      '--appendonly',
      'yes',
      '--maxmemory',
      '256mb',
    ]);
    expect(s(stack, 'proxy').volumes[0]).toEqual({
      type: 'bind',
      source: join(dir, 'nginx/default.conf'),
      target: '/etc/nginx/conf.d/default.conf',
      read_only: true,
    });
    expect(stack.warnings).toEqual([]);
  },
  monitoring: (stack) => {
    // pid: host and the bind propagation (rslave) are honoured now (issue 11).
    expect(stack.warnings).toEqual([]);
    expect(s(stack, 'node-exporter').volumes[0]?.options).toEqual({ propagation: 'rslave' });
    expect(s(stack, 'node-exporter').runtime?.pid_mode).toBe('host');
    expect(s(stack, 'prometheus').constraints).toEqual([
      { field: 'node.labels.role', op: '==', value: 'monitoring' },
    ]);
    expect(s(stack, 'prometheus').user).toBe('65534');
    expect(s(stack, 'grafana').depends_on.prometheus?.condition).toBe('service_healthy');
    expect(s(stack, 'alertmanager').command).toEqual([
      '--config.file=/etc/alertmanager/alertmanager.yml',
      '--storage.path=/alertmanager',
    ]);
    expect(s(stack, 'node-exporter').network_mode).toBe('host');
    expect(startLayers(stack)).toEqual([['alertmanager', 'node-exporter'], ['prometheus'], ['grafana']]);
  },
  'home-automation': (stack) => {
    const ha = s(stack, 'homeassistant');
    expect(ha).toMatchObject({ network_mode: 'host', privileged: true });
    expect(ha.constraints).toEqual([
      { field: 'node.hostname', op: '==', value: 'pi-living-room' },
      { field: 'node.platform.arch', op: '==', value: 'aarch64' },
    ]);
    expect(s(stack, 'mosquitto').healthcheck?.test).toEqual([
      'CMD-SHELL',
      "mosquitto_sub -t '$SYS/#' -C 1 -W 3",
    ]);
    expect(s(stack, 'zigbee2mqtt').constraints).toEqual([
      { field: 'node.labels.zigbee', op: '==', value: 'true' },
    ]);
    // The Zigbee stick is mapped (issue 11): no warning left.
    expect(s(stack, 'zigbee2mqtt').runtime?.devices).toEqual([
      { path_on_host: '/dev/ttyACM0', path_in_container: '/dev/ttyACM0', cgroup_permissions: 'rwm' },
    ]);
    expect(stack.warnings).toEqual([]);
  },
  media: (stack, dir) => {
    const jellyfin = s(stack, 'jellyfin');
    expect(jellyfin.environment).toEqual({ PUID: '1000', PGID: '1000', TZ: 'Europe/Berlin' });
    expect(jellyfin.volumes.map((v) => v.source)).toEqual([
      join(dir, 'config/jellyfin'),
      '/srv/media/tv',
      '/srv/media/movies',
    ]);
    expect(s(stack, 'qbittorrent').ports.map((p) => `${p.published}/${p.protocol}`)).toEqual([
      '8081/tcp',
      '6881/tcp',
      '6881/udp',
    ]);
    expect(startLayers(stack)).toEqual([
      ['jellyfin', 'prowlarr', 'qbittorrent'],
      ['radarr', 'sonarr'],
    ]);
  },
  'interpolation-env': (stack) => {
    const api = s(stack, 'api');
    expect(api.image).toBe('docker.io/example/api:1.4.2');
    expect(api.environment).toEqual({
      LOG_LEVEL: 'debug',
      REGION: 'eu-west-1',
      EMPTY_WITH_COLON: 'fallback',
      EMPTY_WITHOUT_COLON: '',
      PRICE: '$5 a month',
      DB_PASSWORD: 's3cr3t #not a comment',
      FROM_PROCESS: 'from-process',
      BRACELESS: '1.4.2',
      PASSED_THROUGH: null,
    });
    expect(api.ports).toEqual([{ target: 8000, published: '8000', protocol: 'tcp', mode: 'ingress' }]);
    expect(api.command).toEqual(['serve', '--port', '8000', '--workers', '8']);
    expect(api.replicas).toBe(3);
    expect(api.restart).toBe('on-failure');
    expect(stack.warnings).toEqual([]);
  },
  'multi-file-override': (stack, dir) => {
    const web = s(stack, 'web');
    expect(web.image).toBe('example/web:dev');
    expect(web.command).toEqual(['flask', 'run', '--reload']);
    expect(web.environment).toEqual({ MODE: 'development', SHARED: 'base', DEBUG: '1' });
    expect(web.ports.map((p) => p.published)).toEqual(['8000', '5678']);
    expect(web.volumes).toEqual([
      { type: 'bind', source: join(dir, 'src'), target: '/srv/static', read_only: false },
    ]);
    expect(web.labels).toEqual({ team: 'web', env: 'dev' });
    expect(Object.keys(web.depends_on)).toEqual(['db', 'cache']);
    expect(s(stack, 'db').healthcheck).toEqual({
      test: ['CMD', 'pg_isready'],
      interval_ms: 5_000,
      retries: 3,
      disable: false,
    });
  },
  'multi-file-layers': (stack) => {
    const worker = s(stack, 'worker');
    expect(worker).toMatchObject({
      replicas: 4,
      restart: 'on-failure:5',
      limits: { cpus: 1.5, memory_bytes: 1024 ** 3 },
    });
    expect(worker.environment).toEqual({ QUEUE: 'default', CONCURRENCY: '8' });
    expect(worker.healthcheck).toEqual({
      test: ['CMD-SHELL', 'worker ping --timeout 5'],
      interval_ms: 60_000,
      timeout_ms: 10_000,
      disable: false,
    });
    const queue = s(stack, 'queue');
    expect(queue.volumes).toEqual([
      { type: 'bind', source: '/mnt/ssd/rabbitmq', target: '/var/lib/rabbitmq', read_only: false },
    ]);
    expect(queue.healthcheck?.start_period_ms).toBe(90_000);
    expect(queue.constraints).toEqual([{ field: 'node.hostname', op: '==', value: 'pi-2' }]);
  },
  'depends-on-conditions': (stack) => {
    expect(s(stack, 'api').depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully', required: true, restart: false },
      db: { condition: 'service_healthy', required: true, restart: false },
      cache: { condition: 'service_started', required: true, restart: false },
    });
    expect(startLayers(stack)).toEqual([['cache', 'db'], ['migrate'], ['api'], ['worker']]);
    expect(s(stack, 'worker').command).toEqual(['api', 'worker']);
  },
  'healthcheck-forms': (stack) => {
    expect(s(stack, 'shell-string').healthcheck).toEqual({
      test: ['CMD-SHELL', 'wget -q --spider http://127.0.0.1/ || exit 1'],
      interval_ms: 90_000,
      timeout_ms: 500,
      start_period_ms: 3_723_500,
      retries: 2,
      disable: false,
    });
    expect(s(stack, 'cmd-list').healthcheck?.test).toEqual(['CMD', 'test', '-f', '/tmp/ready']);
    expect(s(stack, 'cmd-shell-list').healthcheck?.test).toEqual([
      'CMD-SHELL',
      'nc -z 127.0.0.1 80 && echo ok',
    ]);
    expect(s(stack, 'none').healthcheck).toEqual({ test: ['NONE'], disable: true });
    expect(s(stack, 'disabled').healthcheck).toEqual({ test: ['NONE'], disable: true });
  },
  'deploy-placement-resources': (stack) => {
    const api = s(stack, 'api');
    expect(api.replicas).toBe(3);
    expect(api.constraints).toEqual([
      { field: 'node.role', op: '==', value: 'manager' },
      { field: 'node.labels.zone', op: '==', value: 'garage' },
      { field: 'node.platform.arch', op: '!=', value: 'armv7l' },
      { field: 'node.platform.os', op: '==', value: 'linux' },
    ]);
    expect(api.limits).toEqual({ cpus: 0.5, memory_bytes: 512 * 1024 ** 2 });
    expect(api.reservations).toEqual({ cpus: 0.25, memory_bytes: 128 * 1024 ** 2 });
    expect(api).toMatchObject({ stop_grace_period_ms: 90_000, stop_signal: 'SIGINT' });
    expect(s(stack, 'batch')).toMatchObject({
      replicas: 2,
      limits: { cpus: 2, memory_bytes: 1.5 * 1024 ** 3 },
    });
    expect(s(stack, 'edge').replicas).toBe(0);
  },
  'x-alicia-settings': (stack) => {
    expect(stack.x_alicia).toEqual({
      backoff: { min_ms: 2_000, max_ms: 120_000, reset_after_ms: 300_000, max_attempts: 5 },
      startup_timeout_ms: 90_000,
    });
    expect(s(stack, 'gateway').x_alicia).toEqual({
      hosts: ['pi-1', 'pi-2'],
      probe: {
        http: {
          url: 'http://127.0.0.1:8443/healthz',
          interval_ms: 5_000,
          timeout_ms: 1_000,
          expect_status: [200, 204],
          degraded_after_ms: 300,
        },
      },
      backoff: { min_ms: 500, max_ms: 120_000, reset_after_ms: 600_000, max_attempts: 10 },
      unhealthy_threshold: 3,
      priority: 100,
      category: 'edge',
    });
    expect(s(stack, 'gateway').environment).toEqual({ TZ: 'Europe/Paris' });
    expect(s(stack, 'broker').x_alicia).toEqual({
      probe: { tcp: { host: '127.0.0.1', port: 1883, interval_ms: 10_000, timeout_ms: 5_000 } },
      backoff: { min_ms: 2_000, max_ms: 120_000, reset_after_ms: 300_000, max_attempts: 5 },
      priority: 90,
      category: 'messaging',
    });
    // Probes and unhealthy_threshold are acted on by the agents now: no warning for them, nor
    // for service_healthy on a dependency whose health comes from its probe.
    expect(stack.warnings.map((w) => w.path)).toEqual([]);
  },
  'ports-forms': (stack) => {
    const rendered = s(stack, 'dns').ports.map(
      (p) => `${p.host_ip ?? '*'}:${p.published ?? '-'}:${p.target}/${p.protocol}/${p.mode}`,
    );
    expect(rendered).toEqual([
      '*:53:53/udp/ingress',
      '*:53:53/tcp/ingress',
      '127.0.0.1:5353:53/udp/ingress',
      '*:-:8053/tcp/ingress',
      '*:-:9153/tcp/ingress',
      '127.0.0.1:-:8080/tcp/ingress',
      '*:10000:10000/tcp/ingress',
      '*:10001:10001/tcp/ingress',
      '*:10002:10002/tcp/ingress',
      '*:20000-20010:20000/tcp/ingress',
      '::1:5380:5380/tcp/ingress',
      '*:8443:443/tcp/host',
      '*:8853:853/udp/ingress',
    ]);
  },
  'command-entrypoint': (stack) => {
    // Split like a shell, as Compose does: the words, not one script for sh -c.
    expect(s(stack, 'quoted')).toMatchObject({
      entrypoint: ['/bin/sh', '-c'],
      command: ['echo', 'hello world', '&&', 'sleep', '3600'],
    });
    expect(s(stack, 'escaped').command).toEqual(['printf', 'a b\\tc', 'd "e"', 'f g']);
    expect(s(stack, 'listed').command).toEqual(["trap 'exit 0' TERM; while true; do sleep 1; done"]);
    expect(s(stack, 'numbers')).toMatchObject({
      command: ['sleep', '3600'],
      working_dir: '/tmp',
      user: '1000:1000',
      hostname: 'numbers-host',
    });
  },
  'yaml-anchors': (stack) => {
    expect(s(stack, 'orders')).toMatchObject({
      restart: 'unless-stopped',
      environment: { TZ: 'UTC', LOG_FORMAT: 'json' },
      labels: { 'com.example.stack': 'shop' },
      healthcheck: {
        test: ['CMD', 'orders', 'health'],
        interval_ms: 20_000,
        timeout_ms: 5_000,
        retries: 3,
        disable: false,
      },
    });
    expect(s(stack, 'payments').environment).toEqual({ TZ: 'UTC', LOG_FORMAT: 'text', PROVIDER: 'stripe' });
  },
  'restart-policies': (stack) => {
    expect(
      Object.fromEntries(Object.entries(stack.services).map(([name, spec]) => [name, spec.restart])),
    ).toEqual({
      never: 'no',
      always: 'always',
      'unless-stopped': 'unless-stopped',
      'on-failure': 'on-failure',
      'on-failure-3': 'on-failure:3',
      default: 'no',
    });
    expect(s(stack, 'on-failure-3')).toMatchObject({ cap_add: ['NET_ADMIN', 'SYS_TIME'], cap_drop: ['ALL'] });
  },
};

describe('compose fixtures', () => {
  it('has at least 15 fixtures, a check for every valid one, and broken ones', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
    expect(valid.map((f) => f.name).sort()).toEqual(Object.keys(CHECKS).sort());
    expect(broken.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(valid)('$name', (fixture) => {
    it('loads into the model it means', async () => {
      const stack = await load(fixture);
      expect(stack.name).toBe(fixture.name);
      CHECKS[fixture.name]?.(stack, fixture.dir);
    });

    it('renders an output that loads back into the same stack', async () => {
      const stack = await load(fixture);
      const again = parseStack([{ file: 'rendered.json', text: JSON.stringify(toComposeJson(stack)) }], {
        projectDirectory: fixture.dir,
        env: {},
        // Secret and config files are named by path in the output, never printed.
        readFile: (path) => readOptionalFile(path),
      });
      expect(again.name).toBe(stack.name);
      expect(again.services).toEqual(stack.services);
      expect(again.x_alicia).toEqual(stack.x_alicia);
    });
  });

  describe.each(broken)('$name', (fixture) => {
    it('fails with its one clear error', async () => {
      const expected = fixture.error;
      const err = await load(fixture).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!isAliciaError(err) || !expected) throw new Error(`expected an AliciaError, got ${String(err)}`);
      expect(err.code).toBe(expected.code);
      expect(err.details).toMatchObject({
        file: join(fixture.dir, expected.file),
        path: expected.path,
        line: expected.line,
        column: expected.column,
      });
      expect(err.message).toContain(expected.message);
    });
  });
});
