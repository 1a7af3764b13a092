// Runs the built CLI (`node dist/src/cli/main.js`; `npm test` builds first) and Debian's
// docker-compose 1.29.2 (`/usr/bin/docker-compose config`, no Docker engine needed) on
// every valid fixture under test/fixtures/compose, and compares what Alicia supports:
// services, image, command, entrypoint, environment, ports, volumes, depends_on with
// conditions, healthcheck, restart, replicas, placement, resources, labels and the plain
// scalars. x-alicia is Alicia's own and is left out. Also checks the `alicia config`
// command itself: output formats, --services, warnings, errors, default files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../../src/compose/durations.js';
import { platformArch } from '../../src/compose/runtime-keys.js';
import { shellSplit } from '../../src/compose/shell-split.js';
import { parseBytes } from '../../src/compose/units.js';

const REPO = new URL('../../', import.meta.url).pathname;
const CLI = join(REPO, 'dist/src/cli/main.js');
const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const FIXTURES = join(REPO, 'test/fixtures/compose');

interface Fixture {
  name: string;
  dir: string;
  files: string[];
  env: Record<string, string>;
  broken: boolean;
}

const fixtures: Fixture[] = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = join(FIXTURES, entry.name);
    const meta = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as {
      files: string[];
      env?: Record<string, string>;
      error?: unknown;
    };
    return {
      name: entry.name,
      dir,
      files: meta.files,
      env: meta.env ?? {},
      broken: meta.error !== undefined,
    };
  });
const valid = fixtures.filter((f) => !f.broken);

/** Runs a command with a controlled environment: only PATH plus what the fixture sets. */
function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function fileArgs(fixture: Fixture): string[] {
  return [
    '--project-directory',
    fixture.dir,
    ...fixture.files.flatMap((file) => ['-f', join(fixture.dir, file)]),
  ];
}

function alicia(fixture: Fixture, extra: string[] = []) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return run(process.execPath, [CLI, 'config', ...fileArgs(fixture), ...extra], {
    cwd: fixture.dir,
    env: fixture.env,
  });
}

type Raw = Record<string, unknown>;
const asRecord = (value: unknown): Raw =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const ms = (value: unknown): number | undefined => {
  if (value === undefined) return undefined;
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
};
// docker-compose v1 keeps command/entrypoint strings as written; Compose v2 and Alicia
// split them with shell rules (the split itself is unit-tested in shell-split tests).
const words = (value: unknown): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  const split = shellSplit(String(value));
  if (!split.ok) throw new Error(split.message);
  return split.words;
};

/** A port as one comparable string: host_ip|published|target|protocol|mode. */
function portKey(port: unknown): string {
  if (typeof port === 'string' || typeof port === 'number') {
    // v1 prints entries with a host IP in the short form: "127.0.0.1:9000:9000/udp".
    const [spec = '', protocol = 'tcp'] = String(port).split('/');
    const parts = spec.split(':');
    const target = parts.pop() ?? '';
    const published = parts.pop() ?? '';
    return [parts.join(':'), published, target, protocol, 'ingress'].join('|');
  }
  const p = asRecord(port);
  // v1 leaves out the default protocol (tcp) and mode (ingress) and prints published as a number.
  return [p.host_ip ?? '', p.published ?? '', p.target, p.protocol ?? 'tcp', p.mode ?? 'ingress']
    .map(String)
    .join('|');
}

/** A volume as type|source|target|ro. */
function volumeKey(volume: unknown, named: (source: string) => boolean): string {
  if (typeof volume === 'string') {
    // v1 prints the short form "source:target:mode" with the source already resolved.
    const parts = volume.split(':');
    if (parts.length === 1) return ['volume', '', parts[0], false].join('|');
    const [source = '', target = '', mode = 'rw'] = parts;
    const type = named(source) ? 'volume' : 'bind';
    return [type, source, target, mode.split(',').includes('ro')].join('|');
  }
  const v = asRecord(volume);
  return [v.type, v.source ?? '', v.target, v.read_only === true].join('|');
}

function resources(value: unknown): Raw | undefined {
  if (value === undefined) return undefined;
  const r = asRecord(value);
  const out: Raw = {};
  if (r.cpus !== undefined) out.cpus = Number(r.cpus);
  if (r.memory !== undefined) {
    // v1 prints memory as written ("512M"); Compose v2 and Alicia print bytes.
    const bytes = parseBytes(/^\d+$/.test(String(r.memory)) ? Number(r.memory) : r.memory);
    if (!bytes.ok) throw new Error(bytes.message);
    out.memory = bytes.value;
  }
  if (r.pids !== undefined) out.pids = Number(r.pids);
  return out;
}

