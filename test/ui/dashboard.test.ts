// Needs Docker, Chromium and esbuild: the dashboard in a real browser (Debian's chromium via
// playwright-core) against a real broker (aedes, users and roles, MQTT over WebSocket), the
// orchestrator and an agent on the private Docker engine. An operator watches a stack deploy,
// a killed container heal, and scales a service from the page; a viewer sees no action and
// a request forced from the page is refused by the broker. Screenshots go to test-output/ui.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { hashPassword, type UserRecord } from '../../broker/users.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import { startUiServer, type UiServer } from '../../src/ui-server/index.js';
import { httpdService, sleeperService } from '../e2e/helpers.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { stackFrom } from '../integration/orchestrator-harness.js';
import { buildPage, launchChromium, logIn, screenshot, waitText } from './browser.js';

const STACK = 'uidash';
const AGENT = 'ui-host-1';
const docker = testDocker();
const LIGHT = { N: 1024, r: 8, p: 1 } as const;
const users = {
  orchestrator: { name: 'orchestrator', password: 'orch-secret-1', role: 'orchestrator' },
  agent: { name: AGENT, password: 'agent-secret-1', role: 'agent' },
  operator: { name: 'ops', password: 'ops-secret-1', role: 'operator' },
  viewer: { name: 'watcher', password: 'watch-secret-1', role: 'viewer' },
} as const;

let dir = '';
let broker: EmbeddedBroker | null = null;
let orchestrator: Orchestrator | null = null;
let agent: Agent | null = null;
let ui: UiServer | null = null;
let browser: Browser | null = null;
const contexts: BrowserContext[] = [];

async function running(service: string): Promise<number> {
  const list = await docker.listContainers({
    filters: { label: [`alicia.stack=${STACK}`, `alicia.service=${service}`], status: ['running'] },
  });
  return list.length;
}

async function newPage(): Promise<Page> {
  if (!browser) throw new Error('no browser');
  // bypassCSP: the test's string probes are evaluated in the page, which the page's CSP forbids.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
  return page;
}

