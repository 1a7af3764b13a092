// Needs root and Docker (Debian's docker.io): three lab hosts (docs/lab.md), a real agent per
// host in its namespace, the embedded broker on the lab bridge and the orchestrator in this
// process (test/lab/lab-cluster.ts). Issue 13, counting right across moves: kill -9 of the
// agent of the host holding cache and api (stateless; api waits for cache to be healthy) →
// both move, each as a new incarnation with a new instance id (events, `ps --json`, Docker's
// labels), api started only once cache is healthy on its new host; the agent back → the
// predecessors' containers (one still running, one exited) are removed on it and every
// engine holds exactly the desired containers. It fails, loudly, without root or Docker —
// never skips. Lab 7 is this file's.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/compose/index.js';
import type { ServiceState } from '../../src/protocol/index.js';
import { runAlicia } from '../helpers/cli.js';
import { TEST_IMAGE } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { dockerInHost } from './lab.js';
import { type LabCluster, labClusterAround } from './lab-cluster.js';

const LAB = 7;
const HOSTS = ['lab1', 'lab2', 'lab3'] as const;
type Host = (typeof HOSTS)[number];
const STACK = 'ri';
const SERVICES = ['cache', 'api'] as const;

const healthcheck = (test: string) =>
  `    healthcheck: { test: ["CMD", "sh", "-c", "${test}"], interval: 1s, timeout: 4s, retries: 2, start_period: 20s }`;
// cache answers only 2 s after it starts: an api started beside it (no order) would start
// well before cache is healthy. api's healthcheck reaches cache by name, across hosts.
const YAML = `name: ${STACK}
services:
  cache:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /w && echo cache > /w/index.html && sleep 2 && exec httpd -f -p 6379 -h /w"]
    ports: ["6379:6379"]
    restart: always
    stop_grace_period: 1s
${healthcheck('timeout 3 wget -q -O- http://127.0.0.1:6379/ | grep -q cache')}
  api:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "mkdir -p /w && echo api > /w/index.html && exec httpd -f -p 8080 -h /w"]
    ports: ["8080:8080"]
    restart: always
    stop_grace_period: 1s
    depends_on: { cache: { condition: service_healthy } }
${healthcheck('timeout 3 wget -q -O- http://cache:6379/ | grep -q cache')}
`;

let lab: () => LabCluster<Host>;

/** `alicia ps --json` (the built CLI) against the lab's broker. */
async function psJson(): Promise<ServiceState[]> {
  const creds = lab().embedded.credentials.operator;
  const run = await runAlicia(['ps', '--json', '--stack', STACK, '--broker', lab().embedded.broker.url], {
    env: {
      ...process.env,
      ALICIA_HOME: path.join(lab().dir, 'home'),
      ALICIA_USERNAME: creds.username,
      ALICIA_PASSWORD: creds.password,
    },
  });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { services: ServiceState[] }).services;
}