/** Only the fields Alicia supports, in one form for both tools. */
function comparable(config: Raw, env: Record<string, string> = {}): Record<string, Raw> {
  const declared = new Set(Object.keys(asRecord(config.volumes)));
  const active = (env.COMPOSE_PROFILES ?? '').split(',').filter(Boolean);
  const out: Record<string, Raw> = {};
  for (const [name, raw] of Object.entries(asRecord(config.services))) {
    const s = asRecord(raw);
    // v1's config lists the services of every profile; `up` runs only those of an active one
    // (and so does Alicia's config): leave out the others (parity.test.ts proves `up`).
    const profiles = asArray(s.profiles).map(String);
    if (profiles.length > 0 && !profiles.some((p) => active.includes(p))) continue;
    const deploy = asRecord(s.deploy);
    const health = s.healthcheck === undefined ? undefined : asRecord(s.healthcheck);
    // v1 keeps a string test as written; Docker (and Compose v2, and Alicia) run it with the shell.
    const test = typeof health?.test === 'string' ? ['CMD-SHELL', health.test] : health?.test;
    out[name] = {
      image: s.image,
      command: words(s.command),
      entrypoint: words(s.entrypoint),
      // v1 prints numbers in an environment map as numbers; the environment is text.
      environment: Object.fromEntries(
        Object.entries(asRecord(s.environment)).map(([k, v]) => [k, v === null ? null : String(v)]),
      ),
      // v1 sorts ports; order carries no meaning in Compose.
      // Alicia keeps `expose` as ports that are not published (Docker's ExposedPorts).
      ports: [
        ...asArray(s.ports).map(portKey),
        ...asArray(s.expose).map((e) => {
          const [target, protocol = 'tcp'] = String(e).split('/');
          return `||${target}|${protocol}|ingress`;
        }),
      ].sort(),
      volumes: asArray(s.volumes).map((v) => volumeKey(v, (source) => declared.has(source))),
      // v1 predates `required` and `restart` in depends_on; compare the conditions.
      depends_on: {
        // v1 orders by volumes_from and network_mode service:x without listing them; Alicia
        // (as Compose v2) makes them dependencies.
        ...Object.fromEntries(
          [
            ...asArray(s.volumes_from).map((v) => String(v).split(':')),
            ...(String(s.network_mode ?? '').startsWith('service:')
              ? [String(s.network_mode).split(':')]
              : []),
          ]
            .filter(([kind]) => kind === 'service')
            .map(([, dep]) => [dep, 'service_started']),
        ),
        ...Object.fromEntries(
          Object.entries(asRecord(s.depends_on)).map(([dep, d]) => [dep, asRecord(d).condition]),
        ),
      },
      // v1 prints a disabled check as test: [NONE] without disable: true; durations as "90s"
      // where v2 prints "1m30s": compare milliseconds.
      healthcheck: health && {
        test,
        interval: ms(health.interval),
        timeout: ms(health.timeout),
        start_period: ms(health.start_period),
        retries: health.retries,
      },
      // v1 leaves restart out when it is "no" (the default).
      restart: s.restart ?? 'no',
      // v1 keeps `scale` as written; both mean the number of replicas (default 1).
      replicas: deploy.replicas ?? s.scale ?? 1,
      // Constraints are printed as written by v1 and in one spacing ("a == b") by Alicia,
      // whose model holds them parsed: compare them without the blanks around the operator.
      constraints: [
        ...asArray(asRecord(deploy.placement).constraints).map((c) =>
          String(c).replace(/\s*(==|!=)\s*/, '$1'),
        ),
        // Alicia places a service with `platform` on hosts of that arch (a constraint).
        ...(s.platform !== undefined && !/node\.platform\.arch\s*==/.test(JSON.stringify(deploy))
          ? [`node.platform.arch==${platformArch(String(s.platform))}`]
          : []),
      ],
      // v1 keeps the legacy mem_limit / cpus / pids_limit as written; Alicia folds them into limits.
      limits:
        resources(asRecord(deploy.resources).limits) ??
        (s.mem_limit !== undefined || s.cpus !== undefined || s.pids_limit !== undefined
          ? resources({ memory: s.mem_limit, cpus: s.cpus, pids: s.pids_limit })
          : undefined),
      reservations:
        resources(asRecord(deploy.resources).reservations) ??
        (s.mem_reservation !== undefined ? resources({ memory: s.mem_reservation }) : undefined),
      labels: asRecord(s.labels),
      stop_grace_period: ms(s.stop_grace_period),
      stop_signal: s.stop_signal,
      user: s.user,
      working_dir: s.working_dir,
      hostname: s.hostname,
      network_mode: s.network_mode,
      privileged: s.privileged === true,
      cap_add: asArray(s.cap_add),
      cap_drop: asArray(s.cap_drop),
    };
  }
  return out;
}

