// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../../src/compose/model.js';
import { DIR, parse, service } from './helpers.js';

const one = (body: string, options: Parameters<typeof parse>[1] = {}) =>
  service(parse(`services:\n  s:\n    image: busybox\n${body}`, options), 's');

describe('service defaults', () => {
  it('fills in what Compose assumes when a key is absent', () => {
    const s = one('');
    expect(s).toEqual({
      name: 's',
      image: 'busybox',
      environment: {},
      ports: [],
      volumes: [],
      depends_on: {},
      restart: 'no',
      replicas: 1,
      constraints: [],
      labels: {},
      privileged: false,
      cap_add: [],
      cap_drop: [],
      x_alicia: { backoff: DEFAULT_BACKOFF },
    });
  });

  it('returns a deep-frozen stack', () => {
    const stack = parse('services:\n  s:\n    image: busybox\n    ports: ["80"]\n');
    expect(Object.isFrozen(stack)).toBe(true);
    expect(Object.isFrozen(service(stack, 's').ports[0])).toBe(true);
    expect(Object.isFrozen(service(stack, 's').x_alicia.backoff)).toBe(true);
  });
});

describe('environment and labels', () => {
  it('turns the list form into a map, "- FOO" into null and scalars into strings', () => {
    const s = one('    environment:\n      - A=1\n      - B=\n      - C\n      - D=x=y\n');
    expect(s.environment).toEqual({ A: '1', B: '', C: null, D: 'x=y' });
  });

  it('stringifies map values and keeps null for pass-through', () => {
    const s = one('    environment:\n      N: 3\n      T: true\n      P:\n      S: text\n');
    expect(s.environment).toEqual({ N: '3', T: 'true', P: null, S: 'text' });
  });

  it('reads labels as a list or a map; a label without value is empty', () => {
    expect(one('    labels: [a=b, c]\n').labels).toEqual({ a: 'b', c: '' });
    expect(one('    labels: {a: b, n: 1}\n').labels).toEqual({ a: 'b', n: '1' });
  });

  it('loads env_file relative to the project directory, below environment', () => {
    const s = one(
      '    env_file: [app.env, {path: missing.env, required: false}]\n    environment: {B: from-environment}\n',
      {
        disk: { [`${DIR}/app.env`]: 'A=from-file\nB=from-file\n' },
      },
    );
    expect(s.environment).toEqual({ A: 'from-file', B: 'from-environment' });
  });
});

describe('ports', () => {
  const ports = (list: string) => one(`    ports:\n${list}`).ports;

  it.each([
    ['"8080:80"', [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }]],
    // Without a host port, Compose publishes on a free port the engine picks (ephemeral).
    ['"80"', [{ target: 80, protocol: 'tcp', mode: 'ingress', ephemeral: true }]],
    ['80', [{ target: 80, protocol: 'tcp', mode: 'ingress', ephemeral: true }]],
    [
      '"127.0.0.1:8080:80/udp"',
      [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'udp', mode: 'ingress' }],
    ],
    [
      '"127.0.0.1::80"',
      [{ target: 80, host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress', ephemeral: true }],
    ],
    [
      '"[::1]:53:53/udp"',
      [{ target: 53, published: '53', host_ip: '::1', protocol: 'udp', mode: 'ingress' }],
    ],
    ['"8000-8010:80"', [{ target: 80, published: '8000-8010', protocol: 'tcp', mode: 'ingress' }]],
    ['"80/sctp"', [{ target: 80, protocol: 'sctp', mode: 'ingress', ephemeral: true }]],
  ])('reads %s', (item, expected) => {
    expect(ports(`      - ${item}\n`)).toEqual(expected);
  });

  it('expands container ranges into one entry per port', () => {
    expect(ports('      - "9000-9001:7000-7001"\n      - "5000-5001"\n')).toEqual([
      { target: 7000, published: '9000', protocol: 'tcp', mode: 'ingress' },
      { target: 7001, published: '9001', protocol: 'tcp', mode: 'ingress' },
      { target: 5000, protocol: 'tcp', mode: 'ingress', ephemeral: true },
      { target: 5001, protocol: 'tcp', mode: 'ingress', ephemeral: true },
    ]);
  });

  it('reads the long form with its defaults', () => {
    expect(
      ports('      - {target: 443, published: 8443, mode: host}\n      - {target: "53", protocol: UDP}\n'),
    ).toEqual([
      { target: 443, published: '8443', protocol: 'tcp', mode: 'host' },
      { target: 53, protocol: 'udp', mode: 'ingress', ephemeral: true },
    ]);
  });
});

