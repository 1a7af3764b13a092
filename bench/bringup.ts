// Bring-up benchmark: the same layered stack with healthchecks, brought up on the same
// Docker engine by `docker-compose up -d` (+ waiting until every container is healthy)
// and by Alicia, several rounds, order alternating; prints medians and ratios per case.
//
//   npm run build && node dist/bench/bringup.js
//   env: BENCH_ROUNDS (3), BENCH_LAYERS (4), BENCH_WIDTH (3),
//        BENCH_CASES (spread,aligned,interval-5s), DOCKER_HOST (as for the tests),
//        BENCH_START_PROBE=off (the in-process agent runs no start probe: what it costs or saves)
//
// Every service is an httpd that becomes ready ~1 s after its start; each depends on every
// service of the layer below with condition service_healthy. The cases differ in when the
// services become ready and how often Docker probes them:
//   spread       ready after 0.7–1.3 s (evenly spread, a fixed shuffle: the same file for
//                both), healthcheck interval 500ms — services are not ready on a probe tick;
//   aligned      every service ready after exactly 1.0 s = 2 × interval 500ms: Docker's second
//                probe lands right when the service is ready, Docker's best case;
//   interval-5s  ready after 0.7–1.3 s, interval 5s with start_period 30s, a common
//                healthcheck in Compose files.
//
// Alicia is measured two ways:
//   alicia up    — the embedded CLI from a cold start (`node dist/src/cli/main.js up`) until it
//                  prints that the stack is up: process start, broker, agent and deploy;
//   in-process   — broker, orchestrator and one agent already running (a cluster's control
//                  plane is long-lived): from the deploy call until it reports every service
//                  ready (healthy).
// Compose is `docker-compose up -d` from its start until Docker reports every container
// healthy (its own `up -d` returns before the last layer is healthy).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { createDockerRuntime, startAgent } from '../agents/index.js';
import { startEmbeddedBroker } from '../broker/embedded.js';
import { loadBundle } from '../src/compose/index.js';
import { silentLogger } from '../src/logging/logger.js';
import { startOrchestrator } from '../src/orchestrator/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 4);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 3);
const MAIN = path.resolve('dist/src/cli/main.js');
const START_PROBE = process.env.BENCH_START_PROBE !== 'off';

interface BenchCase {
  name: string;
  what: string;
  /** Seconds after start at which service `index` (of LAYERS × WIDTH) is ready. */
  readyS(index: number, count: number): number;
  healthcheck: string[];
}

