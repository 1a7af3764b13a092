// Bring-up benchmark: the same layered stack with healthchecks, brought up on the same
// Docker engine by `docker-compose up -d` (+ waiting until every container is healthy)
// and by Alicia, several rounds, order alternating; prints medians and ratios.
//
//   npm run build && node dist/bench/bringup.js
//   env: BENCH_ROUNDS (3), BENCH_LAYERS (4), BENCH_WIDTH (3), BENCH_DELAY_S (1),
//        BENCH_INTERVAL (500ms), DOCKER_HOST (as for the tests)
//
// Alicia is measured two ways:
//   in-process — broker, orchestrator and one agent already running (a cluster's control
//                plane is long-lived): from the deploy call until it reports every service
//                ready (healthy);
//   alicia up  — the embedded CLI from a cold start (`node dist/src/cli/main.js up`) until it
//                prints that the stack is up: process start, broker, agent and deploy.
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
import { loadStack } from '../src/compose/index.js';
import { silentLogger } from '../src/logging/logger.js';
import { startOrchestrator } from '../src/orchestrator/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LAYERS = Number(process.env.BENCH_LAYERS ?? 4);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 3);
const DELAY_S = Number(process.env.BENCH_DELAY_S ?? 1);
const INTERVAL = process.env.BENCH_INTERVAL ?? '500ms';
const MAIN = path.resolve('dist/src/cli/main.js');

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
async function composeText(): Promise<{ text: string; services: number }> {
  const lines = ['services:'];
  for (let layer = 0; layer < LAYERS; layer += 1) {
    for (let i = 0; i < WIDTH; i += 1) {
      const port = await freePort();
      lines.push(
        `  l${layer}s${i}:`,
        '    image: alicia-test/busybox:latest',
        '    network_mode: host',
        `    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo ok > /www/index.html && sleep ${DELAY_S} && httpd -f -p 127.0.0.1:${port} -h /www & wait"]`,
        '    healthcheck:',
        `      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${port}/"]`,
        `      interval: ${INTERVAL}`,
        '      timeout: 2s',
        '      retries: 3',
        '      start_period: 20s',
      );
      if (layer > 0) {
        lines.push('    depends_on:');
        for (let j = 0; j < WIDTH; j += 1)
          lines.push(`      l${layer - 1}s${j}: { condition: service_healthy }`);
      }
    }
  }
  return { text: `${lines.join('\n')}\n`, services: LAYERS * WIDTH };
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
    log,
  });
  try {
    await orchestrator.waitForAgents(1, 15_000);
    const stack = await loadStack({ files: [file], projectName: project });
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    await orchestrator.deploy(stack);
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

async function main(): Promise<void> {
  const version = await run('docker-compose', ['version', '--short']);
  if (version.code !== 0) throw new Error(`docker-compose is not usable:\n${version.out}`);
  const root = await mkdtemp(path.join(os.tmpdir(), 'alicia-bench-'));
  const { text, services } = await composeText();
  const file = path.join(root, 'docker-compose.yml');
  await writeFile(file, text);
  process.stdout.write(
    `bring-up: ${LAYERS} layers × ${WIDTH} services, each ready after ~${DELAY_S} s, healthcheck interval ${INTERVAL}; ` +
      `docker-compose ${version.out.trim()}; ${ROUNDS} rounds; ${os.cpus().length} cores\n`,
  );
  const compose: number[] = [];
  const inProcess: number[] = [];
  const cli: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round += 1) {
      const dir = await mkdtemp(path.join(root, `round-${round}-`));
      const steps: [string, () => Promise<number>, number[]][] = [
        ['docker-compose', () => composeRound(file, `benchc${round}`, services), compose],
        [
          'alicia in-process',
          () => aliciaInProcessRound(file, `bencha${round}`, path.join(dir, 'a')),
          inProcess,
        ],
        ['alicia up', () => aliciaUpRound(file, `benchu${round}`, path.join(dir, 'u')), cli],
      ];
      // Alternate who goes first, so a warm engine favours no one.
      if (round % 2 === 0) steps.reverse();
      for (const [name, step, into] of steps) {
        const ms = await step();
        into.push(ms);
        process.stdout.write(`  round ${round}: ${name.padEnd(18)} ${secs(ms)}\n`);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  const c = median(compose);
  const a = median(inProcess);
  const u = median(cli);
  process.stdout.write(
    [
      `median docker-compose up -d + healthy: ${secs(c)}`,
      `median alicia (in-process deploy):     ${secs(a)}   ratio ${(a / c).toFixed(2)} × compose`,
      `median alicia up (cold, embedded):     ${secs(u)}   ratio ${(u / c).toFixed(2)} × compose`,
      `alicia control plane CPU during the in-process deploy (broker + orchestrator + agent): median ${median(cpuMs).toFixed(0)} ms`,
      'target: ≤ 0.80 × compose',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