describe('volumes', () => {
  const volumes = (list: string, env: Record<string, string> = {}) =>
    one(`    volumes:\n${list}`, { env }).volumes;

  it('resolves relative bind sources against the project directory', () => {
    expect(volumes('      - ./data:/data:ro\n      - ../shared:/shared\n      - /abs:/abs:rw\n')).toEqual([
      { type: 'bind', source: `${DIR}/data`, target: '/data', read_only: true },
      { type: 'bind', source: '/shared', target: '/shared', read_only: false },
      { type: 'bind', source: '/abs', target: '/abs', read_only: false },
    ]);
  });

  it('expands ~ from HOME', () => {
    expect(volumes('      - ~/media:/media\n', { HOME: '/home/pi' })).toEqual([
      { type: 'bind', source: '/home/pi/media', target: '/media', read_only: false },
    ]);
  });

  it('tells named volumes from binds and reads anonymous volumes and the long form', () => {
    const stack = parse(
      [
        'services:',
        '  s:',
        '    image: busybox',
        '    volumes:',
        '      - data:/var/lib/data',
        '      - /cache',
        '      - {type: tmpfs, target: /run}',
        '      - {type: volume, source: data, target: /backup, read_only: true}',
        '      - {type: bind, source: ./conf, target: /conf, bind: {create_host_path: true}}',
        'volumes:',
        '  data:',
      ].join('\n'),
    );
    expect(service(stack, 's').volumes).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib/data', read_only: false },
      { type: 'volume', target: '/cache', read_only: false },
      { type: 'tmpfs', target: '/run', read_only: false },
      { type: 'volume', source: 'data', target: '/backup', read_only: true },
      { type: 'bind', source: `${DIR}/conf`, target: '/conf', read_only: false },
    ]);
  });
});

describe('depends_on', () => {
  const stack = (deps: string) =>
    parse(
      `services:\n  a:\n    image: x\n    depends_on:\n${deps}\n  b:\n    image: x\n  c:\n    image: x\n    healthcheck: {test: "true"}\n`,
    );

  it('turns the list form into service_started, required, no restart', () => {
    expect(service(stack('      - b\n      - c'), 'a').depends_on).toEqual({
      b: { condition: 'service_started', required: true, restart: false },
      c: { condition: 'service_started', required: true, restart: false },
    });
  });

  it('reads the long form with every field', () => {
    const deps = [
      '      b: {condition: service_completed_successfully, restart: true}',
      '      c: {condition: service_healthy, required: false}',
    ].join('\n');
    expect(service(stack(deps), 'a').depends_on).toEqual({
      b: { condition: 'service_completed_successfully', required: true, restart: true },
      c: { condition: 'service_healthy', required: false, restart: false },
    });
  });

  it('drops an absent dependency marked required: false, as Compose does', () => {
    const deps =
      '      b: {condition: service_started}\n      ghost: {condition: service_started, required: false}';
    expect(Object.keys(service(stack(deps), 'a').depends_on)).toEqual(['b']);
  });
});

describe('healthcheck', () => {
  const check = (body: string) => one(`    healthcheck:\n${body}`).healthcheck;

  it('turns a string test into CMD-SHELL and durations into ms', () => {
    expect(
      check(
        '      test: curl -f http://localhost\n      interval: 1m30s\n      timeout: 500ms\n      start_period: 1h2m3.5s\n      start_interval: 2s\n      retries: 3\n',
      ),
    ).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      interval_ms: 90_000,
      timeout_ms: 500,
      start_period_ms: 3_723_500,
      start_interval_ms: 2_000,
      retries: 3,
      disable: false,
    });
  });

  it('keeps CMD and CMD-SHELL lists', () => {
    expect(check('      test: [CMD, pg_isready, -U, app]\n')?.test).toEqual([
      'CMD',
      'pg_isready',
      '-U',
      'app',
    ]);
    expect(check('      test: [CMD-SHELL, "exit 0"]\n')?.test).toEqual(['CMD-SHELL', 'exit 0']);
  });

  it('turns NONE and disable: true into a disabled check', () => {
    expect(check('      test: [NONE]\n')).toEqual({ test: ['NONE'], disable: true });
    expect(check('      disable: true\n')).toEqual({ test: ['NONE'], disable: true });
  });
});