/** 0.7–1.3 s evenly spread over the services, in a fixed shuffled order (seeded: the same every run). */
function spread(index: number, count: number): number {
  const order = Array.from({ length: count }, (_, i) => i);
  let seed = 42;
  for (let i = count - 1; i > 0; i -= 1) {
    seed = (seed * 16_807) % 2_147_483_647; // Park–Miller: exact in doubles
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return 0.7 + (0.6 * (order[index] ?? 0)) / Math.max(1, count - 1);
}

const CASES: BenchCase[] = [
  {
    name: 'spread',
    what: 'ready after 0.7–1.3 s, healthcheck interval 500ms',
    readyS: spread,
    healthcheck: ['interval: 500ms', 'timeout: 2s', 'retries: 3', 'start_period: 20s'],
  },
  {
    name: 'aligned',
    what: 'ready after exactly 1.0 s = 2 × interval 500ms (Docker probes right on time)',
    readyS: () => 1,
    healthcheck: ['interval: 500ms', 'timeout: 2s', 'retries: 3', 'start_period: 20s'],
  },
  {
    name: 'interval-5s',
    what: 'ready after 0.7–1.3 s, healthcheck interval 5s, start_period 30s',
    readyS: spread,
    healthcheck: ['interval: 5s', 'timeout: 2s', 'retries: 3', 'start_period: 30s'],
  },
];

const docker = new Docker();
/** CPU time (ms) the in-process control plane (broker + orchestrator + agent) used per deploy. */
const cpuMs: number[] = [];
const log = silentLogger();

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** LAYERS × WIDTH httpd services; each depends on every service of the layer below, healthy. */
async function composeText(bench: BenchCase): Promise<{ text: string; services: number }> {
  const lines = ['services:'];
  const count = LAYERS * WIDTH;
  for (let layer = 0; layer < LAYERS; layer += 1) {
    for (let i = 0; i < WIDTH; i += 1) {
      const port = await freePort();
      const ready = bench.readyS(layer * WIDTH + i, count).toFixed(2);
      lines.push(
        `  l${layer}s${i}:`,
        '    image: alicia-test/busybox:latest',
        '    network_mode: host',
        `    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo ok > /www/index.html && sleep ${ready} && httpd -f -p 127.0.0.1:${port} -h /www & wait"]`,
        '    healthcheck:',
        `      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${port}/"]`,
        ...bench.healthcheck.map((line) => `      ${line}`),
      );
      if (layer > 0) {
        lines.push('    depends_on:');
        for (let j = 0; j < WIDTH; j += 1)
          lines.push(`      l${layer - 1}s${j}: { condition: service_healthy }`);
      }
    }
  }
  return { text: `${lines.join('\n')}\n`, services: count };
}

function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function removeByLabel(label: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
}

/** Resolves when `count` containers carrying `label` have reported healthy (Docker's event stream). */
async function healthyWatcher(
  label: string,
  count: number,
): Promise<{ done: Promise<number>; stop(): void }> {
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: ['health_status'], label: [label] },
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  const healthy = new Set<string>();
  let resolveDone: (at: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    resolveDone = resolve;
  });
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as { status?: string; id?: string };
      if (event.status === 'health_status: healthy' && event.id) healthy.add(event.id);
      if (healthy.size >= count) resolveDone(Date.now());
    }
  });
  return { done, stop: () => stream.destroy?.() };
}

async function composeRound(file: string, project: string, services: number): Promise<number> {
  const label = `com.docker.compose.project=${project}`;
  await removeByLabel(label);
  const watcher = await healthyWatcher(label, services);
  const t0 = Date.now();
  const up = await run('docker-compose', ['-p', project, '-f', file, 'up', '-d']);
  if (up.code !== 0) throw new Error(`docker-compose up failed:\n${up.out}`);
  const t1 = await watcher.done;
  watcher.stop();
  await run('docker-compose', ['-p', project, '-f', file, 'down', '-t', '1']);
  await removeByLabel(label);
  return t1 - t0;
}

async function aliciaInProcessRound(file: string, project: string, dir: string): Promise<number> {
  await removeByLabel(`alicia.stack=${project}`);
  const broker = await startEmbeddedBroker({ port: 0 });
  const orchestrator = await startOrchestrator({
    brokerUrl: broker.url,
    stateDir: path.join(dir, 'orchestrator'),
    log,
  });
  const agent = await startAgent({
    id: 'bench',
    brokerUrl: broker.url,
    stateDir: path.join(dir, 'agent'),
    runtime: createDockerRuntime({ log }),
    snapshotDebounceMs: 25,
    startProbe: START_PROBE,
    log,
  });
  try {
    await orchestrator.waitForAgents(1, 15_000);
    const { bundle } = await loadBundle({ files: [file], projectName: project });
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await orchestrator.deploy(bundle);
    const elapsed = Date.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuMs.push((cpu.user + cpu.system) / 1000);
    await orchestrator.down(project);
    return elapsed;
  } finally {
    await agent.close();
    await orchestrator.close();
    await broker.close();
    await removeByLabel(`alicia.stack=${project}`);
  }
}

