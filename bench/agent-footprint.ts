// Agent footprint: resident memory and idle CPU of a real `alicia agent` process that
// manages 10 containers, against the targets (RSS ≤ 60 MB, idle CPU ≤ 1 % of a core).
// The agent is started the way a user starts it: through the installed entry point
// (package.json "bin", bin/alicia, reached through a symlink as npm links it), so the
// figure includes whatever node settings that entry point applies.
//
//   npm run build && node dist/bench/agent-footprint.js
//   env: FOOTPRINT_IDLE_S (60)          idle window measured
//        FOOTPRINT_CONTAINERS (10)      managed containers
//        FOOTPRINT_HEALTH_INTERVAL_MS (10000; 0 = no healthcheck)
//        FOOTPRINT_NODE_FLAGS           replaces the entry point's node flags for the agent
//                                       (ALICIA_AGENT_NODE_FLAGS), e.g. "" for node's defaults
//        FOOTPRINT_AGENT_FLAGS          extra `alicia agent` flags, e.g. "--no-start-probe"
//        FOOTPRINT_PRELOAD              a module to --import into the agent (diagnostics)
//        DOCKER_HOST                    as for the tests
//
// Memory is VmRSS from /proc/<pid>/status at the end of the window (and VmHWM, the peak);
// CPU is utime+stime from /proc/<pid>/stat over the window, as a share of one core.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import mqtt from 'mqtt';
import { startEmbeddedBroker } from '../broker/embedded.js';
import { compileContainerSpec } from '../src/compose/compile.js';
import type { ServiceSpec } from '../src/compose/model.js';
import type { InstanceSpec } from '../src/protocol/agent-actions.js';
import type { ContainersSnapshot } from '../src/protocol/containers.js';
import { specHash } from '../src/protocol/spec-hash.js';

const IDLE_S = Number(process.env.FOOTPRINT_IDLE_S ?? 60);
const CONTAINERS = Number(process.env.FOOTPRINT_CONTAINERS ?? 10);
const HEALTH_INTERVAL_MS = Number(process.env.FOOTPRINT_HEALTH_INTERVAL_MS ?? 10_000);
/** undefined: the entry point's own flags (what users get). */
const NODE_FLAGS = process.env.FOOTPRINT_NODE_FLAGS;
const AGENT_FLAGS = (process.env.FOOTPRINT_AGENT_FLAGS ?? '').split(' ').filter((flag) => flag.length > 0);
/** A module to --import into the agent (e.g. one that prints v8 heap statistics). */
const PRELOAD = process.env.FOOTPRINT_PRELOAD ? `--import ${process.env.FOOTPRINT_PRELOAD}` : undefined;
const STACK = 'footprint-bench';
const AGENT = 'footprint';
/** The installed entry point (package.json "bin"), as npm's .bin links it. */
const BIN = path.resolve(
  (JSON.parse(await readFile('package.json', 'utf8')) as { bin: { alicia: string } }).bin.alicia,
);
const TARGET_RSS_MB = 60;
const TARGET_CPU_PERCENT = 1;

const docker = new Docker();

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function memoryKb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** The node flags the agent really runs with (from its command line, not from what was asked). */
function nodeFlags(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const flags = argv
    .slice(1)
    .filter((arg, i, all) => arg.startsWith('--') && !all.slice(0, i).some((a) => a.endsWith('.js')));
  return flags.join(' ') || 'none';
}

async function removeLeftovers(): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  return found.length;
}

function instances(): InstanceSpec[] {
  return Array.from({ length: CONTAINERS }, (_, index) => {
    const spec: ServiceSpec = {
      name: 'idle',
      image: 'alicia-test/busybox:latest',
      command: ['sleep', '86400'],
      environment: {},
      ports: [],
      volumes: [],
      depends_on: {},
      ...(HEALTH_INTERVAL_MS > 0
        ? {
            healthcheck: {
              test: ['CMD-SHELL', 'true'],
              interval_ms: HEALTH_INTERVAL_MS,
              retries: 3,
              disable: false,
            },
          }
        : {}),
      restart: 'unless-stopped',
      replicas: CONTAINERS,
      constraints: [],
      labels: {},
      privileged: false,
      cap_add: [],
      cap_drop: [],
      stop_grace_period_ms: 0,
      x_alicia: { backoff: { min_ms: 1_000, max_ms: 60_000, reset_after_ms: 300_000, max_attempts: 5 } },
    };
    const container = compileContainerSpec(STACK, spec);
    return {
      instance: `${STACK}_idle_${index + 1}`,
      stack: STACK,
      service: 'idle',
      slot: index + 1,
      spec: container,
      spec_hash: specHash(container),
    };
  });
}

