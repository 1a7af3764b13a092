// Failover benchmark on the lab (docs/lab.md): three hosts made on this machine, each with its
// own namespace, address and Docker engine, an agent per host, the broker on the lab bridge,
// the orchestrator in this process, default settings (heartbeat 1 s, 3-heartbeat TTL, 1 s
// grace). A stateless `api` (hosts lab2/lab3, publishes 8080) and a `web` on lab1 whose
// healthcheck fetches `http://api:8080/` by name. Per round, on the host that runs api:
//   kill -9   its agent is killed → until api runs healthy on another host (Docker's verdict);
//   partition its link goes down (no FIN) → until api runs healthy elsewhere AND web fetches it
//             by name (through its recreated /etc/hosts entry).
// Then the host comes back and the stale copy is removed before the next round. Medians are
// printed beside the peers' documented defaults.
//
//   npm run build && sudo node dist/bench/failover.js
//   env: BENCH_ROUNDS (5), ALICIA_LAB_ID (5)
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedDefault } from '../broker/index.js';
import { loadBundle } from '../src/compose/index.js';
import { silentLogger } from '../src/logging/logger.js';
import { startOrchestrator } from '../src/orchestrator/index.js';
import { dockerIn, type LabHostStatus, lab, labStatus, spawnIn } from './lab-hosts.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAB_ID = Number(process.env.ALICIA_LAB_ID ?? 5);
const IMAGE = 'alicia-test/busybox:latest';
const MAIN = path.resolve('dist/src/cli/main.js');