beforeAll(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-ui-'));
  buildPage(path.join(dir, 'page'));
  const records: UserRecord[] = await Promise.all(
    Object.values(users).map(async (u) => ({
      name: u.name,
      role: u.role,
      password_hash: await hashPassword(u.password, LIGHT),
    })),
  );
  broker = await startEmbeddedBroker({
    port: 0,
    websocket: { port: 0, path: '/mqtt' },
    security: { users: records, anonymous: 'refuse' },
  });
  orchestrator = await startOrchestrator({
    brokerUrl: broker.url,
    username: users.orchestrator.name,
    password: users.orchestrator.password,
    stateDir: path.join(dir, 'orchestrator'),
    heartbeatMs: 500,
  });
  agent = await startAgent({
    id: AGENT,
    brokerUrl: broker.url,
    username: users.agent.name,
    password: users.agent.password,
    stateDir: path.join(dir, 'agent'),
    heartbeatMs: 500,
    labels: { zone: 'lab' },
  });
  await orchestrator.waitForAgents(1, 15_000);
  if (!broker.websocket) throw new Error('no WebSocket listener');
  ui = await startUiServer({ port: 0, brokerWsUrl: broker.websocket.url, assetsDir: path.join(dir, 'page') });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
  await browser?.close();
  await ui?.close();
  await orchestrator?.request('down', { stack: STACK }).catch(() => undefined);
  await agent?.close();
  await orchestrator?.close();
  await broker?.close();
  await removeLabelled(docker, 'alicia.stack', STACK);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('dashboard in a real browser', () => {
  it('shows hosts and a deploy, a killed container healed, and scales from the page', async () => {
    if (!ui || !orchestrator) throw new Error('not started');
    const page = await newPage();
    await logIn(page, ui.url, users.operator.name, users.operator.password);
    await waitText(page, 'role', 'operator');
    await waitText(page, 'connection', 'connected');
    // The host, from its retained presence, info and heartbeats.
    await page.waitForSelector(`[data-testid="host-${AGENT}"][data-status="online"]`, { timeout: 15_000 });
    await waitText(page, `host-${AGENT}`, 'zone=lab');

    // Deployed while the page watches: three layers, db <- api <- worker.
    const [dbPort, apiPort] = [await freePort(), await freePort()];
    const yaml = [
      'services:',
      '  db:',
      httpdService({ port: dbPort, delayS: 0 }),
      '    restart: always',
      '  api:',
      httpdService({ port: apiPort, delayS: 0, dependsOn: { db: 'service_healthy' } }),
      '    restart: always',
      '  worker:',
      sleeperService(['    depends_on: { api: { condition: service_healthy } }']),
    ].join('\n');
    const deploy = orchestrator.request('deploy', stackFrom(yaml, STACK));
    await waitText(page, `deploy-${STACK}`, 'deploy deploying', 15_000);
    await deploy;
    await waitText(page, `deploy-${STACK}`, 'deploy completed');
    for (const s of ['db', 'api', 'worker']) await waitText(page, `replicas-${STACK}-${s}`, '1/1');
    // The graph, in layers from the orchestrator's `graph` reply.
    const layersJs = `Array.from(document.querySelectorAll('[data-testid="graph-${STACK}"] .layer'), (l) =>
      Array.from(l.querySelectorAll('.node strong'), (n) => n.textContent))`;
    await page.waitForFunction(`${layersJs}.length === 3`);
    const layers = await page.evaluate(layersJs);
    expect(layers).toEqual([['db'], ['api'], ['worker']]);
    await waitText(page, `host-${AGENT}-containers`, '3 running / 3');
    await screenshot(page, 'operator-deployed');

    // Its process killed (a crash, not `docker kill`, which Docker counts as a manual stop):
    // Docker restarts it (restart: always), the agent reports it, the page shows it.
    const [db] = await docker.listContainers({
      filters: { label: [`alicia.stack=${STACK}`, `alicia.service=db`] },
    });
    if (!db) throw new Error('no db container');
    const pid = (await docker.getContainer(db.Id).inspect()).State.Pid;
    process.kill(pid, 'SIGKILL');
    await page.waitForSelector('[data-testid="events"] li[data-type="service_restarted"]', {
      timeout: 20_000,
    });
    // …and back: running and healthy again, with one restart counted.
    await waitText(page, `service-${STACK}-db`, /running\s*healthy\s*1\/1\s*ui-host-1\s*1/);
    await page.click(`[data-testid="node-${STACK}-db"]`);
    await page.waitForSelector('[data-testid="history"] code', { timeout: 15_000 });
    await waitText(page, 'history', 'service_restarted');
    await screenshot(page, 'operator-healed');

    // Scale from the page: the request goes through the broker's ACL as the operator.
    await page.fill(`[data-testid="scale-input-${STACK}-worker"]`, '3');
    await page.click(`[data-testid="scale-${STACK}-worker"]`);
    await waitText(page, 'action-result', '1 → 3 (up)');
    await until(async () => (await running('worker')) === 3, {
      what: '3 worker containers',
      timeoutMs: 20_000,
    });
    await waitText(page, `replicas-${STACK}-worker`, '3/3');
    await screenshot(page, 'operator-scaled');
  }, 120_000);

  it('a viewer sees no action, and a request forced from the page is refused by the broker', async () => {
    if (!ui || !broker) throw new Error('not started');
    const page = await newPage();
    await logIn(page, ui.url, users.viewer.name, users.viewer.password);
    await waitText(page, 'role', 'viewer');
    await waitText(page, `replicas-${STACK}-worker`, '3/3');
    await page.waitForSelector(`[data-testid="host-${AGENT}"][data-status="online"]`);
    expect(await page.locator('[data-testid^="scale-"]').count()).toBe(0);
    expect(await page.locator('th', { hasText: 'actions' }).count()).toBe(0);
    expect(await page.locator('button', { hasText: /^(restart|heal|stop)$/ }).count()).toBe(0);
    await screenshot(page, 'viewer');

    const refusedBefore = broker.stats.refused.publish;
    // The page's console API (docs/dashboard.md), i.e. what a hand-edited page would send.
    const outcome = await page.evaluate(`window.aliciaDashboard
      .request('scale', { stack: '${STACK}', service: 'worker', replicas: 0 })
      .then(() => 'accepted', (err) => String(err.code))`);
    expect(outcome).toBe('ALICIA_ERR_TRANSPORT_CLOSED');
    expect(broker.stats.refused.publish).toBe(refusedBefore + 1);
    // Nothing changed: still three workers, and the page reconnects and keeps watching.
    expect(await running('worker')).toBe(3);
    await waitText(page, 'connection', 'connected');
  }, 60_000);
});