function waitForMessage<T>(
  client: mqtt.MqttClient,
  topic: string,
  match: (payload: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      try {
        const value = JSON.parse(payload.toString('utf8')) as T;
        if (!match(value)) return;
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve(value);
      } catch {
        // Not JSON: not what we wait for.
      }
    };
    client.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  const left = await removeLeftovers();
  if (left > 0) console.log(`removed ${left} leftover container(s) from an earlier run`);
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'alicia-footprint-'));
  const broker = await startEmbeddedBroker({ port: 0 });
  const client = mqtt.connect(broker.url, { clientId: 'footprint-bench' });
  let child: ChildProcess | null = null;
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(`alicia/agents/${AGENT}/#`, { qos: 1 });
    const online = waitForMessage<{ state: string }>(
      client,
      `alicia/agents/${AGENT}/state`,
      (p) => p.state === 'online',
      20_000,
      'the agent to come online',
    );
    // npm links bin entries into node_modules/.bin: start it through such a link.
    const link = path.join(stateDir, 'alicia');
    await symlink(BIN, link);
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (NODE_FLAGS !== undefined) env.ALICIA_AGENT_NODE_FLAGS = NODE_FLAGS;
    if (PRELOAD) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} ${PRELOAD}`.trim();
    child = spawn(
      link,
      [
        'agent',
        '--broker',
        broker.url,
        '--id',
        AGENT,
        '--state-dir',
        stateDir,
        '--log-level',
        'warn',
        ...AGENT_FLAGS,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        env,
      },
    );
    // bin/alicia execs node: the shell's pid is the agent's.
    const pid = child.pid;
    if (pid === undefined) throw new Error('the agent process did not start');
    await online;

    const now = Date.now();
    const running = waitForMessage<ContainersSnapshot>(
      client,
      `alicia/agents/${AGENT}/containers`,
      (s) =>
        s.containers.filter((c) => c.state === 'running' || c.state === 'starting').length === CONTAINERS,
      120_000,
      `${CONTAINERS} running containers`,
    );
    const startedAt = Date.now();
    await client.publishAsync(
      `alicia/agents/${AGENT}/cmd/start`,
      JSON.stringify({
        v: 1,
        transaction: `footprint-${now}`,
        issued_at: now,
        expires_at: now + 120_000,
        session: 1,
        instances: instances(),
      }),
      { qos: 1 },
    );
    await running;
    console.log(`${CONTAINERS} containers running ${Date.now() - startedAt} ms after the start command`);

    const ticksPerSecond = clockTicksPerSecond();
    const before = await cpuTicks(pid);
    const windowStart = process.hrtime.bigint();
    console.log(`idle for ${IDLE_S} s …`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const after = await cpuTicks(pid);
    const seconds = Number(process.hrtime.bigint() - windowStart) / 1e9;
    const memory = await memoryKb(pid);
    const cpuPercent = ((after - before) / ticksPerSecond / seconds) * 100;
    const rssMb = memory.rss / 1024;

    const verdict = (ok: boolean) => (ok ? 'ok' : 'ABOVE TARGET');
    console.log('');
    console.log(
      `agent footprint (node ${process.version}, ${os.arch()}, entry point ${path.relative(process.cwd(), BIN)}, node flags: ${nodeFlags(pid)}, ${CONTAINERS} containers, healthcheck ${HEALTH_INTERVAL_MS > 0 ? `every ${HEALTH_INTERVAL_MS} ms` : 'none'})`,
    );
    console.log(
      `  RSS            ${rssMb.toFixed(1)} MB   (peak ${(memory.peak / 1024).toFixed(1)} MB)   target ≤ ${TARGET_RSS_MB} MB   ${verdict(rssMb <= TARGET_RSS_MB)}`,
    );
    console.log(
      `  idle CPU       ${cpuPercent.toFixed(2)} % of one core over ${seconds.toFixed(1)} s   target ≤ ${TARGET_CPU_PERCENT} %   ${verdict(cpuPercent <= TARGET_CPU_PERCENT)}`,
    );
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await client.endAsync();
    await broker.close();
    await removeLeftovers();
    await rm(stateDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