describe('command and entrypoint', () => {
  it('splits strings like a shell and keeps lists, numbers as text', () => {
    const s = one('    entrypoint: /bin/sh -c\n    command: ["sleep", 10]\n');
    expect(s.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(s.command).toEqual(['sleep', '10']);
    expect(one(`    command: echo "a b" 'c d'\n`).command).toEqual(['echo', 'a b', 'c d']);
  });

  it('keeps an empty entrypoint, which clears the image one', () => {
    expect(one('    entrypoint: ""\n').entrypoint).toEqual([]);
  });
});

describe('deploy', () => {
  it('reads replicas, scale, constraints and resources', () => {
    const s = one(
      [
        '    deploy:',
        '      replicas: 3',
        '      placement:',
        '        constraints: ["node.hostname == pi-1", "node.labels.zone!=garage", "node.platform.arch == aarch64", "node.role == manager"]',
        '      resources:',
        '        limits: {cpus: "0.5", memory: 512M, pids: 100}',
        '        reservations: {cpus: 0.25, memory: 1g}',
        '',
      ].join('\n'),
    );
    expect(s.replicas).toBe(3);
    expect(s.constraints).toEqual([
      { field: 'node.hostname', op: '==', value: 'pi-1' },
      { field: 'node.labels.zone', op: '!=', value: 'garage' },
      { field: 'node.platform.arch', op: '==', value: 'aarch64' },
      { field: 'node.role', op: '==', value: 'manager' },
    ]);
    expect(s.limits).toEqual({ cpus: 0.5, memory_bytes: 536_870_912, pids: 100 });
    expect(s.reservations).toEqual({ cpus: 0.25, memory_bytes: 1_073_741_824 });
  });

  it('takes scale when deploy.replicas is absent, and both when they agree', () => {
    expect(one('    scale: 4\n').replicas).toBe(4);
    expect(one('    scale: 2\n    deploy: {replicas: 2}\n').replicas).toBe(2);
    expect(one('    deploy: {replicas: 0}\n').replicas).toBe(0);
  });

  it('reads the older cpus / mem_limit / mem_reservation / pids_limit spellings', () => {
    const s = one('    cpus: 1.5\n    mem_limit: 256m\n    mem_reservation: 64m\n    pids_limit: 50\n');
    expect(s.limits).toEqual({ cpus: 1.5, memory_bytes: 268_435_456, pids: 50 });
    expect(s.reservations).toEqual({ memory_bytes: 67_108_864 });
  });

  it('maps a Swarm restart_policy onto restart when restart is not set', () => {
    expect(one('    deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}\n').restart).toBe(
      'on-failure:3',
    );
    expect(one('    deploy: {restart_policy: {condition: any}}\n').restart).toBe('always');
    expect(one('    deploy: {restart_policy: {condition: none}}\n').restart).toBe('no');
  });
});

describe('other attributes', () => {
  it('reads restart, stop settings, user, working_dir, hostname, network_mode, privileged and capabilities', () => {
    const s = one(
      [
        '    restart: on-failure:3',
        '    stop_grace_period: 1m',
        '    stop_signal: SIGINT',
        '    user: 1000',
        '    working_dir: /app',
        '    hostname: box',
        '    network_mode: host',
        '    privileged: "true"',
        '    cap_add: [NET_ADMIN]',
        '    cap_drop: [ALL]',
        '',
      ].join('\n'),
    );
    expect(s).toMatchObject({
      restart: 'on-failure:3',
      stop_grace_period_ms: 60_000,
      stop_signal: 'SIGINT',
      user: '1000',
      working_dir: '/app',
      hostname: 'box',
      network_mode: 'host',
      privileged: true,
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
    });
  });

  it('casts interpolated strings back to numbers and booleans', () => {
    const s = one(
      '    deploy: {replicas: "${N}"}\n    privileged: ${P}\n    healthcheck: {test: "true", retries: "${N}"}\n',
      {
        env: { N: '3', P: 'false' },
      },
    );
    expect(s.replicas).toBe(3);
    expect(s.privileged).toBe(false);
    expect(s.healthcheck?.retries).toBe(3);
  });
});

describe('x-alicia', () => {
  it('reads per-service settings with durations in ms and probe defaults', () => {
    const s = one(
      [
        '    x-alicia:',
        '      hosts: [pi-1]',
        '      probe:',
        '        http: {url: "http://127.0.0.1:8080/healthz", expect_status: 204, degraded_after: 250ms}',
        '        tcp: {port: 8080}',
        '      backoff: {min: 500ms, max: 30s, reset_after: 10m, max_attempts: 3}',
        '      unhealthy_threshold: 2',
        '      start_probe: false',
        '      priority: 10',
        '      category: core',
        '',
      ].join('\n'),
    );
    expect(s.x_alicia).toEqual({
      hosts: ['pi-1'],
      probe: {
        http: {
          url: 'http://127.0.0.1:8080/healthz',
          interval_ms: 10_000,
          timeout_ms: 5_000,
          expect_status: [204],
          degraded_after_ms: 250,
        },
        tcp: { host: '127.0.0.1', port: 8080, interval_ms: 10_000, timeout_ms: 5_000 },
      },
      backoff: { min_ms: 500, max_ms: 30_000, reset_after_ms: 600_000, max_attempts: 3 },
      unhealthy_threshold: 2,
      start_probe: false,
      priority: 10,
      category: 'core',
    });
  });

  it('layers the backoff: DEFAULT_BACKOFF, then the stack x-alicia, then the service', () => {
    const stack = parse(
      [
        'x-alicia:',
        '  backoff: {min: 2s, max_attempts: 9}',
        '  startup_timeout: 90s',
        'services:',
        '  a:',
        '    image: x',
        '  b:',
        '    image: x',
        '    x-alicia: {backoff: {max_attempts: 2}}',
      ].join('\n'),
    );
    expect(stack.x_alicia).toEqual({
      backoff: { ...DEFAULT_BACKOFF, min_ms: 2_000, max_attempts: 9 },
      startup_timeout_ms: 90_000,
    });
    expect(service(stack, 'a').x_alicia.backoff).toEqual({
      ...DEFAULT_BACKOFF,
      min_ms: 2_000,
      max_attempts: 9,
    });
    expect(service(stack, 'b').x_alicia.backoff).toEqual({
      ...DEFAULT_BACKOFF,
      min_ms: 2_000,
      max_attempts: 2,
    });
  });

  it('reads priority and category from labels too', () => {
    const s = one('    labels: {alicia.priority: "-5", alicia.category: storage}\n');
    expect(s.x_alicia).toMatchObject({ priority: -5, category: 'storage' });
    expect(s.labels).toEqual({ 'alicia.priority': '-5', 'alicia.category': 'storage' });
  });
});

describe('project name', () => {
  const text = 'services:\n  s:\n    image: x\n';

  it('prefers -p, then COMPOSE_PROJECT_NAME, then name:, then the directory', () => {
    const withName = `name: from-file\n${text}`;
    expect(
      parse(withName, { projectName: 'from-flag', env: { COMPOSE_PROJECT_NAME: 'from-env' } }).name,
    ).toBe('from-flag');
    expect(parse(withName, { env: { COMPOSE_PROJECT_NAME: 'from-env' } }).name).toBe('from-env');
    expect(parse(withName, { disk: { [`${DIR}/.env`]: 'COMPOSE_PROJECT_NAME=from-dotenv\n' } }).name).toBe(
      'from-dotenv',
    );
    expect(parse(withName).name).toBe('from-file');
    expect(parse(text).name).toBe('project');
  });

  it('normalizes the directory name like Compose', () => {
    expect(parse(text, { projectDirectory: '/srv/My Home.Lab_2' }).name).toBe('myhomelab_2');
    expect(parse(text, { projectDirectory: '/srv/-_Stack' }).name).toBe('stack');
  });
});
