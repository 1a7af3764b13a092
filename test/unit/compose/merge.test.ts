// Multi-file merging, by Compose's rules.
import { describe, expect, it } from 'vitest';
import { DIR, expectError, FILE, parse, service } from './helpers.js';

const OVERRIDE = `${DIR}/compose.override.yaml`;
const merged = (base: string, override: string) =>
  parse([
    { file: FILE, text: base },
    { file: OVERRIDE, text: override },
  ]);

describe('merging files', () => {
  it('replaces scalars and merges maps key by key', () => {
    const stack = merged(
      'services:\n  s:\n    image: a:1\n    restart: always\n    environment: {A: "1", B: "1"}\n    labels: [x=1]\n',
      'services:\n  s:\n    image: a:2\n    environment: [B=2, C=2]\n    labels: {y: "2"}\n',
    );
    const s = service(stack, 's');
    expect(s.image).toBe('a:2');
    expect(s.restart).toBe('always');
    expect(s.environment).toEqual({ A: '1', B: '2', C: '2' });
    expect(s.labels).toEqual({ x: '1', y: '2' });
  });

  it('replaces command, entrypoint and healthcheck.test, merging the other healthcheck fields', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    command: [a, b]\n    entrypoint: [sh]\n    healthcheck: {test: [CMD, a], interval: 10s, retries: 3}\n',
        'services:\n  s:\n    command: c\n    healthcheck: {test: "b", interval: 5s}\n',
      ),
      's',
    );
    expect(s.command).toEqual(['c']);
    expect(s.entrypoint).toEqual(['sh']);
    expect(s.healthcheck).toEqual({
      test: ['CMD-SHELL', 'b'],
      interval_ms: 5_000,
      retries: 3,
      disable: false,
    });
  });

  it('keeps ports unique by host IP, published port, target and protocol', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    ports: ["80:80", "53:53/udp"]\n',
        'services:\n  s:\n    ports: ["80:80", "53:53", "443:443"]\n',
      ),
      's',
    );
    expect(s.ports.map((p) => `${p.published}:${p.target}/${p.protocol}`)).toEqual([
      '80:80/tcp',
      '53:53/udp',
      '53:53/tcp',
      '443:443/tcp',
    ]);
  });

  it('keeps volumes unique by target, the later file winning', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    volumes: ["./a:/data", "./logs:/logs"]\n',
        'services:\n  s:\n    volumes: ["/mnt/ssd:/data:ro"]\n',
      ),
      's',
    );
    expect(s.volumes).toEqual([
      { type: 'bind', source: '/mnt/ssd', target: '/data', read_only: true },
      { type: 'bind', source: `${DIR}/logs`, target: '/logs', read_only: false },
    ]);
  });

  it('merges depends_on per dependency, and appends constraints and capabilities', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    depends_on: [db]\n    cap_add: [A]\n    deploy: {placement: {constraints: ["node.role == manager"]}}\n  db:\n    image: d\n    healthcheck: {test: "true"}\n',
        'services:\n  s:\n    depends_on: {db: {condition: service_healthy}}\n    cap_add: [A, B]\n    deploy: {replicas: 2, placement: {constraints: ["node.labels.ssd == true"]}}\n',
      ),
      's',
    );
    expect(s.depends_on).toEqual({ db: { condition: 'service_healthy', required: true, restart: false } });
    expect(s.cap_add).toEqual(['A', 'B']);
    expect(s.replicas).toBe(2);
    expect(s.constraints.map((c) => c.field)).toEqual(['node.role', 'node.labels.ssd']);
  });

  it('merges resources field by field and x-alicia deeply, replacing its lists', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    deploy: {resources: {limits: {cpus: 1, memory: 1g}}}\n    x-alicia: {hosts: [pi-1], backoff: {min: 2s}, priority: 1}\n',
        'services:\n  s:\n    deploy: {resources: {limits: {memory: 2g}}}\n    x-alicia: {hosts: [pi-2], backoff: {max: 2m}}\n',
      ),
      's',
    );
    expect(s.limits).toEqual({ cpus: 1, memory_bytes: 2 * 1024 ** 3 });
    expect(s.x_alicia).toMatchObject({
      hosts: ['pi-2'],
      priority: 1,
      backoff: { min_ms: 2_000, max_ms: 120_000 },
    });
  });

  it('adds services, and takes name: from the last file that sets it', () => {
    const stack = merged(
      'name: first\nservices:\n  a:\n    image: a\n',
      'name: second\nservices:\n  b:\n    image: b\n',
    );
    expect(Object.keys(stack.services)).toEqual(['a', 'b']);
    expect(stack.name).toBe('second');
  });

  it('lets an override file supply what the base lacks, such as the image', () => {
    expect(
      service(merged('services:\n  s:\n    restart: always\n', 'services:\n  s:\n    image: late\n'), 's')
        .image,
    ).toBe('late');
  });

  it('honours !reset and !override on service attributes', () => {
    const s = service(
      merged(
        'services:\n  s:\n    image: a\n    ports: ["80:80"]\n    environment: {A: "1", B: "1"}\n    deploy: {replicas: 3}\n',
        'services:\n  s:\n    ports: !reset []\n    environment: !override {C: "3"}\n    deploy: !reset null\n',
      ),
      's',
    );
    expect(s.ports).toEqual([]);
    expect(s.environment).toEqual({ C: '3' });
    expect(s.replicas).toBe(1);
  });

  it('names the override file when the error is in it', () => {
    expectError(
      () => merged('services:\n  s:\n    image: a\n', 'services:\n  s:\n    restart: sometimes\n'),
      {
        code: 'ALICIA_ERR_COMPOSE_INVALID',
        file: OVERRIDE,
        path: 'services.s.restart',
        line: 3,
        column: 5,
      },
    );
  });

  it('names the file that set a value found wrong only after merging', () => {
    expectError(
      () =>
        merged(
          'services:\n  s:\n    image: a\n    scale: 2\n',
          'services:\n  s:\n    deploy: {replicas: 3}\n',
        ),
      {
        code: 'ALICIA_ERR_COMPOSE_INVALID',
        file: FILE,
        path: 'services.s.scale',
        line: 4,
        column: 5,
      },
    );
    expectError(
      () => merged('services:\n  s:\n    image: a\n', 'services:\n  s:\n    depends_on: [ghost]\n'),
      {
        code: 'ALICIA_ERR_DEPENDENCY_UNKNOWN',
        file: OVERRIDE,
        path: 'services.s.depends_on[0]',
      },
    );
  });
});
