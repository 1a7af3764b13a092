// `npm run lab` (root): the multi-host walkthrough on one machine (docs/hosts.md). Brings up
// three lab hosts (docs/lab.md: a namespace, an address and a Docker engine each), the broker
// on the lab bridge, the orchestrator here and an agent on each host; shows `alicia plan`,
// deploys a stack spread over the hosts (web on lab1, api on lab2 or lab3, db with its volume
// on lab3), then partitions the host that runs api (its link down, no FIN) and shows the
// recovery — api moves, web reaches it by name at its new place — with `mosquitto_sub`
// printing every event from the bus; heals the host (its stale api copy is removed) and takes
// the lab down. Uses lab ALICIA_LAB_ID (default 4). Needs root, docker.io, mosquitto-clients.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dockerIn, lab, labStatus, spawnIn } from '../dist/bench/lab-hosts.js';
import { startEmbeddedDefault } from '../dist/broker/index.js';
import { formatTable } from '../dist/src/cli/client.js';
import { formatPlan } from '../dist/src/cli/commands/plan.js';
import { loadBundle } from '../dist/src/compose/index.js';
import { silentLogger } from '../dist/src/logging/logger.js';
import { startOrchestrator } from '../dist/src/orchestrator/index.js';

const LAB_ID = Number(process.env.ALICIA_LAB_ID ?? 4);
const IMAGE = 'alicia-test/busybox:latest';
const MAIN = path.resolve('dist/src/cli/main.js');
const check = (test) =>
  `    healthcheck: { test: ["CMD", "sh", "-c", "${test}"], interval: 1s, timeout: 3s, retries: 2 }`;
const YAML = `name: shop
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "echo db > /data/index.html; exec httpd -f -p 5432 -h /data"]
    volumes: ["data:/data"]
    ports: ["5432:5432"]
    restart: always
${check('timeout 2 wget -q -O- http://127.0.0.1:5432/')}
    x-alicia: { hosts: [lab3] }
  api:
    image: ${IMAGE}
    command: ["sh", "-c", "mkdir -p /w && echo api > /w/index.html && exec httpd -f -p 8080 -h /w"]
    ports: ["8080:8080"]
    restart: always
    depends_on: { db: { condition: service_healthy } }
${check('timeout 2 wget -q -O- http://db:5432/ | grep -q db')}
    x-alicia: { hosts: [lab2, lab3] }
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    restart: always
    depends_on: { api: { condition: service_healthy } }
${check('timeout 2 wget -q -O- http://api:8080/ | grep -q api')}
    x-alicia: { hosts: [lab1] }
volumes:
  data: {}
`;

