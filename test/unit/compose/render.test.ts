// toComposeJson: the shape of `docker compose config --format json`, and an output that
// loads back into the same stack.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, type ServiceSpec, type Stack } from '../../../src/compose/model.js';
import { startLayers, toComposeJson } from '../../../src/compose/render.js';
import { parse } from './helpers.js';

describe('toComposeJson', () => {
  it('renders the model like docker compose config, plus x-alicia', () => {
    const stack = parse(
      [
        'name: shop',
        'x-alicia: {startup_timeout: 2m}',
        'services:',
        '  web:',
        '    image: nginx',
        '    command: nginx -g "daemon off;"',
        '    environment: [A=1, B]',
        '    ports: ["127.0.0.1:8080:80"]',
        '    volumes: ["data:/data:ro", "/srv:/srv"]',
        '    depends_on: {db: {condition: service_healthy, restart: true}}',
        '    healthcheck: {test: curl -f http://localhost, interval: 1m30s, timeout: 500ms, retries: 3}',
        '    deploy:',
        '      replicas: 2',
        '      placement: {constraints: ["node.labels.zone==garage"]}',
        '      resources: {limits: {cpus: "0.5", memory: 512M}}',
        '    stop_grace_period: 1m',
        '    labels: {price: "$$5"}',
        '    x-alicia: {hosts: [pi-1], probe: {http: {url: "http://127.0.0.1:8080/"}}}',
        '  db:',
        '    image: postgres',
        '    healthcheck: {test: [CMD, pg_isready]}',
        '  job:',
        '    image: busybox',
        '    healthcheck: {disable: true}',
        'volumes:',
        '  data:',
      ].join('\n'),
    );
    expect(toComposeJson(stack)).toEqual({
      name: 'shop',
      services: {
        db: {
          deploy: { replicas: 1 },
          healthcheck: { test: ['CMD', 'pg_isready'] },
          image: 'postgres',
          restart: 'no',
          'x-alicia': { backoff: { max: '1m0s', max_attempts: 5, min: '1s', reset_after: '5m0s' } },
        },
        job: {
          deploy: { replicas: 1 },
          healthcheck: { disable: true, test: ['NONE'] },
          image: 'busybox',
          restart: 'no',
          'x-alicia': { backoff: { max: '1m0s', max_attempts: 5, min: '1s', reset_after: '5m0s' } },
        },
        web: {
          command: ['nginx', '-g', 'daemon off;'],
          depends_on: { db: { condition: 'service_healthy', required: true, restart: true } },
          deploy: {
            placement: { constraints: ['node.labels.zone == garage'] },
            replicas: 2,
            resources: { limits: { cpus: 0.5, memory: '536870912' } },
          },
          environment: { A: '1', B: null },
          healthcheck: {
            interval: '1m30s',
            retries: 3,
            test: ['CMD-SHELL', 'curl -f http://localhost'],
            timeout: '500ms',
          },
          image: 'nginx',
          labels: { price: '$$5' },
          ports: [{ host_ip: '127.0.0.1', mode: 'ingress', protocol: 'tcp', published: '8080', target: 80 }],
          restart: 'no',
          stop_grace_period: '1m0s',
          volumes: [
            { read_only: true, source: 'data', target: '/data', type: 'volume' },
            { source: '/srv', target: '/srv', type: 'bind' },
          ],
          'x-alicia': {
            backoff: { max: '1m0s', max_attempts: 5, min: '1s', reset_after: '5m0s' },
            hosts: ['pi-1'],
            probe: { http: { interval: '10s', timeout: '5s', url: 'http://127.0.0.1:8080/' } },
          },
        },
      },
      volumes: { data: {} },
      'x-alicia': { startup_timeout: '2m0s' },
    });
  });

  it('gives the start order layer by layer', () => {
    const stack = parse(
      'services:\n  web:\n    image: x\n    depends_on: [api]\n  api:\n    image: x\n    depends_on: [db, cache]\n  db:\n    image: x\n  cache:\n    image: x\n',
    );
    expect(startLayers(stack)).toEqual([['cache', 'db'], ['api'], ['web']]);
  });
});

