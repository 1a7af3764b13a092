// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
// Every error the loader can give: its code, the file, the path, and where known the line
// and column, plus a message that says what to do.
import { describe, expect, it } from 'vitest';
import { DIR, errorOf, expectError, FILE, parse } from './helpers.js';

const svc = (body: string) => `services:\n  s:\n    image: busybox\n${body}`;

describe('YAML errors', () => {
  it('names the file, line and column of a syntax error', () => {
    const err = expectError(() => parse('services:\n  web:\n    image: nginx\n     ports: []\n'), {
      code: 'ALICIA_ERR_COMPOSE_YAML',
      path: '',
      line: 3,
      column: 12,
    });
    expect(err.message).toContain(`${FILE}:3:12: Nested mappings are not allowed`);
  });

  it('reports duplicate keys, which YAML forbids', () => {
    expectError(() => parse('services:\n  web:\n    image: a\n    image: b\n'), {
      code: 'ALICIA_ERR_COMPOSE_YAML',
      line: 4,
      column: 5,
    });
  });

  it('reports an unclosed flow sequence', () => {
    expectError(() => parse('services:\n  web:\n    image: a\n    ports: [80\n'), {
      code: 'ALICIA_ERR_COMPOSE_YAML',
    });
  });

  it('refuses merge tags anywhere but on service attributes', () => {
    expectError(() => parse('services:\n  s:\n    image: x\n    healthcheck:\n      test: !reset []\n'), {
      code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      line: 5,
      column: 20,
    });
  });
});