describe('alicia config against docker-compose 1.29 config', () => {
  it('has docker-compose and valid fixtures to compare', () => {
    expect(existsSync(DOCKER_COMPOSE)).toBe(true);
    expect(valid.length).toBeGreaterThanOrEqual(15);
  });

  it.each(valid)(
    '$name: same services, images, commands, environment, ports, dependencies, healthchecks…',
    (fixture) => {
      const ours = alicia(fixture, ['--format', 'json']);
      expect(ours.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('warning: '))).toEqual(
        [],
      );
      expect(ours.status).toBe(0);
      const theirs = run(DOCKER_COMPOSE, [...fileArgs(fixture), 'config'], {
        cwd: fixture.dir,
        env: fixture.env,
      });
      expect(theirs.stderr).toBe('');
      expect(theirs.status).toBe(0);
      // docker-compose is Python (PyYAML): its output is YAML 1.1.
      const expected = comparable(parseYaml(theirs.stdout, { version: '1.1' }) as Raw, fixture.env);
      const actual = comparable(JSON.parse(ours.stdout) as Raw);
      expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
      for (const name of Object.keys(expected))
        expect({ [name]: actual[name] }).toEqual({ [name]: expected[name] });
    },
  );
});

describe('alicia config', () => {
  const byName = (name: string): Fixture => {
    const found = fixtures.find((f) => f.name === name);
    if (!found) throw new Error(`no fixture ${name}`);
    return found;
  };

  it('prints YAML by default, the same model as --format json', () => {
    const fixture = byName('web-db-cache');
    const yaml = alicia(fixture);
    const json = alicia(fixture, ['--format', 'json']);
    expect(yaml.status).toBe(0);
    expect(parseYaml(yaml.stdout, { version: '1.1' })).toEqual(JSON.parse(json.stdout));
  });

  it('prints the services in start order with --services', () => {
    const result = alicia(byName('depends-on-conditions'), ['--services']);
    expect(result.stdout).toBe('cache\ndb\nmigrate\napi\nworker\n');
  });

  it('prints warnings to stderr as warning: <file>: <path>: <message>, and nothing with --quiet', () => {
    // monitoring (pid: host, rslave) loads without warnings since issue 11; a CPU reservation still warns.
    const fixture = byName('deploy-placement-resources');
    const result = alicia(fixture, ['--quiet']);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      `warning: ${join(fixture.dir, 'compose.yaml')}: services.api.deploy.resources.reservations.cpus: only memory is reserved on a single engine; a CPU reservation is not applied (use limits.cpus)`,
    ]);
  });

  it('prints errors as alicia: <CODE>: <message> and exits 1', () => {
    const fixture = byName('broken-cycle');
    const result = alicia(fixture);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `alicia: ALICIA_ERR_DEPENDENCY_CYCLE: Services depend on each other in a cycle: ${join(fixture.dir, 'compose.yaml')}:7:9: services.api.depends_on[1]: api → worker → api; remove one of these dependencies\n`,
    );
  });

  it('finds compose.yaml and its override file in the working directory without -f', () => {
    const fixture = byName('multi-file-override');
    const result = run(process.execPath, [CLI, 'config', '--format', 'json', '-p', 'dev'], {
      cwd: fixture.dir,
    });
    expect(result.status).toBe(0);
    const config = JSON.parse(result.stdout) as { name: string; services: Record<string, { image: string }> };
    expect(config.name).toBe('dev');
    expect(config.services.web?.image).toBe('example/web:dev');
  });

  it('refuses an unknown --format', () => {
    const result = alicia(byName('media'), ['--format', 'toml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'alicia: ALICIA_ERR_CONFIG_INVALID: Configuration is invalid: --format must be yaml or json',
    );
  });
});
