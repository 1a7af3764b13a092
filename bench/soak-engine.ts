// The seeded chaos soak on the lab (docs/lab.md): real hosts on this machine — a network
// namespace, an address and a Docker engine each — an agent per host in its namespace, the
// orchestrator (`node dist/src/cli/main.js orchestrator`) in the root namespace and the
// embedded broker in this process on the lab bridge (users and ACLs on, retained state
// persisted). A stack with a stateful service (`db`: a named volume, so sticky to the host
// that holds its data — nothing pins it) and two stateless ones (`web`, `worker`, two
// replicas each) runs while faults drawn from a seeded PRNG hit it: container kills and
// hangs (`docker pause`), agent kill -9 + restart, partitions of a host (its link set down:
// no FIN), broker restarts, orchestrator kill -9 + restart, and (optionally) host reboots
// (every process of the host killed, its engine started again on the same disk). Every
// engine is sampled by label throughout (duplicates of `db`: must be 0, and it never runs
// on a second host; stateless surplus: the time it coexisted); every event is followed on
// a persistent session; after the last fault it waits until Docker runs exactly the
// desired containers and times it. Used by test/chaos/soak.test.ts (short, lab 6) and
// bench/soak.ts (long form, lab 3). Labels: alicia.stack=<stack>.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import mqtt from 'mqtt';
import { writeOperatorFile } from '../broker/default.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../broker/embedded.js';
import { hashPassword, type UserRecord } from '../broker/users.js';
import { type AliciaEvent, EventSchema } from '../src/protocol/index.js';
import { type LabHostStatus, lab, labStatus, spawnIn } from './lab-hosts.js';

// Built, this file is dist/bench/soak-engine.js; run from source (vitest) it is bench/*.ts and
// the CLI is the build's.
const MAIN = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? '../dist/src/cli/main.js' : '../src/cli/main.js',
    import.meta.url,
  ),
);