describe('file shape', () => {
  it('refuses an empty file and a file that is not a mapping', () => {
    expectError(() => parse(''), { code: 'ALICIA_ERR_COMPOSE_INVALID', path: '' });
    expectError(() => parse('- a\n- b\n'), { code: 'ALICIA_ERR_COMPOSE_INVALID', path: '' });
  });

  it('refuses a stack without services', () => {
    expectError(() => parse('volumes: {}\n'), { code: 'ALICIA_ERR_COMPOSE_INVALID', path: 'services' });
  });

  it('refuses unknown top-level keys, suggesting the right one', () => {
    const err = expectError(() => parse('service:\n  s:\n    image: x\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'service',
      line: 1,
      column: 1,
    });
    expect(err.message).toContain('did you mean "services"?');
  });

  it('refuses a service key that is not in the Compose spec', () => {
    const err = expectError(() => parse(svc('    enviroment: {A: 1}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.enviroment',
      line: 4,
      column: 5,
    });
    expect(err.message).toContain('did you mean "environment"?');
  });

  it('refuses invalid service names', () => {
    expectError(() => parse('services:\n  "-bad":\n    image: x\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.-bad',
    });
    expectError(() => parse('services:\n  "a b":\n    image: x\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.a b',
    });
  });

  it('refuses a service without image or build', () => {
    const err = expectError(() => parse('services:\n  s:\n    restart: always\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s',
      line: 2,
      column: 3,
    });
    expect(err.message).toContain('add image:');
  });

  it('names the missing file of an include and the missing base of an extends', () => {
    // Both are honoured since issue 11 (extends-include.test.ts); what is missing is named.
    expectError(() => parse('include: [other.yaml]\nservices:\n  s:\n    image: x\n'), {
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
      path: 'include[0]',
    });
    expectError(() => parse(svc('    extends: base\n')), {
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
      path: 'services.s.extends',
    });
  });
});

describe('interpolation errors', () => {
  it('names the path and gives the message of ${VAR:?message}', () => {
    const err = expectError(
      () => parse(svc('    environment:\n      TOKEN: ${TOKEN:?create a token first}\n')),
      {
        code: 'ALICIA_ERR_COMPOSE_INTERPOLATION',
        path: 'services.s.environment.TOKEN',
        line: 5,
        column: 7,
      },
    );
    expect(err.message).toContain('required variable "TOKEN" is not set: create a token first');
  });

  it('refuses a lone "$" and says how to escape it', () => {
    const err = expectError(() => parse(svc('    command: echo costs $5\n')), {
      code: 'ALICIA_ERR_COMPOSE_INTERPOLATION',
      path: 'services.s.command',
    });
    expect(err.message).toContain('write $$ for a literal "$"');
  });
});

describe('value errors', () => {
  it.each([
    ['    healthcheck: {test: "true", interval: 10}\n', 'services.s.healthcheck.interval', 'has no unit'],
    [
      '    healthcheck: {test: "true", timeout: soon}\n',
      'services.s.healthcheck.timeout',
      'is not a duration',
    ],
    ['    stop_grace_period: 1x\n', 'services.s.stop_grace_period', 'is not a duration'],
    [
      '    healthcheck: {test: [CURL, x]}\n',
      'services.s.healthcheck.test',
      'starts with "CMD", "CMD-SHELL" or "NONE"',
    ],
    ['    healthcheck: {test: [CMD-SHELL, a, b]}\n', 'services.s.healthcheck.test', 'exactly one string'],
    ['    healthcheck: {test: [CMD]}\n', 'services.s.healthcheck.test', 'needs the program'],
    ['    healthcheck: {test: "true", retries: 0}\n', 'services.s.healthcheck.retries', 'must be 1 or more'],
    ['    healthcheck: {test: "true", every: 5s}\n', 'services.s.healthcheck.every', 'unknown key'],
    ['    restart: sometimes\n', 'services.s.restart', 'is not a restart policy'],
    ['    ports: ["http:80"]\n', 'services.s.ports[0]', 'is not a port or range'],
    ['    ports: ["80/icmp"]\n', 'services.s.ports[0]', 'protocol "icmp"'],
    ['    ports: ["8000-8002:80-81"]\n', 'services.s.ports[0]', 'make them the same size'],
    ['    ports: [{published: 80}]\n', 'services.s.ports[0].target', 'is required'],
    ['    ports: ["1:2:3:4"]\n', 'services.s.ports[0]', 'is not a port mapping'],
    ['    ports: [{target: 70000}]\n', 'services.s.ports[0].target', 'is not a port'],
    ['    volumes: ["./a:relative"]\n', 'services.s.volumes[0]', 'must be an absolute path'],
    ['    volumes: ["./a:/a:rx"]\n', 'services.s.volumes[0]', 'is not a mount option'],
    ['    volumes: [{type: bind, target: /a}]\n', 'services.s.volumes[0].source', 'needs the host path'],
    [
      '    volumes: [{type: tmpfs, source: x, target: /a}]\n',
      'services.s.volumes[0].source',
      'has no source',
    ],
    ['    environment: [42, "=x"]\n', 'services.s.environment[1]', 'has no name'],
    ['    environment: {A: {nested: 1}}\n', 'services.s.environment.A', 'expected a string'],
    ['    labels: "a=b"\n', 'services.s.labels', 'expected a mapping or a list'],
    ['    command: "echo \'open"\n', 'services.s.command', 'never closed'],
    ['    command: {run: x}\n', 'services.s.command', 'expected a string or a list'],
    ['    privileged: maybe\n', 'services.s.privileged', 'expected true or false'],
    ['    deploy: {replicas: many}\n', 'services.s.deploy.replicas', 'expected a whole number'],
    ['    deploy: {replicas: -1}\n', 'services.s.deploy.replicas', 'must be 0 or more'],
    [
      '    deploy: {resources: {limits: {memory: lots}}}\n',
      'services.s.deploy.resources.limits.memory',
      'is not a size',
    ],
    [
      '    deploy: {resources: {limits: {cpus: 0}}}\n',
      'services.s.deploy.resources.limits.cpus',
      'positive number of CPUs',
    ],
    [
      '    deploy: {resources: {limit: {cpus: 1}}}\n',
      'services.s.deploy.resources.limit',
      'did you mean "limits"?',
    ],
    ['    deploy: {mode: replicatd}\n', 'services.s.deploy.mode', 'is not a deploy mode'],
    [
      '    deploy: {restart_policy: {condition: sometimes}}\n',
      'services.s.deploy.restart_policy.condition',
      'is not a restart condition',
    ],
    [
      '    depends_on: {db: {condition: service_ready}}\n',
      'services.s.depends_on.db.condition',
      'is not a condition',
    ],
    [
      '    depends_on: {db: {required: true}}\n',
      'services.s.depends_on.db.condition',
      'condition is required',
    ],
    [
      '    depends_on: {db: {condition: service_started, wait: 5s}}\n',
      'services.s.depends_on.db.wait',
      'unknown key',
    ],
    ['    env_file: missing.env\n', 'services.s.env_file', 'not found'],
  ])('%s → %s', (body, path, message) => {
    const err = errorOf(() => parse(svc(body)));
    expect(err.details).toMatchObject({ file: expect.any(String), path });
    expect(err.message).toContain(message);
    expect(['ALICIA_ERR_COMPOSE_INVALID', 'ALICIA_ERR_COMPOSE_NOT_FOUND']).toContain(err.code);
  });

  it.each([
    ['    healthcheck: curl localhost\n', 'services.s.healthcheck', 'expected a mapping'],
    ['    healthcheck: {test: ""}\n', 'services.s.healthcheck.test', 'the test is empty'],
    ['    healthcheck: {test: [NONE, x]}\n', 'services.s.healthcheck.test', 'takes no arguments'],
    [
      '    healthcheck: {test: "true", interval: 0s}\n',
      'services.s.healthcheck.interval',
      'must be more than 0',
    ],
    ['    cap_add: NET_ADMIN\n', 'services.s.cap_add', 'expected a list of strings'],
    ['    ports: "80:80"\n', 'services.s.ports', 'expected a list of ports'],
    ['    ports: [true]\n', 'services.s.ports[0]', 'expected a port'],
    ['    ports: ["[::1:80:80"]\n', 'services.s.ports[0]', 'is not a port mapping'],
    [
      '    ports: [{target: 80, published: web}]\n',
      'services.s.ports[0].published',
      'is not a port or a range',
    ],
    [
      '    ports: [{target: 80, protocol: icmp}]\n',
      'services.s.ports[0].protocol',
      'is not one of tcp, udp, sctp',
    ],
    ['    ports: [{target: 80, mode: bridge}]\n', 'services.s.ports[0].mode', 'is not one of ingress, host'],
    ['    volumes: ./data:/data\n', 'services.s.volumes', 'expected a list of volumes'],
    ['    volumes: ["a:/b:ro:extra"]\n', 'services.s.volumes[0]', 'is not a volume'],
    ['    volumes: [":/b"]\n', 'services.s.volumes[0]', 'is not a volume'],
    ['    volumes: [{target: /a}]\n', 'services.s.volumes[0].type', 'the mount type is required'],
    [
      '    volumes: [{type: bind, source: ./a}]\n',
      'services.s.volumes[0].target',
      'the mount target is required',
    ],
    ['    volumes: ["~/a:/a"]\n', 'services.s.volumes[0]', 'HOME is not set'],
    ['    volumes: [42]\n', 'services.s.volumes[0]', 'expected a volume'],
    ['    depends_on: db\n', 'services.s.depends_on', 'expected a list of services or a mapping'],
    ['    env_file: [{required: false}]\n', 'services.s.env_file[0].path', 'path is required'],
    ['    env_file: {path: a.env}\n', 'services.s.env_file', 'expected a path or a list'],
  ])('%s → %s', (body, path, message) => {
    const err = expectError(() => parse(svc(body)), { code: 'ALICIA_ERR_COMPOSE_INVALID', path });
    expect(err.message).toContain(message);
  });

  it('refuses an image that is not a name', () => {
    expectError(() => parse('services:\n  s:\n    image: [nginx]\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.image',
    });
    expectError(() => parse('services:\n  s:\n    image: ""\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.image',
    });
  });

  it('refuses services that is not a mapping', () => {
    expectError(() => parse('services: [a, b]\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services',
      line: 1,
      column: 1,
    });
  });

  it('refuses YAML with too many aliases (a "billion laughs" file)', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++)
      lines.push(
        `${'bcdefg'[i]}: &${'bcdefg'[i]} [${Array(10)
          .fill(`*${i === 0 ? 'a' : 'bcdefg'[i - 1]}`)
          .join(', ')}]`,
      );
    expectError(() => parse(`${lines.join('\n')}\nservices:\n  s:\n    image: x\n`), {
      code: 'ALICIA_ERR_COMPOSE_YAML',
      path: '',
    });
  });

  it('gives the line and column of a bad value', () => {
    expectError(() => parse(svc('    healthcheck:\n      test: "true"\n      interval: 10\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.healthcheck.interval',
      line: 6,
      column: 7,
    });
  });
});

