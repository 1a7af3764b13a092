// Needs Docker: two engines — the run's own and a second private one that this file starts
// with scripts/docker-engine.sh (ALICIA_DOCKER_B_DIR / ALICIA_DOCKER_B_RUN, default
// /var/lib/alicia-dockerd-b and /run/alicia-dockerd-b; an engine already answering there is
// used) — one real agent on each, the orchestrator on aedes (port 0). Issue 13, test 4:
// `depends_on: {restart: true}` — after Alicia restarts a dependency (its agent heals it),
// its dependents on the other host restart once it is healthy again, and theirs after them.
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../agents/index.js';
import { eventSubject } from '../../src/protocol/index.js';
import { execIn, removeLabelled, TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { type Harness, labels, stackFrom, startHarness } from '../integration/orchestrator-harness.js';

const STACK = 'e2edeprestart';
const dockerA = testDocker();
let socketB = '';
let dockerB: Docker;

beforeAll(() => {
  const env = { ...process.env };
  delete env.DOCKER_HOST;
  env.ALICIA_DOCKER_DIR = process.env.ALICIA_DOCKER_B_DIR ?? '/var/lib/alicia-dockerd-b';
  env.ALICIA_DOCKER_RUN = process.env.ALICIA_DOCKER_B_RUN ?? '/run/alicia-dockerd-b';
  const out = execFileSync('bash', ['scripts/docker-engine.sh'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const host = /^DOCKER_HOST=unix:\/\/(.+)$/m.exec(out.trim().split('\n').at(-1) ?? '')?.[1];
  if (host === undefined) throw new Error(`the second engine did not start: ${out}`);
  socketB = host;
  dockerB = new Docker({ socketPath: socketB });
}, 120_000);
let harness: Harness | null = null;

async function clean(): Promise<void> {
  await removeLabelled(dockerA, 'alicia.stack', STACK);
  await removeLabelled(dockerB, 'alicia.stack', STACK);
}
beforeEach(async () => {
  await clean();
});
afterEach(async () => {
  await harness?.close();
  harness = null;
  await clean();
});

const YAML = `
services:
  db:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 500ms
    tmpfs: [/flag]
    healthcheck: { test: ["CMD-SHELL", "test ! -f /flag/bad"], interval: 200ms, retries: 1 }
    x-alicia:
      hosts: [host-a]
      backoff: { min: 100ms, max: 200ms }
  api:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 500ms
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
    depends_on: { db: { condition: service_healthy, restart: true } }
    x-alicia: { hosts: [host-b] }
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 500ms
    depends_on: { api: { condition: service_healthy, restart: true } }
    x-alicia: { hosts: [host-b] }
`;

async function startedAt(docker: Docker, service: string): Promise<number> {
  const [c] = await docker.listContainers({
    all: true,
    filters: { label: [`alicia.stack=${STACK}`, `alicia.service=${service}`] },
  });
  if (!c) throw new Error(`no ${service} container`);
  return Date.parse((await docker.getContainer(c.Id).inspect()).State.StartedAt);
}

describe('e2e: depends_on restart: true across hosts', () => {
  it('restarts the dependents on the other host after the dependency is healthy again, in order', async () => {
    const runtimeB = createDockerRuntime({ docker: { socketPath: socketB } });
    harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'host-a' }, { id: 'host-b', runtime: runtimeB }],
    });
    await harness.orchestrator.deploy(stackFrom(YAML, STACK));
    const [db] = await dockerA.listContainers({
      filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=db'] },
    });
    if (!db) throw new Error('db is not on host-a');
    const apiBefore = await startedAt(dockerB, 'api');
    const webBefore = await startedAt(dockerB, 'web');
    const mark = harness.events.length;

    // db turns unhealthy: its agent restarts it (the tmpfs flag is gone in the new process).
    expect(await execIn(dockerA, db.Id, ['touch', '/flag/bad'])).toBe(0);
    await until(async () => (await startedAt(dockerB, 'web')) > webBefore, {
      what: 'web restarted after api',
      timeoutMs: 30_000,
    });
    const dbAfter = await startedAt(dockerA, 'db');
    const apiAfter = await startedAt(dockerB, 'api');
    const webAfter = await startedAt(dockerB, 'web');
    expect(apiAfter).toBeGreaterThan(apiBefore);
    // In order: db's new process, then api, then web.
    expect(apiAfter).toBeGreaterThan(dbAfter);
    expect(webAfter).toBeGreaterThan(apiAfter);

    const tail = harness.events.slice(mark).filter((e) => eventSubject(e).stack === STACK);
    const actions = tail
      .filter((e) => e.event_type === 'healing_action' && e.event_data.action === 'restart')
      .map((e) => eventSubject(e).service);
    expect(actions).toEqual(['api', 'web']);
    const order = labels(tail);
    expect(order.indexOf('service_restarted:db')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('healing_action:api')).toBeGreaterThan(order.indexOf('service_restarted:db'));
    expect(order.indexOf('healing_action:web')).toBeGreaterThan(order.indexOf('healing_action:api'));
    // Once each: nothing restarts twice.
    expect(order.filter((l) => l === 'service_restarted:api')).toHaveLength(1);
    expect(order.filter((l) => l === 'service_restarted:web')).toHaveLength(1);
    console.log(
      `restart: true — db restarted, api ${apiAfter - dbAfter} ms after db, web ${webAfter - apiAfter} ms after api`,
    );
  }, 60_000);
});