async function aliciaUpRound(file: string, project: string, dir: string): Promise<number> {
  await removeByLabel(`alicia.stack=${project}`);
  const port = await freePort();
  const t0 = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, 'up', '-f', file, '-p', project, '--port', String(port), '--state-dir', path.join(dir, 'up')],
    { env: { ...process.env, ALICIA_HOME: path.join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes(`Stack ${project} is up`)) resolve(Date.now());
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.once('exit', (code) => reject(new Error(`alicia up exited (${code}):\n${out}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  const code = await exited;
  if (code !== 0) throw new Error(`alicia up did not exit 0 on SIGINT (${code}):\n${out}`);
  await removeByLabel(`alicia.stack=${project}`);
  return ready - t0;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface CaseResult {
  bench: BenchCase;
  compose: number;
  inProcess: number;
  cli: number;
}

async function runCase(bench: BenchCase, root: string, tag: string): Promise<CaseResult> {
  const dir = await mkdtemp(path.join(root, `${bench.name}-`));
  const { text, services } = await composeText(bench);
  const file = path.join(dir, 'docker-compose.yml');
  await writeFile(file, text);
  process.stdout.write(`case ${bench.name}: ${bench.what}\n`);
  const compose: number[] = [];
  const inProcess: number[] = [];
  const cli: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const roundDir = await mkdtemp(path.join(dir, `round-${round}-`));
    const steps: [string, () => Promise<number>, number[]][] = [
      ['docker-compose', () => composeRound(file, `bench${tag}c${round}`, services), compose],
      ['alicia up', () => aliciaUpRound(file, `bench${tag}u${round}`, path.join(roundDir, 'u')), cli],
      [
        'alicia in-process',
        () => aliciaInProcessRound(file, `bench${tag}a${round}`, path.join(roundDir, 'a')),
        inProcess,
      ],
    ];
    // Alternate who goes first, so a warm engine favours no one.
    if (round % 2 === 0) steps.reverse();
    for (const [name, step, into] of steps) {
      const ms = await step();
      into.push(ms);
      process.stdout.write(`  round ${round}: ${name.padEnd(18)} ${secs(ms)}\n`);
    }
  }
  return { bench, compose: median(compose), inProcess: median(inProcess), cli: median(cli) };
}

async function main(): Promise<void> {
  const version = await run('docker-compose', ['version', '--short']);
  if (version.code !== 0) throw new Error(`docker-compose is not usable:\n${version.out}`);
  const wanted = (process.env.BENCH_CASES ?? CASES.map((c) => c.name).join(',')).split(',');
  const cases = wanted.map((name) => {
    const found = CASES.find((c) => c.name === name.trim());
    if (!found)
      throw new Error(`BENCH_CASES: no case "${name}"; cases: ${CASES.map((c) => c.name).join(', ')}`);
    return found;
  });
  const root = await mkdtemp(path.join(os.tmpdir(), 'alicia-bench-'));
  process.stdout.write(
    `bring-up: ${LAYERS} layers × ${WIDTH} services, service_healthy between layers; ` +
      `docker-compose ${version.out.trim()}; ${ROUNDS} rounds; ${os.cpus().length} cores` +
      `${START_PROBE ? '' : '; in-process agent without start probe'}\n`,
  );
  const results: CaseResult[] = [];
  try {
    for (const [index, bench] of cases.entries()) results.push(await runCase(bench, root, String(index)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const ratio = (x: number, c: number) => `${(x / c).toFixed(2)} ×`;
  process.stdout.write(
    [
      '',
      `medians (ratio = alicia / docker-compose; target ≤ 0.80 ×)`,
      `${'case'.padEnd(12)} ${'compose'.padStart(9)} ${'alicia up'.padStart(10)} ${'ratio'.padStart(7)} ${'in-process'.padStart(11)} ${'ratio'.padStart(7)}`,
      ...results.map(
        (r) =>
          `${r.bench.name.padEnd(12)} ${secs(r.compose).padStart(9)} ${secs(r.cli).padStart(10)} ${ratio(r.cli, r.compose).padStart(7)} ${secs(r.inProcess).padStart(11)} ${ratio(r.inProcess, r.compose).padStart(7)}`,
      ),
      `alicia control plane CPU per in-process deploy (broker + orchestrator + agent): median ${median(cpuMs).toFixed(0)} ms`,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