describe('constraints', () => {
  it.each([
    ['node.hostname = pi-1', 'is not a constraint'],
    ['hostname == pi-1', 'is not a constraint field'],
    ['node.labels == x', 'is not a constraint field'],
    ['node.hostname ==', 'has no value'],
    ['node.cpu >= 4', 'is not a constraint'],
  ])('refuses %j, naming the constraint', (constraint, message) => {
    const err = expectError(
      () => parse(svc(`    deploy:\n      placement:\n        constraints:\n          - "${constraint}"\n`)),
      {
        code: 'ALICIA_ERR_COMPOSE_INVALID',
        path: 'services.s.deploy.placement.constraints[0]',
        line: 7,
        column: 13,
      },
    );
    expect(err.message).toContain(message);
  });

  it('refuses engine labels as unsupported, pointing at node labels', () => {
    const err = expectError(
      () => parse(svc('    deploy: {placement: {constraints: ["engine.labels.ssd == true"]}}\n')),
      {
        code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
        path: 'services.s.deploy.placement.constraints[0]',
      },
    );
    expect(err.message).toContain('node.labels.ssd');
  });
});

describe('x-alicia errors', () => {
  it.each([
    ['    x-alicia: {host: [pi-1]}\n', 'services.s.x-alicia.host', 'did you mean "hosts"?'],
    ['    x-alicia: {x-note: hi}\n', 'services.s.x-alicia.x-note', 'unknown key'],
    ['    x-alicia: {probe: {grpc: {}}}\n', 'services.s.x-alicia.probe.grpc', 'unknown key'],
    [
      '    x-alicia: {probe: {http: {url: "ftp://x"}}}\n',
      'services.s.x-alicia.probe.http.url',
      'is not an http(s) URL',
    ],
    [
      '    x-alicia: {probe: {http: {url: "http://a", interval: 0s}}}\n',
      'services.s.x-alicia.probe.http.interval',
      'longer than 0s',
    ],
    [
      '    x-alicia: {probe: {http: {url: "http://a", expect_status: [700]}}}\n',
      'services.s.x-alicia.probe.http.expect_status[0]',
      'is not an HTTP status',
    ],
    ['    x-alicia: {probe: {tcp: {port: 0}}}\n', 'services.s.x-alicia.probe.tcp.port', 'must be 1 or more'],
    [
      '    x-alicia: {backoff: {min: 1s, maximum: 1m}}\n',
      'services.s.x-alicia.backoff.maximum',
      'unknown key',
    ],
    ['    x-alicia: {backoff: {min: soon}}\n', 'services.s.x-alicia.backoff.min', 'is not a duration'],
    [
      '    x-alicia: {unhealthy_threshold: 0}\n',
      'services.s.x-alicia.unhealthy_threshold',
      'must be 1 or more',
    ],
    ['    x-alicia: {priority: high}\n', 'services.s.x-alicia.priority', 'expected a whole number'],
    ['    x-alicia: {start_probe: sometimes}\n', 'services.s.x-alicia.start_probe', 'expected true or false'],
    ['    x-alicia: {hosts: [""]}\n', 'services.s.x-alicia.hosts[0]', 'must not be empty'],
  ])('%s → %s', (body, path, message) => {
    const err = expectError(() => parse(svc(body)), { code: 'ALICIA_ERR_COMPOSE_INVALID', path });
    expect(err.message).toContain(message);
  });

  it('refuses unknown top-level x-alicia keys', () => {
    expectError(() => parse('x-alicia: {startup: 10s}\nservices:\n  s:\n    image: x\n'), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'x-alicia.startup',
      line: 1,
      column: 12,
    });
  });

  it('refuses probes without their address and a backoff whose min exceeds its max', () => {
    expectError(() => parse(svc('    x-alicia: {probe: {http: {interval: 5s}}}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.x-alicia',
    });
    expectError(() => parse(svc('    x-alicia: {probe: {tcp: {host: db}}}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.x-alicia',
    });
    expectError(() => parse(svc('    x-alicia: {backoff: {min: 2m}}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.x-alicia',
    });
    expectError(() => parse(`x-alicia: {backoff: {min: 5m}}\n${svc('')}`), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'x-alicia.backoff',
    });
  });

  it('refuses x-alicia and labels that disagree on priority or category, and a bad priority label', () => {
    expectError(() => parse(svc('    labels: {alicia.priority: "1"}\n    x-alicia: {priority: 2}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.x-alicia',
    });
    expectError(() => parse(svc('    labels: {alicia.category: a}\n    x-alicia: {category: b}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.x-alicia',
    });
    expectError(() => parse(svc('    labels: [alicia.priority=high]\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.labels',
    });
  });
});

describe('settings that contradict each other', () => {
  it('refuses scale and deploy.replicas that disagree', () => {
    const err = expectError(() => parse(svc('    scale: 2\n    deploy: {replicas: 3}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.scale',
      line: 4,
      column: 5,
    });
    expect(err.message).toContain('scale (2) and deploy.replicas (3) disagree');
  });

  it('refuses a limit given twice with different values', () => {
    expectError(() => parse(svc('    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 512m}}}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.mem_limit',
    });
  });

  it('refuses a disabled healthcheck with other settings, and one without a test', () => {
    expectError(() => parse(svc('    healthcheck: {disable: true, interval: 5s}\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.healthcheck',
    });
    expectError(() => parse(svc('    healthcheck: {interval: 5s}\n')), {
      code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      path: 'services.s.healthcheck',
    });
  });

  it('refuses a build without an image: Alicia runs images', () => {
    const err = expectError(() => parse('services:\n  app:\n    build: .\n'), {
      code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      path: 'services.app.build',
      line: 3,
      column: 5,
    });
    expect(err.message).toContain('Alicia runs images; build and push it first');
  });

  it('refuses global mode and mount types it cannot make', () => {
    expectError(() => parse(svc('    deploy: {mode: global}\n')), {
      code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      path: 'services.s.deploy.mode',
    });
    expectError(() => parse(svc('    volumes: [{type: npipe, source: x, target: /x}]\n')), {
      code: 'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      path: 'services.s.volumes[0].type',
    });
  });

  it('refuses a named volume that is not declared at the top level', () => {
    const err = expectError(() => parse(svc('    volumes: ["data:/data"]\n')), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'services.s.volumes[0]',
      line: 4,
      column: 15,
    });
    expect(err.message).toContain('volume "data" is not declared');
  });
});

describe('dependency errors', () => {
  it('names both services of an unknown dependency', () => {
    const err = expectError(() => parse('services:\n  api:\n    image: x\n    depends_on: [db]\n'), {
      code: 'ALICIA_ERR_DEPENDENCY_UNKNOWN',
      path: 'services.api.depends_on[0]',
      line: 4,
      column: 18,
    });
    expect(err.message).toContain('service "api" depends on "db", which is not in the stack');
  });

  it('names an unknown service in network_mode: service:x', () => {
    expectError(() => parse('services:\n  api:\n    image: x\n    network_mode: "service:vpn"\n'), {
      code: 'ALICIA_ERR_DEPENDENCY_UNKNOWN',
      path: 'services.api.network_mode',
    });
  });

  it('gives the cycle, from the graph, with the file and path of its first edge', () => {
    const text = [
      'services:',
      '  a:',
      '    image: x',
      '    depends_on: [b]',
      '  b:',
      '    image: x',
      '    depends_on: [c]',
      '  c:',
      '    image: x',
      '    depends_on: [a]',
    ].join('\n');
    const err = expectError(() => parse(text), {
      code: 'ALICIA_ERR_DEPENDENCY_CYCLE',
      path: 'services.a.depends_on[0]',
      line: 4,
      column: 18,
    });
    expect(err.message).toContain('a → b → c → a');
    expect(err.details.cycle).toEqual(['a', 'b', 'c', 'a']);
  });

  it('reports a service that depends on itself', () => {
    expect(errorOf(() => parse('services:\n  a:\n    image: x\n    depends_on: [a]\n')).message).toContain(
      'a → a',
    );
  });

  it('refuses waiting for a service whose healthcheck is disabled', () => {
    expectError(
      () =>
        parse(
          'services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_healthy}}\n  b:\n    image: x\n    healthcheck: {disable: true}\n',
        ),
      { code: 'ALICIA_ERR_COMPOSE_INVALID', path: 'services.a.depends_on.b' },
    );
  });
});

describe('project name errors', () => {
  it('refuses an invalid -p, COMPOSE_PROJECT_NAME or name:, and a directory that yields no name', () => {
    const text = 'services:\n  s:\n    image: x\n';
    expect(errorOf(() => parse(text, { projectName: 'My Stack' })).details).toMatchObject({ file: '-p' });
    expect(errorOf(() => parse(text, { env: { COMPOSE_PROJECT_NAME: 'UPPER' } })).details).toMatchObject({
      file: 'COMPOSE_PROJECT_NAME',
    });
    expectError(() => parse(`name: Bad.Name\n${text}`), {
      code: 'ALICIA_ERR_COMPOSE_INVALID',
      path: 'name',
      line: 1,
      column: 1,
    });
    expect(errorOf(() => parse(text, { projectDirectory: '/srv/...' })).message).toContain('-p NAME');
  });

  it('errors when no file is given', () => {
    expect(errorOf(() => parse([], {})).code).toBe('ALICIA_ERR_COMPOSE_NOT_FOUND');
  });

  it('uses the project directory for .env', () => {
    expect(
      parse('services:\n  s:\n    image: ${IMG}\n', { disk: { [`${DIR}/.env`]: 'IMG=from-dotenv\n' } })
        .services.s?.image,
    ).toBe('from-dotenv');
  });
});
