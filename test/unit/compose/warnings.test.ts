// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
// Keys Alicia cannot honour are never dropped silently: each gives a warning naming the
// file and the path.
import { describe, expect, it } from 'vitest';
import { FILE, parse } from './helpers.js';

const warningsOf = (text: string, env: Record<string, string> = {}) => parse(text, { env }).warnings;
const svc = (body: string) => `services:\n  s:\n    image: busybox\n${body}`;

describe('warnings', () => {
  it.each([
    // external_links and platform are honoured since issue 11 (volumes-from-platform.test.ts).
    ['pull_refresh_after', '    pull_refresh_after: 1h\n', 'agents do not re-pull on a schedule'],
    ['pull_policy', '    pull_policy: daily\n', 'pull_policy daily is read as missing'],
    ['container_name', '    container_name: my-box\n', 'Alicia names containers itself'],
    ['deploy.labels', '    deploy: {labels: {a: b}}\n', 'deploy.labels label a Swarm service'],
    ['deploy.update_config', '    deploy: {update_config: {parallelism: 2}}\n', 'rolling-update settings'],
    [
      'deploy.placement.preferences',
      '    deploy: {placement: {preferences: [{spread: node.labels.zone}]}}\n',
      'placement preferences',
    ],
    [
      'deploy.resources.reservations.cpus',
      '    deploy: {resources: {reservations: {cpus: "0.5"}}}\n',
      'only memory is reserved on a single engine',
    ],
    [
      'deploy.restart_policy.delay',
      '    deploy: {restart_policy: {condition: any, delay: 5s}}\n',
      'x-alicia.backoff',
    ],
    ['ports[0].name', '    ports: [{target: 80, name: web}]\n', 'descriptive only'],
    // z/Z, propagation, nocopy, subpath and tmpfs size/mode are honoured since issue 11.
    [
      'volumes[0].volume.labels',
      '    volumes: [{type: volume, target: /a, volume: {labels: {a: b}}}]\n',
      'volume.labels',
    ],
    [
      'volumes[0].consistency',
      '    volumes: [{type: bind, source: ./a, target: /a, consistency: cached}]\n',
      'Docker Desktop only',
    ],
  ])('warns about services.s.%s', (path, body, message) => {
    const warnings = warningsOf(svc(body));
    expect(warnings).toEqual([
      { file: FILE, path: `services.s.${path}`, message: expect.stringContaining(message) },
    ]);
  });

  it('warns that build is ignored when an image is given', () => {
    expect(warningsOf(svc('    build: .\n'))).toEqual([
      { file: FILE, path: 'services.s.build', message: expect.stringContaining('does not build images') },
    ]);
  });

  it('warns about version (networks, volumes with options, secrets and configs are honoured)', () => {
    const text = [
      'version: "3.8"',
      'services:',
      '  s:',
      '    image: x',
      'networks:',
      '  backend: {driver: bridge}',
      '  plain: {}',
      'volumes:',
      '  data: {external: true}',
      '  plain:',
      'secrets:',
      '  token: {content: abc}',
      'configs:',
      '  conf: {content: abc}',
    ].join('\n');
    expect(warningsOf(text).map((w) => w.path)).toEqual(['version']);
  });

  it('warns once per unset variable, at the first place it is used', () => {
    const warnings = warningsOf(
      svc('    environment:\n      A: ${MISSING}\n      B: ${MISSING}\n      C: ${ALSO_MISSING:-}\n'),
    );
    expect(warnings).toEqual([
      {
        file: FILE,
        path: 'services.s.environment.A',
        message: expect.stringContaining('variable "MISSING" is not set'),
      },
    ]);
  });

  it('warns when restart and deploy.restart_policy disagree, keeping restart', () => {
    const stack = parse(svc('    restart: always\n    deploy: {restart_policy: {condition: none}}\n'));
    expect(stack.services.s?.restart).toBe('always');
    expect(stack.warnings).toEqual([
      {
        file: FILE,
        path: 'services.s.deploy',
        message: expect.stringContaining('restart_policy is ignored'),
      },
    ]);
  });

  it('warns when service_healthy waits for a service with no healthcheck in the file', () => {
    const stack = parse(
      'services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_healthy}}\n  b:\n    image: x\n',
    );
    expect(stack.warnings).toEqual([
      {
        file: FILE,
        path: 'services.a.depends_on.b',
        message: expect.stringContaining('relies on the HEALTHCHECK of its image'),
      },
    ]);
  });

  it('stays silent for empty or false values, the default network and other x-* keys', () => {
    const text =
      svc('    networks: [default]\n    init: false\n    links: []\n    x-notes: anything\n') +
      'x-anchors: {a: 1}\n';
    expect(warningsOf(text)).toEqual([]);
  });
});