export const FAULT_KINDS = [
  'container_kill',
  'container_hang',
  'agent_kill',
  'partition',
  'broker_restart',
  'orchestrator_kill',
  'host_reboot',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SoakOptions {
  seed: number;
  /** The lab this soak makes and removes (ALICIA_LAB_ID: 1..9; its own bridge, /24, engines). */
  labId: number;
  /** Lab hosts, one agent each (3). */
  hosts?: number;
  /** How long faults are injected (ms). */
  faultsMs: number;
  /** Pause between the end of one fault and the next (ms). */
  intervalMs: number;
  /** Host reboots among the faults (a power cut: engine, containers and agent killed). */
  reboots?: boolean;
  /** Only these kinds of fault (default: every kind; host_reboot only with `reboots`). */
  kinds?: readonly FaultKind[];
  stack?: string;
  heartbeatMs?: number;
  /** Longest wait for convergence after the last fault (ms). */
  convergeTimeoutMs?: number;
  /** Where process logs go (kept); a temporary dir (removed unless the soak fails) by default. */
  logDir?: string;
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** The service and instance hit, for container faults. */
  service?: string;
  instance?: string;
  atMs: number;
}

export interface SoakResult {
  seed: number;
  labId: number;
  faults: FaultRecord[];
  faultCounts: Record<FaultKind, number>;
  samples: number;
  /** Most running containers of the stateful service seen at once (1 = no duplicate). */
  statefulMax: number;
  statefulDuplicateSamples: number;
  /** Hosts the stateful service ran on (sticky: one). */
  statefulHosts: string[];
  /** Per stateless service: ms during which more replicas ran than desired. */
  coexistenceMs: Record<string, number>;
  /** New placements of a slot seen on Docker after its first one (a move: a new incarnation on another agent). */
  moves: { instance: string; to: string }[];
  /** Moves without a service_rescheduled event naming the instance and its new agent. */
  unaccountedMoves: { instance: string; to: string }[];
  /** Containers killed by the soak, and those with an event naming the instance after it. */
  containerFaults: number;
  containerFaultsAccounted: number;
  /** Kills not accounted for: `instance@agent at s`. */
  unaccountedKills: string[];
  /** Containers hung (paused) by the soak, and those Alicia noticed (an event naming the instance). */
  hangs: number;
  hangsNoticed: number;
  events: number;
  eventCounts: Record<string, number>;
  /** seq jumps within one orchestrator session the follower saw (events it never got). */
  eventGaps: number;
  converged: boolean;
  convergeMs: number;
  /** Lab fault last (ms after start) and the end of the run. */
  lastFaultAtMs: number;
  desired: Record<string, number>;
  /** The last snapshot while converging: instance@agent -> Docker state. */
  running: Record<string, string>;
}

/** mulberry32: a small, well-known seeded PRNG; the same seed draws the same faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const STATEFUL = 'db';
const STATELESS = ['web', 'worker'] as const;
const DESIRED: Record<string, number> = { db: 1, web: 2, worker: 2 };

function composeText(stack: string): string {
  const sleeper = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;
  const health = '    healthcheck: { test: ["CMD", "true"], interval: 500ms, timeout: 1s, retries: 2 }';
  return [
    `name: ${stack}`,
    'services:',
    // Sticky by its named volume alone (DESIGN.md "Data stays with its host"): no hosts pin.
    '  db:',
    '    image: alicia-test/busybox:latest',
    '    network_mode: none',
    `    command: ${sleeper}`,
    '    volumes: ["data:/data"]',
    health,
    '  web:',
    '    image: alicia-test/busybox:latest',
    '    network_mode: none',
    `    command: ${sleeper}`,
    health,
    '    deploy: { replicas: 2 }',
    '    depends_on: { db: { condition: service_healthy } }',
    '  worker:',
    '    image: alicia-test/busybox:latest',
    '    network_mode: none',
    `    command: ${sleeper}`,
    // A hang is seen through a healthcheck only: every service has one.
    health,
    '    deploy: { replicas: 2 }',
    'volumes:',
    '  data: {}',
    // Quick retries (the run is minutes long); the budget is the product's default: a kill
    // is a fault to heal, not a failure to count against it.
    'x-alicia:',
    '  backoff: { min: 200ms, max: 2s, reset_after: 30s }',
    '',
  ].join('\n');
}

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
}

/** A dockerode client for a DOCKER_HOST value (unix:///path or tcp://host:port). */
export function dockerAt(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port) });
}