describe('round trip', () => {
  const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
  const text = fc.string({ maxLength: 12 });
  const ms = fc.integer({ min: 1, max: 3 * 3_600_000 });
  const port = fc
    .record(
      {
        target: fc.integer({ min: 1, max: 65535 }),
        published: fc.oneof(
          fc.integer({ min: 1, max: 65535 }).map(String),
          fc
            .tuple(fc.integer({ min: 1, max: 60000 }), fc.integer({ min: 1, max: 100 }))
            .map(([a, n]) => `${a}-${a + n}`),
        ),
        host_ip: fc.constantFrom('127.0.0.1', '0.0.0.0', '::1'),
        protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'sctp' as const),
        mode: fc.constantFrom('ingress' as const, 'host' as const),
      },
      { requiredKeys: ['target', 'protocol', 'mode'] },
    )
    // What the loader makes: a `ports` entry without a host port is published on a free one
    // (ephemeral); an `expose` entry has neither host port nor address, in ingress mode.
    .chain((p) =>
      p.published !== undefined
        ? fc.constant(p)
        : fc.oneof(
            fc.constant({ ...p, ephemeral: true as const }),
            fc.constant({ target: p.target, protocol: p.protocol, mode: 'ingress' as const }),
          ),
    );
  const volume = fc.oneof(
    fc.record({
      type: fc.constant('bind' as const),
      source: name.map((n) => `/srv/${n}`),
      target: name.map((n) => `/${n}`),
      read_only: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('volume' as const),
      source: name,
      target: name.map((n) => `/v/${n}`),
      read_only: fc.boolean(),
    }),
    fc.record({
      type: fc.constant('tmpfs' as const),
      target: name.map((n) => `/t/${n}`),
      read_only: fc.boolean(),
    }),
  );
  const healthcheck = fc.oneof(
    fc.constant({ test: ['NONE'] as ['NONE'], disable: true }),
    fc.record(
      {
        test: fc.oneof(
          text.filter((t) => t.trim() !== '').map((t): ['CMD-SHELL', string] => ['CMD-SHELL', t]),
          fc
            .array(text, { minLength: 1, maxLength: 3 })
            .map(([first = 'x', ...rest]): ['CMD', string, ...string[]] => ['CMD', first, ...rest]),
        ),
        interval_ms: ms,
        timeout_ms: ms,
        start_period_ms: fc.integer({ min: 0, max: 600_000 }),
        retries: fc.integer({ min: 1, max: 10 }),
        disable: fc.constant(false),
      },
      { requiredKeys: ['test', 'disable'] },
    ),
  );
  const serviceBody = fc.record(
    {
      image: text.filter((t) => t.trim() !== ''),
      command: fc.array(text, { maxLength: 4 }),
      entrypoint: fc.array(text, { maxLength: 2 }),
      environment: fc.dictionary(
        fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/),
        fc.option(text, { nil: null }),
        { maxKeys: 4 },
      ),
      // The loader lists `ports` entries before `expose` ones.
      ports: fc
        .array(port, { maxLength: 3 })
        .map((list) => [
          ...list.filter((p) => p.published !== undefined || 'ephemeral' in p),
          ...list.filter((p) => p.published === undefined && !('ephemeral' in p)),
        ]),
      volumes: fc.uniqueArray(volume, { maxLength: 3, selector: (v) => v.target }),
      healthcheck,
      restart: fc.constantFrom(
        'no' as const,
        'always' as const,
        'unless-stopped' as const,
        'on-failure' as const,
        'on-failure:3',
      ),
      replicas: fc.integer({ min: 0, max: 5 }),
      constraints: fc.array(
        fc.record({
          field: fc.constantFrom('node.hostname', 'node.role', 'node.labels.zone', 'node.platform.arch'),
          op: fc.constantFrom('==' as const, '!=' as const),
          value: name,
        }),
        { maxLength: 2 },
      ),
      limits: fc.record(
        {
          cpus: fc.integer({ min: 1, max: 32 }).map((n) => n / 4),
          memory_bytes: fc.integer({ min: 1, max: 2 ** 40 }),
          pids: fc.integer({ min: 1, max: 4096 }),
        },
        { requiredKeys: [] },
      ),
      stop_grace_period_ms: fc.integer({ min: 0, max: 600_000 }),
      labels: fc.dictionary(
        name.filter((n) => !n.startsWith('alicia')),
        text,
        { maxKeys: 3 },
      ),
      user: fc.constantFrom('1000', 'root', '1000:1000'),
      privileged: fc.boolean(),
      cap_add: fc.uniqueArray(fc.constantFrom('NET_ADMIN', 'SYS_TIME'), { maxLength: 2 }),
      hosts: fc.array(name, { minLength: 1, maxLength: 2 }),
      priority: fc.integer({ min: -100, max: 100 }),
    },
    {
      requiredKeys: [
        'image',
        'environment',
        'ports',
        'volumes',
        'restart',
        'replicas',
        'constraints',
        'labels',
        'privileged',
        'cap_add',
      ],
    },
  );
  const stackArb = fc
    .uniqueArray(fc.tuple(name, serviceBody), { minLength: 1, maxLength: 4, selector: ([n]) => n })
    .chain((entries) =>
      fc.tuple(
        fc.constant(entries),
        fc.array(fc.boolean(), {
          minLength: entries.length * entries.length,
          maxLength: entries.length * entries.length,
        }),
      ),
    );

  it('loads what it renders back into the same stack', () => {
    fc.assert(
      fc.property(stackArb, ([entries, edges]) => {
        const services: Record<string, ServiceSpec> = {};
        entries.forEach(([serviceName, body], index) => {
          const { hosts, priority, limits, ...rest } = body;
          // Dependencies only on earlier services: the graph stays acyclic.
          const depends_on = Object.fromEntries(
            entries
              .slice(0, index)
              .filter((_, j) => edges[index * entries.length + j])
              .map(([dep]) => [
                dep,
                { condition: 'service_started' as const, required: true, restart: false },
              ]),
          );
          services[serviceName] = {
            ...rest,
            name: serviceName,
            depends_on,
            cap_drop: [],
            ...(limits && Object.keys(limits).length > 0 ? { limits } : {}),
            x_alicia: {
              backoff: DEFAULT_BACKOFF,
              ...(hosts ? { hosts } : {}),
              ...(priority !== undefined ? { priority } : {}),
            },
          };
        });
        const stack: Stack = { name: 'roundtrip', services, x_alicia: {}, warnings: [] };
        const again = parse(JSON.stringify(toComposeJson(stack)));
        expect(again.name).toBe(stack.name);
        expect(again.services).toEqual(stack.services);
      }),
      { numRuns: 200 },
    );
  });

  it('renders a probe start_period and loads it back', () => {
    const stack = parse(
      [
        'services:',
        '  web:',
        '    image: nginx',
        '    x-alicia:',
        '      probe: {http: {url: "http://127.0.0.1:8080/", start_period: 1m30s}}',
        '  mq:',
        '    image: mosquitto',
        '    x-alicia: {probe: {tcp: {port: 1883, start_period: 5s}}}',
        '',
      ].join('\n'),
    );
    const json = toComposeJson(stack) as { services: Record<string, { 'x-alicia': unknown }> };
    expect(json.services.web?.['x-alicia']).toMatchObject({ probe: { http: { start_period: '1m30s' } } });
    expect(json.services.mq?.['x-alicia']).toMatchObject({ probe: { tcp: { start_period: '5s' } } });
    const again = parse(JSON.stringify(json));
    expect(again.services.web?.x_alicia.probe?.http?.start_period_ms).toBe(90_000);
    expect(again.services.mq?.x_alicia.probe?.tcp?.start_period_ms).toBe(5_000);
  });
});