/** Every container of the stack on every engine: host -> `service instance state` lines. */
async function onEngines(): Promise<Record<Host, string[]>> {
  const out = {} as Record<Host, string[]>;
  for (const host of HOSTS) {
    const r = await dockerInHost(host, [
      'ps',
      '-a',
      '--filter',
      `label=alicia.stack=${STACK}`,
      '--format',
      '{{.Label "alicia.service"}} {{.Label "alicia.instance"}} {{.State}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    out[host] = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .sort();
  }
  return out;
}

/** When Docker started a container (ms). */
async function startedAt(host: Host, id: string): Promise<number> {
  const r = await dockerInHost(host, ['inspect', '-f', '{{.State.StartedAt}}', id]);
  return Date.parse(r.stdout.trim());
}

describe('counting right across moves: new incarnations, dependency order, predecessors removed', () => {
  lab = labClusterAround({ lab: LAB, hosts: HOSTS, name: 'reincarn', debug: 'RI_DEBUG' }, async (cluster) => {
    // Only lab1 online at the deploy: cache and api both land there.
    cluster.startAgent('lab1');
    await cluster.agentsOnline(['lab1']);
    const file = path.join(cluster.dir, 'compose.yaml');
    await writeFile(file, YAML);
    const { bundle } = await loadBundle({ files: [file] });
    await cluster.orchestrator.deploy(bundle);
    cluster.startAgent('lab2');
    cluster.startAgent('lab3');
    await cluster.agentsOnline(HOSTS);
  });

  it('kill -9 of the agent holding cache and api: both move as new incarnations, api after cache is healthy; back: predecessors removed', async () => {
    const before = await psJson();
    const oldIds = Object.fromEntries(
      SERVICES.map((s) => [s, before.find((r) => r.service === s)?.instances.map((i) => i.instance) ?? []]),
    );
    expect(Object.fromEntries(before.map((r) => [r.service, r.hosts]))).toEqual({
      api: ['lab1'],
      cache: ['lab1'],
    });
    for (const s of SERVICES) expect(oldIds[s]).toHaveLength(1);

    const t0 = Date.now();
    await lab().killAgent('lab1');
    // Both moved, api healthy on its new host (its healthcheck reaches cache by name).
    const apiOn = await until(() => lab().healthyOn(STACK, 'api', ['lab2', 'lab3']), {
      timeoutMs: 30_000,
      what: 'api healthy on lab2 or lab3',
    });
    const cacheOn = await until(() => lab().healthyOn(STACK, 'cache', ['lab2', 'lab3']), {
      timeoutMs: 10_000,
      what: 'cache healthy on lab2 or lab3',
    });
    console.info(
      `moved: cache to ${cacheOn}, api to ${apiOn}; api healthy ${Date.now() - t0} ms after the kill`,
    );

    // The events name the new incarnations and the instances they replace.
    const moves = lab()
      .eventsSince(t0, 'service_rescheduled')
      .map((e) => e.event.event_data);
    expect(moves.map((m) => m.service).sort()).toEqual(['api', 'cache']);
    const newIds: Record<string, string> = {};
    for (const m of moves) {
      expect(m.from).toBe('lab1');
      expect(m.replaces).toBe(oldIds[m.service]?.[0]);
      expect(m.instance).toBe(`${m.replaces}_1`);
      newIds[m.service] = m.instance;
    }
    expect(moves.find((m) => m.service === 'cache')?.to).toBe(cacheOn);
    expect(moves.find((m) => m.service === 'api')?.to).toBe(apiOn);

    // Dependency order, from the events: api waited for cache, and was started only after
    // cache was healthy on its new host ...
    const order = lab()
      .events.filter((e) => e.at >= t0)
      .map((e) => e.event)
      .filter(
        (e) =>
          (e.event_type === 'service_starting' ||
            e.event_type === 'service_healthy' ||
            e.event_type === 'service_waiting') &&
          e.event_data.stack === STACK,
      );
    const index = (type: string, service: string) =>
      order.findIndex(
        (e) => e.event_type === type && 'service' in e.event_data && e.event_data.service === service,
      );
    const cacheHealthy = index('service_healthy', 'cache');
    const apiStarting = index('service_starting', 'api');
    expect(cacheHealthy).toBeGreaterThanOrEqual(0);
    expect(apiStarting).toBeGreaterThan(cacheHealthy);
    expect(index('service_waiting', 'api')).toBeLessThan(cacheHealthy);
    const healthyEvent = order[cacheHealthy];
    const startingEvent = order[apiStarting];
    expect(startingEvent?.event_type === 'service_starting' && startingEvent.event_data.instances).toEqual([
      newIds.api,
    ]);
    // ... and from Docker: api's container started after the orchestrator saw cache healthy
    // (one clock: the lab's hosts share this machine's), cache's at least 2 s before that.
    const [apiId] = await lab().containers(apiOn as Host, STACK, 'api');
    const [cacheId] = await lab().containers(cacheOn as Host, STACK, 'cache');
    const healthyAt = Date.parse(healthyEvent?.timestamp ?? '');
    const apiStarted = await startedAt(apiOn as Host, apiId ?? '');
    const cacheStarted = await startedAt(cacheOn as Host, cacheId ?? '');
    console.info(
      `order: cache started +${cacheStarted - t0} ms, healthy +${healthyAt - t0} ms, api started +${apiStarted - t0} ms`,
    );
    expect(apiStarted).toBeGreaterThanOrEqual(healthyAt);
    expect(apiStarted - cacheStarted).toBeGreaterThanOrEqual(2_000);

    // ps --json: the new ids, incarnation 1, on the new hosts; Docker's labels agree.
    const after = await psJson();
    for (const s of SERVICES) {
      const row = after.find((r) => r.service === s);
      expect(row?.instances.map((i) => [i.instance, i.incarnation, i.agent])).toEqual([
        [newIds[s], 1, s === 'api' ? apiOn : cacheOn],
      ]);
    }
    // The lost host still runs the predecessors (its agent is gone, its engine is not);
    // one of them exits while the host is away: both must go when it returns.
    const engines = await onEngines();
    expect(engines.lab1).toEqual([`api ${oldIds.api?.[0]} running`, `cache ${oldIds.cache?.[0]} running`]);
    const [oldCache] = await lab().containers('lab1', STACK, 'cache');
    expect((await dockerInHost('lab1', ['stop', '-t', '1', oldCache ?? ''])).code).toBe(0);

    const t1 = Date.now();
    lab().startAgent('lab1');
    await lab().agentsOnline(['lab1']);
    await until(async () => (await onEngines()).lab1.length === 0, {
      timeoutMs: 30_000,
      what: 'the predecessors removed from lab1',
    });
    console.info(`predecessors removed from lab1 ${Date.now() - t1} ms after its agent started again`);
    // Per engine, by label: exactly the desired containers — one running copy of each
    // service, the new incarnation, on its new host; a few samples apart, no duplicate.
    for (let i = 0; i < 3; i += 1) {
      const now = await onEngines();
      expect(now.lab1).toEqual([]);
      const all = [...now.lab2, ...now.lab3].sort();
      expect(all).toEqual([`api ${newIds.api} running`, `cache ${newIds.cache} running`]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const removed = lab()
      .eventsSince(t1, 'healing_action')
      .filter((e) => e.event.event_data.action === 'remove_unwanted')
      .flatMap((e) => e.event.event_data.instances ?? []);
    expect(removed.sort()).toEqual([`lab1/${oldIds.api?.[0]}`, `lab1/${oldIds.cache?.[0]}`].sort());
  }, 90_000);
});