/** Removes every container and volume of the stack (leftovers of an earlier run too). */
export async function removeStack(docker: Docker, stack: string): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${stack}`] } });
  for (const c of list) {
    const container = docker.getContainer(c.Id);
    if (c.State === 'paused') await container.unpause().catch(() => undefined);
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters: { label: [`alicia.stack=${stack}`] } });
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
}

/** Does the event name this instance (its own field, or a healing action's list)? */
function namesInstance(e: AliciaEvent, instance: string): boolean {
  const data = e.event_data as { instance?: unknown; instances?: unknown };
  if (data.instance === instance) return true;
  return (
    Array.isArray(data.instances) &&
    data.instances.some((i) => i === instance || String(i).endsWith(`/${instance}`))
  );
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  if (process.getuid?.() !== 0) throw new Error('the soak needs root (the lab: namespaces, engines)');
  const stack = options.stack ?? 'soak';
  const heartbeatMs = options.heartbeatMs ?? 500;
  const labId = options.labId;
  const hostCount = options.hosts ?? 3;
  const say = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const kinds = (options.kinds ?? FAULT_KINDS).filter((k) => k !== 'host_reboot' || options.reboots === true);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-soak-'));
  const logDir = options.logDir ?? path.join(dir, 'logs');
  // (--logs: kept for reading after; the rest of `dir` goes.)
  await mkdir(logDir, { recursive: true });
  const home = path.join(dir, 'home');
  const procs = new Set<Proc>();
  let follower: mqtt.MqttClient | null = null;
  const paused = new Set<Docker.Container>();
  const t0 = Date.now();

  // A fresh lab (leftovers of an earlier run go with `down`).
  await lab(['down'], labId);
  await lab(['up', String(hostCount)], labId);
  const status = await labStatus(labId);
  const HOSTS = status.hosts.map((h) => h.name);
  const hostOf = new Map<string, LabHostStatus>(status.hosts.map((h) => [h.name, h]));
  const dockers = new Map(status.hosts.map((h) => [h.name, dockerAt(h.dockerHost)]));
  const dataDir = `/var/lib/alicia-lab${labId === 1 ? '' : labId}`;
  say(`lab ${labId} up: ${HOSTS.join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // Users: the orchestrator, an operator (the CLI and the event follower), one per agent —
  // off loopback the broker refuses anonymous clients. The same users across broker restarts.
  const secret = () => randomBytes(18).toString('base64url');
  const creds = {
    orchestrator: { username: 'orchestrator', password: secret() },
    operator: { username: 'operator', password: secret() },
    agents: Object.fromEntries(HOSTS.map((h) => [h, { username: h, password: secret() }])),
  };
  const light = { N: 1024, r: 8, p: 1 } as const;
  const users: UserRecord[] = [
    {
      name: 'orchestrator',
      role: 'orchestrator',
      password_hash: await hashPassword(creds.orchestrator.password, light),
    },
    { name: 'operator', role: 'operator', password_hash: await hashPassword(creds.operator.password, light) },
    ...(await Promise.all(
      HOSTS.map(async (h) => ({
        name: h,
        role: 'agent' as const,
        password_hash: await hashPassword(creds.agents[h]?.password ?? '', light),
      })),
    )),
  ];
  let brokerPort = 0;
  const startBroker = async (): Promise<EmbeddedBroker> => {
    const b = await startEmbeddedBroker({
      host: status.bridge.address,
      port: brokerPort,
      security: { users },
      persistenceDir: path.join(dir, 'broker'),
    });
    brokerPort = b.port;
    return b;
  };

  const logTo = (name: string, child: ChildProcess): Proc => {
    const out = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const proc: Proc = {
      child,
      exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    };
    procs.add(proc);
    void proc.exited.then(() => procs.delete(proc));
    return proc;
  };
  const cliEnv = (user: { username: string; password: string }) => ({
    ...process.env,
    ALICIA_HOME: home,
    ALICIA_USERNAME: user.username,
    ALICIA_PASSWORD: user.password,
  });
  const kill9 = async (proc: Proc): Promise<void> => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  };

  // Samples: per service running containers, stateful duplicates, stateless surplus time.
  const result: SoakResult = {
    seed: options.seed,
    labId,
    faults: [],
    faultCounts: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    samples: 0,
    statefulMax: 0,
    statefulDuplicateSamples: 0,
    statefulHosts: [],
    coexistenceMs: Object.fromEntries(STATELESS.map((s) => [s, 0])),
    moves: [],
    unaccountedMoves: [],
    containerFaults: 0,
    containerFaultsAccounted: 0,
    unaccountedKills: [],
    hangs: 0,
    hangsNoticed: 0,
    events: 0,
    eventCounts: {},
    eventGaps: 0,
    converged: false,
    convergeMs: -1,
    lastFaultAtMs: 0,
    desired: DESIRED,
    running: {},
  };
  const placements = new Map<string, Set<string>>();
  /**
   * The stack's containers on every host's engine, each with its engine. An engine that does
   * not answer (a host rebooting) runs nothing of the stack then: its containers died with it.
   */
  const listAll = async (all: boolean) =>
    (
      await Promise.all(
        [...dockers].map(async ([host, d]) =>
          (
            await d
              .listContainers({ all, filters: { label: [`alicia.stack=${stack}`] } })
              .catch(() => [] as Docker.ContainerInfo[])
          ).map((c) => ({ ...c, host, engine: d })),
        ),
      )
    ).flat();
  const running = async (): Promise<Record<string, number>> => {
    const list = await listAll(false);
    const counts: Record<string, number> = {};
    for (const c of list) {
      const service = c.Labels['alicia.service'] ?? '?';
      const instance = c.Labels['alicia.instance'] ?? '?';
      const agent = c.Labels['alicia.agent'] ?? '?';
      // A move is a new incarnation (a new instance id) of the same slot on another host:
      // placements are kept per slot, as instance@agent.
      const slot = `${service}/${c.Labels['alicia.slot'] ?? instance}`;
      const at = `${instance}@${agent}`;
      const seen = placements.get(slot) ?? new Set<string>();
      if (seen.size > 0 && !seen.has(at)) result.moves.push({ instance, to: agent });
      seen.add(at);
      placements.set(slot, seen);
      if (service === STATEFUL && !result.statefulHosts.includes(c.host)) result.statefulHosts.push(c.host);
      counts[service] = (counts[service] ?? 0) + 1;
    }
    return counts;
  };
  let sampling = true;
  const sampler = (async () => {
    let last = Date.now();
    while (sampling) {
      const counts = await running().catch(() => null);
      const now = Date.now();
      if (counts !== null) {
        result.samples += 1;
        const db = counts[STATEFUL] ?? 0;
        result.statefulMax = Math.max(result.statefulMax, db);
        if (db > 1) result.statefulDuplicateSamples += 1;
        for (const s of STATELESS) {
          if ((counts[s] ?? 0) > (DESIRED[s] ?? 0))
            result.coexistenceMs[s] = (result.coexistenceMs[s] ?? 0) + (now - last);
        }
      }
      last = now;
      await sleep(250);
    }
  })();

  // Events on a persistent session, through everything (gaps within a session counted).
  const events: AliciaEvent[] = [];
  const lastSeq = new Map<number, number>();

  let broker: EmbeddedBroker | null = null;
  let failed = false;
  let orchestrator: Proc | null = null;
  const agents = new Map<string, Proc>();
  const startOrchestrator = (): Proc =>
    logTo(
      'orchestrator',
      spawnRoot(
        [
          MAIN,
          'orchestrator',
          '--broker',
          `mqtt://${status.bridge.address}:${brokerPort}`,
          '--state-dir',
          path.join(dir, 'orchestrator'),
          '--heartbeat-ms',
          String(heartbeatMs),
          '--log-level',
          'info',
        ],
        cliEnv(creds.orchestrator),
      ),
    );
  const startAgent = (id: string): Proc => {
    const host = hostOf.get(id) as LabHostStatus;
    const user = creds.agents[id] ?? { username: id, password: '' };
    // Its state on the host's disk: it survives a reboot (and the reboot kills the agent:
    // lab.sh counts processes naming the host's directories as the host's).
    const child = spawnIn(
      host,
      [
        process.execPath,
        MAIN,
        'agent',
        '--broker',
        `mqtt://${status.bridge.address}:${brokerPort}`,
        '--id',
        id,
        '--hostname',
        id,
        '--state-dir',
        `${dataDir}/${id}/agent`,
        '--heartbeat-ms',
        String(heartbeatMs),
        '--log-level',
        'info',
      ],
      { ALICIA_USERNAME: user.username, ALICIA_PASSWORD: user.password },
      ['ignore', 'pipe', 'pipe'],
    );
    return logTo(id, child);
  };
  try {
    broker = await startBroker();
    const brokerUrl = broker.url;
    await writeOperatorFile(home, { url: brokerUrl, ...creds.operator });
    follower = mqtt.connect(brokerUrl, {
      clientId: `soak-follower-${process.pid}`,
      username: creds.operator.username,
      password: creds.operator.password,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 300,
    });
    follower.on('message', (_topic, payload) => {
      let json: unknown;
      try {
        json = JSON.parse(payload.toString());
      } catch {
        return;
      }
      const parsed = EventSchema.safeParse(json);
      if (!parsed.success) return;
      const e = parsed.data;
      const prev = lastSeq.get(e.session);
      if (prev !== undefined && e.seq <= prev) return; // a repeat (QoS 1 redelivery)
      if (prev !== undefined && e.seq > prev + 1) result.eventGaps += 1;
      lastSeq.set(e.session, e.seq);
      events.push(e);
    });
    follower.on('connect', () => {
      follower?.subscribe('alicia/services/events', { qos: 1 });
    });
    orchestrator = startOrchestrator();
    for (const id of HOSTS) agents.set(id, startAgent(id));
    // `up` places at once: on a busy machine the agents may not be online yet.
    const agentsOnline = async (): Promise<boolean> => {
      const args = [MAIN, 'agents', '--json', '--broker', brokerUrl];
      const out = await promisify(execFile)(process.execPath, args, { env: cliEnv(creds.operator) }).catch(
        () => ({ stdout: '' }),
      );
      try {
        const { agents: rows } = JSON.parse(out.stdout) as { agents: { agent: string; status: string }[] };
        return HOSTS.every((id) => rows.some((r) => r.agent === id && r.status === 'online'));
      } catch {
        return false;
      }
    };
    for (const deadline = Date.now() + 90_000; !(await agentsOnline()); await sleep(250)) {
      if (Date.now() > deadline) throw new Error(`soak: agents ${HOSTS.join(', ')} not online within 90 s`);
    }

    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, composeText(stack));
    const up = logTo(
      'up',
      spawnRoot([MAIN, 'up', '-f', file, '--broker', brokerUrl, '--timeout', '120'], cliEnv(creds.operator)),
    );
    await up.exited;
    if (up.child.exitCode !== 0)
      throw new Error(`soak: alicia up exited ${up.child.exitCode} (see ${logDir}/up.log)`);
    say(
      `stack up after ${((Date.now() - t0) / 1000).toFixed(1)} s; faults for ${options.faultsMs / 1000} s, seed ${options.seed}`,
    );

    // The first faults are every kind once, in a seeded order (a short run covers them all),
    // plus a second container kill: both kills of the first round hit the stateful service
    // (two kills of one service on one host were read as failures, and moved db off the host
    // holding its data); after that each fault is drawn at random.
    const firstRound = [...kinds, ...(kinds.includes('container_kill') ? (['container_kill'] as const) : [])];
    for (let i = firstRound.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [firstRound[i], firstRound[j]] = [firstRound[j] as FaultKind, firstRound[i] as FaultKind];
    }
    const end = Date.now() + options.faultsMs;
    while (Date.now() < end) {
      await sleep(options.intervalMs);
      const first = firstRound.length > 0;
      const kind = firstRound.shift() ?? pick(kinds);
      const record: FaultRecord = { kind, target: '', atMs: Date.now() - t0 };
      switch (kind) {
        case 'container_kill':
        case 'container_hang': {
          // In a stable order: the same seed picks the same victim from the same containers.
          const where = (c: { Labels: Record<string, string> }) =>
            `${c.Labels['alicia.instance']}@${c.Labels['alicia.agent']}`;
          const list = (await listAll(false))
            .filter((c) => c.State === 'running')
            .sort((a, b) => (where(a) < where(b) ? -1 : where(a) > where(b) ? 1 : 0));
          const stateful = list.filter((c) => c.Labels['alicia.service'] === STATEFUL);
          const pool = first && kind === 'container_kill' && stateful.length > 0 ? stateful : list;
          const victim = pool.length > 0 ? pick(pool) : undefined;
          if (!victim) break;
          record.instance = victim.Labels['alicia.instance'] ?? '';
          record.service = victim.Labels['alicia.service'] ?? '';
          record.target = `${record.instance}@${victim.Labels['alicia.agent']}`;
          const container = victim.engine.getContainer(victim.Id);
          if (kind === 'container_kill') {
            await container.kill().catch(() => undefined);
          } else {
            await container.pause().catch(() => undefined);
            paused.add(container);
            // A hang ends (the process thaws) after 8 s unless Alicia dealt with it first.
            await sleep(8_000);
            await container.unpause().catch(() => undefined);
            paused.delete(container);
          }
          break;
        }
        case 'agent_kill': {
          const id = pick(HOSTS);
          record.target = id;
          const proc = agents.get(id);
          if (proc) await kill9(proc);
          await sleep(2_000);
          agents.set(id, startAgent(id));
          break;
        }
        case 'partition': {
          // The host's link down on the bridge side: its agent, engine and containers go on,
          // nobody hears a FIN; long enough to be called lost (3 heartbeats + grace).
          const id = pick(HOSTS);
          record.target = id;
          await lab(['partition', id], labId);
          await sleep(4_000 + Math.floor(random() * 4_000));
          await lab(['heal', id], labId);
          break;
        }
        case 'host_reboot': {
          // A power cut and a boot: engine, containers and agent killed; the engine comes
          // back on the same disk; the agent is started again, as the host's init would.
          const id = pick(HOSTS);
          record.target = id;
          const proc = agents.get(id);
          await lab(['reboot', id], labId);
          if (proc) await kill9(proc);
          agents.set(id, startAgent(id));
          break;
        }
        case 'broker_restart': {
          record.target = 'broker';
          await broker?.close();
          broker = null;
          await sleep(2_000);
          broker = await startBroker();
          break;
        }
        case 'orchestrator_kill': {
          record.target = 'orchestrator';
          if (orchestrator) await kill9(orchestrator);
          await sleep(1_000);
          orchestrator = startOrchestrator();
          break;
        }
      }
      result.faults.push(record);
      result.faultCounts[kind] += 1;
      say(`${(record.atMs / 1000).toFixed(1)} s  ${kind} ${record.target}`);
      // One fault at a time, each injected into a system that can see: after a process or
      // link fault the next waits until the orchestrator answers and every agent is online
      // again (a container killed while its agent or the orchestrator is still starting is a
      // restart nobody could report; faults overlapping that way are not what is measured).
      if (kind !== 'container_kill' && kind !== 'container_hang') {
        const since = Date.now();
        while (!(await agentsOnline()) && Date.now() - since < 60_000) await sleep(250);
      }
    }

    // Convergence: Docker runs exactly the desired containers, all running (none paused, none
    // left stopped), one per instance, and stays so for 9 heartbeats.
    const lastFault = Date.now();
    result.lastFaultAtMs = lastFault - t0;
    const converged = async (): Promise<boolean> => {
      const list = await listAll(true);
      result.running = Object.fromEntries(
        list.map((c) => [`${c.Labels['alicia.instance']}@${c.Labels['alicia.agent']}`, c.State]),
      );
      const counts: Record<string, number> = {};
      for (const c of list) {
        if (c.State !== 'running') return false;
        const s = c.Labels['alicia.service'] ?? '?';
        counts[s] = (counts[s] ?? 0) + 1;
      }
      const instances = new Set(list.map((c) => c.Labels['alicia.instance']));
      return (
        instances.size === list.length &&
        Object.entries(DESIRED).every(([s, n]) => counts[s] === n) &&
        Object.keys(counts).length === Object.keys(DESIRED).length
      );
    };
    const deadline = lastFault + (options.convergeTimeoutMs ?? 120_000);
    let stableSince: number | null = null;
    while (Date.now() < deadline) {
      if (await converged()) {
        stableSince ??= Date.now();
        if (Date.now() - stableSince >= 9 * heartbeatMs) {
          result.converged = true;
          result.convergeMs = stableSince - lastFault;
          break;
        }
      } else stableSince = null;
      await sleep(250);
    }
    say(result.converged ? `converged ${result.convergeMs} ms after the last fault` : 'did NOT converge');
    failed = !result.converged;
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    sampling = false;
    await sampler;
    for (const c of paused) await c.unpause().catch(() => undefined);
    follower?.end(true);
    for (const p of [...procs]) await kill9(p);
    await broker?.close().catch(() => undefined);
    // Everything the soak made on the hosts goes with the lab.
    await lab(['down'], labId).catch((err: unknown) => say(`lab down failed: ${String(err)}`));
    // What went wrong stays readable: the process logs are kept on a failure.
    if (failed) say(`logs kept in ${logDir}`);
    else if (options.logDir === undefined) await rm(dir, { recursive: true, force: true });
    if (failed || options.logDir !== undefined)
      await writeFile(path.join(logDir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n'));
  }

  // Accounting: every move has its service_rescheduled; every container kill an event
  // naming the instance after it (its restart, recreate or start: the product says which).
  result.events = events.length;
  for (const e of events) result.eventCounts[e.event_type] = (result.eventCounts[e.event_type] ?? 0) + 1;
  const rescheduled = new Set(
    events.flatMap((e) =>
      e.event_type === 'service_rescheduled' ? [`${e.event_data.instance}@${e.event_data.to}`] : [],
    ),
  );
  result.unaccountedMoves = result.moves.filter((m) => !rescheduled.has(`${m.instance}@${m.to}`));
  for (const f of result.faults) {
    if (f.kind !== 'container_kill' && f.kind !== 'container_hang') continue;
    if (f.instance === undefined) continue;
    const instance = f.instance;
    // (1 s of slack: the orchestrator's clock is this machine's, its stamp is taken a moment before.)
    const after = t0 + f.atMs - 1_000;
    // Or the container was on its way out already (a stale copy being removed, a move): its
    // removal, said just before the kill, is what accounts for it.
    const leaving = (e: AliciaEvent) =>
      (e.event_type === 'service_rescheduled' ||
        (e.event_type === 'healing_action' && e.event_data.action === 'remove_unwanted')) &&
      Date.parse(e.timestamp) >= after - 15_000;
    const named = events.some(
      (e) => (Date.parse(e.timestamp) >= after || leaving(e)) && namesInstance(e, instance),
    );
    // A kill is a restart to account for; a hang is one only if Alicia noticed it (Docker
    // runs no healthcheck in a paused container), so hangs are counted, not required.
    if (f.kind === 'container_kill') {
      result.containerFaults += 1;
      if (named) result.containerFaultsAccounted += 1;
      else result.unaccountedKills.push(`${f.target} at ${(f.atMs / 1000).toFixed(1)} s`);
    } else {
      result.hangs += 1;
      if (named) result.hangsNoticed += 1;
    }
  }
  return result;
}