const say = (text) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function poll(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

if (process.getuid?.() !== 0) {
  console.error('npm run lab: needs root (network namespaces, a bridge, one dockerd per host)');
  process.exit(1);
}
const children = [];
let orchestrator = null;
let embedded = null;
const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-lab-walkthrough-'));
try {
  say(`Three lab hosts (lab ${LAB_ID}): a namespace, an address and a Docker engine each`);
  await lab(['up', '3'], LAB_ID);
  const status = await labStatus(LAB_ID);
  const host = (name) => status.hosts.find((h) => h.name === name);
  for (const h of status.hosts) console.log(`  ${h.name}  ${h.address}  ${h.dockerHost}`);

  embedded = await startEmbeddedDefault({
    host: status.bridge.address,
    port: 0,
    stateDir: path.join(dir, 'broker'),
    home: path.join(dir, 'home'),
    agentIds: ['lab1', 'lab2', 'lab3'],
    log: silentLogger(),
  });
  const url = new URL(embedded.broker.url);
  orchestrator = await startOrchestrator({
    brokerUrl: embedded.broker.url,
    username: embedded.credentials.orchestrator.username,
    password: embedded.credentials.orchestrator.password,
    stateDir: path.join(dir, 'orchestrator'),
    log: silentLogger(),
  });
  const { username, password } = embedded.credentials.operator;
  say(`mosquitto_sub -h ${url.hostname} -p ${url.port} -u ${username} -P … -t alicia/services/events`);
  const sub = spawn(
    'mosquitto_sub',
    ['-h', url.hostname, '-p', url.port, '-u', username, '-P', password, '-t', 'alicia/services/events'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(sub);
  sub.stdout.setEncoding('utf8');
  let buffered = '';
  sub.stdout.on('data', (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        const e = JSON.parse(line);
        console.log(`  [bus] ${e.event_type} ${JSON.stringify(e.event_data)}`);
      } catch {
        console.log(`  [bus] ${line}`);
      }
    }
  });

  say('An agent on each host, in its namespace (each advertises its own lab address)');
  for (const name of ['lab1', 'lab2', 'lab3']) {
    const creds = embedded.credentials.agents[name];
    const dataDir = `/var/lib/alicia-lab${LAB_ID === 1 ? '' : LAB_ID}`;
    children.push(
      spawnIn(
        host(name),
        [
          process.execPath,
          MAIN,
          'agent',
          '--broker',
          embedded.broker.url,
          '--id',
          name,
          '--hostname',
          name,
        ].concat(['--state-dir', `${dataDir}/${name}/agent`, '--log-level', 'error']),
        { ALICIA_USERNAME: creds.username, ALICIA_PASSWORD: creds.password },
      ),
    );
  }
  await poll(
    async () =>
      (await orchestrator.request('agents', {})).agents.filter((a) => a.status === 'online' && a.address)
        .length === 3,
    30_000,
    'three agents online, with their addresses',
  );
  for (const a of (await orchestrator.request('agents', {})).agents)
    console.log(`  ${a.agent}  ${a.address}`);

  const file = path.join(dir, 'compose.yaml');
  await writeFile(file, YAML);
  const { bundle } = await loadBundle({ files: [file] });
  say('alicia plan: where each service runs, and the names it reaches on other hosts');
  process.stdout.write(formatPlan(await orchestrator.request('plan', bundle), formatTable));

  say('alicia up: web on lab1, api on lab2, db (its volume) on lab3');
  await orchestrator.deploy(bundle);
  const ids = async (name, service) =>
    (await dockerIn(host(name), ['ps', '-q', '--filter', `label=alicia.service=${service}`]))
      .split('\n')
      .filter((l) => l !== '');
  const webFetch = async () => {
    const [id] = await ids('lab1', 'web');
    return id
      ? (
          await dockerIn(host('lab1'), ['exec', id, 'sh', '-c', 'timeout 2 wget -q -O- http://api:8080/'])
        ).trim()
      : '';
  };
  await poll(async () => (await webFetch()) === 'api', 30_000, 'web reaching api');
  console.log('  web (lab1) → http://api:8080/ answers "api"');

  const from = (await ids('lab2', 'api')).length > 0 ? 'lab2' : 'lab3';
  say(`Partition ${from} (its link goes down: no FIN, no RST — silence)`);
  const t0 = Date.now();
  await lab(['partition', from], LAB_ID);
  await poll(
    async () =>
      (await ids(from === 'lab2' ? 'lab3' : 'lab2', 'api')).length > 0 && (await webFetch()) === 'api',
    60_000,
    'api moved and reached by name',
  );
  console.log(
    `  api runs elsewhere and web reaches it by name again after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const [webId] = await ids('lab1', 'web');
  console.log(
    (await dockerIn(host('lab1'), ['exec', webId, 'cat', '/etc/hosts']))
      .split('\n')
      .filter((l) => /\s(api|db)$/.test(l))
      .map((l) => `  web's /etc/hosts: ${l}`)
      .join('\n'),
  );

  say(`Heal ${from}: its stale api copy is removed`);
  await lab(['heal', from], LAB_ID);
  await poll(async () => (await ids(from, 'api')).length === 0, 60_000, 'the stale copy removed');
  console.log(`  ${from} runs no api any more; one api in the cluster`);
  await sleep(1_000);
} finally {
  say('Down: the lab goes away');
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await orchestrator?.close().catch(() => undefined);
  await embedded?.broker.close().catch(() => undefined);
  await lab(['down'], LAB_ID);
  await rm(dir, { recursive: true, force: true });
}
