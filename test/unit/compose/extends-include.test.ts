// The Compose file keys that bring in other files or other services: extends (same file and
// other files, with Compose's merge rules), include, profiles through a deploy bundle,
// env_file with required: false and format: raw.
import { describe, expect, it } from 'vitest';
import { parseBundle } from '../../../src/compose/bundle.js';
import { compileContainerSpec } from '../../../src/compose/compile.js';
import { errorOf, parse, service } from './helpers.js';

describe('extends', () => {
  it('merges a service over its base in the same file by the override rules', () => {
    const stack = parse(
      [
        'services:',
        '  base:',
        '    image: app:1',
        '    environment: {A: "1", B: "1"}',
        '    ports: ["8080:80"]',
        '    command: ["sleep", "1"]',
        '    labels: {tier: base}',
        '  web:',
        '    extends: base',
        '    environment: {B: "2", C: "3"}',
        '    ports: ["8443:443"]',
        '    command: ["sleep", "2"]',
        '  worker:',
        '    extends: {service: web}',
        '    ports: !reset []',
        '',
      ].join('\n'),
    );
    const web = service(stack, 'web');
    expect(web.image).toBe('app:1');
    expect(web.environment).toEqual({ A: '1', B: '2', C: '3' });
    expect(web.ports.map((p) => p.published)).toEqual(['8080', '8443']);
    expect(web.command).toEqual(['sleep', '2']);
    expect(web.labels).toMatchObject({ tier: 'base' });
    const worker = service(stack, 'worker');
    expect(worker.environment).toEqual({ A: '1', B: '2', C: '3' });
    expect(worker.ports).toEqual([]);
    // The base stays a service of its own, as in Compose.
    expect(Object.keys(stack.services).sort()).toEqual(['base', 'web', 'worker']);
  });

  it('extends a service of another file, whose relative paths are relative to that file', () => {
    const stack = parse('services:\n  web:\n    extends: {file: ./common/base.yaml, service: app}\n', {
      disk: {
        '/project/common/base.yaml': [
          'services:',
          '  app:',
          '    image: app:${TAG:-2}',
          '    env_file: ./app.env',
          '    volumes: ["./data:/data"]',
          '  unused: {image: other}',
          '',
        ].join('\n'),
        '/project/common/app.env': 'FROM_FILE=yes\n',
      },
    });
    expect(Object.keys(stack.services)).toEqual(['web']);
    const web = service(stack, 'web');
    expect(web.image).toBe('app:2');
    expect(web.environment).toEqual({ FROM_FILE: 'yes' });
    expect(web.volumes[0]).toMatchObject({ type: 'bind', source: '/project/common/data', target: '/data' });
  });

  it('names a missing base, a missing file and a cycle', () => {
    const missing = errorOf(() => parse('services:\n  web: {extends: nope, image: x}\n'));
    expect(missing.code).toBe('ALICIA_ERR_COMPOSE_NOT_FOUND');
    expect(missing.message).toContain('services.web.extends: no service "nope"');
    const file = errorOf(() => parse('services:\n  web: {extends: {file: gone.yaml, service: a}}\n'));
    expect(file.message).toContain('services.web.extends.file: file /project/gone.yaml not found');
    const cycle = errorOf(() =>
      parse('services:\n  a: {extends: b, image: x}\n  b: {extends: a, image: x}\n'),
    );
    expect(cycle.code).toBe('ALICIA_ERR_COMPOSE_INVALID');
    expect(cycle.message).toContain('extends forms a cycle');
    const bad = errorOf(() => parse('services:\n  a: {extends: {file: x.yaml}, image: x}\n'));
    expect(bad.message).toContain('services.a.extends.service: service is required');
  });
});