const YAML = `name: fo
services:
  api:
    image: ${IMAGE}
    command: ["sh", "-c", "mkdir -p /w && echo api > /w/index.html && exec httpd -f -p 8080 -h /w"]
    ports: ["8080:8080"]
    restart: always
    stop_grace_period: 1s
    healthcheck: { test: ["CMD", "sh", "-c", "timeout 2 wget -q -O- http://127.0.0.1:8080/"], interval: 500ms, timeout: 3s, retries: 2 }
    x-alicia: { hosts: [lab2, lab3] }
  web:
    image: ${IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]
    restart: always
    stop_grace_period: 1s
    depends_on: { api: { condition: service_healthy } }
    healthcheck: { test: ["CMD", "sh", "-c", "timeout 2 wget -q -O- http://api:8080/ | grep -q api"], interval: 1s, timeout: 3s, retries: 2 }
    x-alicia: { hosts: [lab1] }
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function poll<T>(probe: () => Promise<T | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the failover benchmark needs root (the lab)');
  await lab(['down'], LAB_ID);
  await lab(['up', '3'], LAB_ID);
  const status = await labStatus(LAB_ID);
  const hosts = new Map(status.hosts.map((h) => [h.name, h]));
  const host = (name: string) => hosts.get(name) as LabHostStatus;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-failover-'));
  const embedded = await startEmbeddedDefault({
    host: status.bridge.address,
    port: 0,
    stateDir: path.join(dir, 'broker'),
    home: path.join(dir, 'home'),
    agentIds: ['lab1', 'lab2', 'lab3'],
    log: silentLogger(),
  });
  const orchestrator = await startOrchestrator({
    brokerUrl: embedded.broker.url,
    username: embedded.credentials.orchestrator.username,
    password: embedded.credentials.orchestrator.password,
    stateDir: path.join(dir, 'orchestrator'),
    log: silentLogger(),
  });
  // When each lifecycle event of a round was first seen: the phases of a failover.
  const seen = new Map<string, number>();
  orchestrator.events.onEvent((event) => {
    const data = event.event_data as { service?: string };
    if (data.service !== undefined && data.service !== 'api') return;
    if (!seen.has(event.event_type)) seen.set(event.event_type, Date.now());
  });
  const phases = (t0: number, types: string[]) =>
    types.map((t) => `${t.replace(/^(agent|service)_/, '')} +${(seen.get(t) ?? Number.NaN) - t0}`).join(', ');
  const agents = new Map<string, ChildProcess>();
  const dataDir = `/var/lib/alicia-lab${LAB_ID === 1 ? '' : LAB_ID}`;
  const startAgent = (name: string) => {
    const creds = embedded.credentials.agents[name];
    const child = spawnIn(
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
      { ALICIA_USERNAME: creds?.username ?? '', ALICIA_PASSWORD: creds?.password ?? '' },
    );
    agents.set(name, child);
  };
  const killAgent = async (name: string) => {
    const child = agents.get(name);
    agents.delete(name);
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const online = (names: string[]) =>
    poll(
      async () => {
        const { agents: rows } = await orchestrator.request('agents', {});
        return names.every((n) => rows.some((r) => r.agent === n && r.status === 'online')) ? true : null;
      },
      30_000,
      `agents ${names.join(', ')} online`,
    );
  const ids = async (name: string, service: string, all = false) =>
    (
      await dockerIn(host(name), [
        'ps',
        '-q',
        ...(all ? ['-a'] : []),
        '--filter',
        `label=alicia.service=${service}`,
      ])
    )
      .split('\n')
      .filter((l) => l !== '');
  const healthyOn = async (name: string, service: string) => {
    for (const id of await ids(name, service))
      if (
        (await dockerIn(host(name), ['inspect', '-f', '{{.State.Health.Status}}', id])).trim() === 'healthy'
      )
        return true;
    return false;
  };
  const apiHost = async () => {
    for (const name of ['lab2', 'lab3']) if (await healthyOn(name, 'api')) return name;
    return null;
  };
  const webReachesApi = async () => {
    const [id] = await ids('lab1', 'web');
    if (id === undefined) return false;
    const out = await dockerIn(host('lab1'), [
      'exec',
      id,
      'sh',
      '-c',
      'timeout 2 wget -q -O- http://api:8080/',
    ]);
    return out.trim() === 'api';
  };
  /** Back to one api, healthy, reached by web, with every agent online. */
  const settled = async () => {
    await online(['lab1', 'lab2', 'lab3']);
    await poll(
      async () => {
        const copies = [...(await ids('lab2', 'api', true)), ...(await ids('lab3', 'api', true))];
        return copies.length === 1 && (await apiHost()) !== null && (await webReachesApi()) ? true : null;
      },
      60_000,
      'one api, healthy, reached by web',
    );
  };

  const results = { kill: [] as number[], partition: [] as number[] };
  try {
    for (const name of ['lab1', 'lab2', 'lab3']) startAgent(name);
    await online(['lab1', 'lab2', 'lab3']);
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, YAML);
    await orchestrator.deploy((await loadBundle({ files: [file] })).bundle);
    await settled();

    for (let round = 1; round <= ROUNDS; round++) {
      // kill -9 of the agent that runs api.
      let from = (await apiHost()) as string;
      seen.clear();
      let t0 = Date.now();
      await killAgent(from);
      const other = from === 'lab2' ? 'lab3' : 'lab2';
      await poll(
        async () => ((await healthyOn(other, 'api')) ? true : null),
        30_000,
        `api healthy on ${other}`,
      );
      results.kill.push(Date.now() - t0);
      const killPhases = phases(t0, ['agent_offline', 'service_rescheduled', 'service_healthy']);
      startAgent(from);
      await settled();

      // Partition (no FIN) of the host that runs api.
      from = (await apiHost()) as string;
      const to = from === 'lab2' ? 'lab3' : 'lab2';
      seen.clear();
      t0 = Date.now();
      await lab(['partition', from], LAB_ID);
      await poll(
        async () => ((await healthyOn(to, 'api')) && (await webReachesApi()) ? true : null),
        30_000,
        `api healthy on ${to} and reached by name from web`,
      );
      results.partition.push(Date.now() - t0);
      const partitionPhases = phases(t0, ['agent_offline', 'service_rescheduled', 'service_healthy']);
      await lab(['heal', from], LAB_ID);
      await settled();
      console.log(
        `round ${round}: kill -9 ${results.kill.at(-1)} ms (${killPhases}), ` +
          `partition ${results.partition.at(-1)} ms (${partitionPhases})`,
      );
    }
  } finally {
    for (const name of [...agents.keys()]) await killAgent(name);
    await orchestrator.close().catch(() => undefined);
    await embedded.broker.close().catch(() => undefined);
    await lab(['down'], LAB_ID);
    await rm(dir, { recursive: true, force: true });
  }

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(`\nFailover on the lab (3 hosts, own engines and addresses), median of ${ROUNDS} rounds:`);
  console.log('| event | Alicia | target | Swarm | Nomad | Kubernetes |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| kill -9 of an agent → healthy elsewhere | ${s(median(results.kill))} | ≤ 2 s | ≈ 15 s | ≈ 20 s | ≈ 6 min |`,
  );
  console.log(
    `| partition (no FIN) → healthy elsewhere, reachable by name | ${s(median(results.partition))} | ≤ 5 s | ≈ 15 s | ≈ 20 s | ≈ 6 min |`,
  );
  console.log(`(rounds: kill ${results.kill.join(', ')} ms; partition ${results.partition.join(', ')} ms)`);
  console.log('Peers: their documented defaults to mark a node down / move its work, not measured here.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