/** A process of the root namespace (the orchestrator, the CLI): `node MAIN args…`. */
function spawnRoot(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The summary table the bench and the test print. */
export function formatSoak(r: SoakResult): string {
  const rows: [string, string][] = [
    ['seed', `${r.seed} (lab ${r.labId})`],
    [
      'faults',
      r.faults.length === 0
        ? '0'
        : Object.entries(r.faultCounts)
            .filter(([, n]) => n > 0)
            .map(([k, n]) => `${k} ${n}`)
            .join(', '),
    ],
    ['docker samples', String(r.samples)],
    [
      'stateful duplicates (db)',
      `${r.statefulDuplicateSamples} samples (max running at once ${r.statefulMax}; hosts it ran on: ${r.statefulHosts.join(', ') || 'none'})`,
    ],
    [
      'stateless coexistence',
      Object.entries(r.coexistenceMs)
        .map(([s, ms]) => `${s} ${(ms / 1000).toFixed(1)} s`)
        .join(', '),
    ],
    ['moves seen on Docker', `${r.moves.length} (${r.unaccountedMoves.length} without service_rescheduled)`],
    [
      'container kills with an event',
      `${r.containerFaultsAccounted}/${r.containerFaults}${r.unaccountedKills.length > 0 ? ` (none for ${r.unaccountedKills.join(', ')})` : ''}`,
    ],
    ['hangs noticed (event)', `${r.hangsNoticed}/${r.hangs}`],
    ['events', `${r.events} (${r.eventGaps} seq gaps)`],
    [
      'restart events',
      `service_restarted ${r.eventCounts.service_restarted ?? 0}, service_unhealthy ${r.eventCounts.service_unhealthy ?? 0}, service_recovered ${r.eventCounts.service_recovered ?? 0}`,
    ],
    [
      'agent events',
      `agent_lost ${r.eventCounts.agent_lost ?? 0}, agent_offline ${r.eventCounts.agent_offline ?? 0}, service_rescheduled ${r.eventCounts.service_rescheduled ?? 0}`,
    ],
    [
      'converged',
      r.converged
        ? `yes, ${(r.convergeMs / 1000).toFixed(1)} s after the last fault`
        : `NO (${JSON.stringify(r.running)})`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