describe('include', () => {
  const disk = {
    '/project/db/compose.yaml': [
      'services:',
      '  db:',
      '    image: postgres:${PG_TAG}',
      '    volumes: ["./init:/docker-entrypoint-initdb.d"]',
      'volumes: {}',
      '',
    ].join('\n'),
    '/project/db/.env': 'PG_TAG=16\n',
  };

  it('loads an included file as its own project: its directory and its .env', () => {
    const stack = parse('include: [db/compose.yaml]\nservices:\n  app: {image: app, depends_on: [db]}\n', {
      disk,
    });
    expect(Object.keys(stack.services).sort()).toEqual(['app', 'db']);
    expect(service(stack, 'db').image).toBe('postgres:16');
    expect(service(stack, 'db').volumes[0]).toMatchObject({ source: '/project/db/init' });
    expect(service(stack, 'app').depends_on.db).toBeDefined();
  });

  it('takes the long form: project_directory and env_file', () => {
    const stack = parse(
      'include:\n  - path: db/compose.yaml\n    project_directory: .\n    env_file: other.env\nservices: {}\n',
      { disk: { ...disk, '/project/other.env': 'PG_TAG=15\n' } },
    );
    expect(service(stack, 'db').image).toBe('postgres:15');
    expect(service(stack, 'db').volumes[0]).toMatchObject({ source: '/project/init' });
  });

  it('refuses a service defined twice, a missing file and a cycle', () => {
    const twice = errorOf(() =>
      parse('include: [db/compose.yaml]\nservices:\n  db: {image: mine}\n', { disk }),
    );
    expect(twice.message).toContain('also defined by the included file /project/db/compose.yaml');
    const gone = errorOf(() => parse('include: [nope.yaml]\nservices: {}\n'));
    expect(gone.code).toBe('ALICIA_ERR_COMPOSE_NOT_FOUND');
    expect(gone.message).toContain('include[0]: included file /project/nope.yaml not found');
    const cycle = errorOf(() =>
      parse('include: [a.yaml]\nservices:\n  x: {image: x}\n', {
        disk: { '/project/a.yaml': 'include: [compose.yaml]\nservices:\n  y: {image: y}\n' },
      }),
    );
    expect(cycle.message).toContain('include forms a cycle');
  });
});

describe('profiles', () => {
  it('names the profile to enable when an active service depends on an inactive one', () => {
    const text = 'services:\n  app: {image: a, depends_on: [dbg]}\n  dbg: {image: d, profiles: [debug]}\n';
    const err = errorOf(() => parse(text));
    expect(err.code).toBe('ALICIA_ERR_DEPENDENCY_UNKNOWN');
    expect(err.message).toContain(
      'runs only with profile debug; enable it (--profile debug or COMPOSE_PROFILES)',
    );
    expect(Object.keys(parse(text, { profiles: ['debug'] }).services)).toEqual(['app', 'dbg']);
  });
});

describe('env_file options', () => {
  it('skips a missing file with required: false and reads format: raw literally', () => {
    const stack = parse(
      'services:\n  s:\n    image: x\n    env_file:\n      - {path: absent.env, required: false}\n      - {path: raw.env, format: raw}\n',
      { disk: { '/project/raw.env': '# comment\nQUOTED="a b"\nVAR=${HOME} # not a comment\n' } },
    );
    expect(service(stack, 's').environment).toEqual({ QUOTED: '"a b"', VAR: '${HOME} # not a comment' });
    const bad = errorOf(() =>
      parse('services:\n  s:\n    image: x\n    env_file: [{path: raw.env, format: json}]\n', {
        disk: { '/project/raw.env': '' },
      }),
    );
    expect(bad.message).toContain('services.s.env_file[0].format: "json" is not an env file format');
  });
});

describe('files in a deploy bundle', () => {
  it('carries extended and included files and --profile to the orchestrator', () => {
    const stack = parseBundle({
      project_directory: '/srv/stack',
      compose: ['compose.yaml'],
      files: [
        {
          path: 'compose.yaml',
          kind: 'compose',
          text: 'include: [inc/compose.yaml]\nservices:\n  web: {extends: {file: base.yaml, service: b}}\n  dbg: {image: d, profiles: [debug]}\n',
        },
        { path: 'base.yaml', kind: 'compose', text: 'services:\n  b: {image: base}\n' },
        { path: 'inc/compose.yaml', kind: 'compose', text: 'services:\n  cache: {image: redis}\n' },
      ],
      env: {},
      profiles: ['debug'],
    });
    expect(Object.keys(stack.services).sort()).toEqual(['cache', 'dbg', 'web']);
    expect(compileContainerSpec(stack.name, service(stack, 'web')).image).toBe('base');
  });
});
