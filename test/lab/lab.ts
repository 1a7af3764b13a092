// The lab harness: many hosts on one machine for multi-host tests and benchmarks
// (docs/lab.md). Needs root and Debian's docker.io; every call goes through scripts/lab.sh,
// which owns the lab's names, addresses and clean-up.
//
// Labs live side by side: each is numbered (lab.sh's ALICIA_LAB_ID, 1..9) with its own bridge,
// /24, namespaces and directories. A test file that needs hosts calls useLab(n) with a number
// no other file uses, so files run in parallel (the numbers in use: docs/lab.md).
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const LAB_SCRIPT = fileURLToPath(new URL('../../scripts/lab.sh', import.meta.url));

let labId = labNumber(process.env.ALICIA_LAB_ID ?? '1');

function labNumber(text: string): number {
  if (!/^[1-9]$/.test(text)) throw new Error(`ALICIA_LAB_ID=${text}: give a lab number 1..9`);
  return Number(text);
}

/** Picks the lab this process uses (default: ALICIA_LAB_ID, else 1). */
export function useLab(id: number): void {
  labId = labNumber(String(id));
}

/** The prefix of every name the lab makes: `alicia-lab` for lab 1, `alicia-lab<n>` for lab n. */
export function labPrefix(): string {
  return labId === 1 ? 'alicia-lab' : `alicia-lab${labId}`;
}

export function labStateFile(): string {
  return `/run/${labPrefix()}/state.json`;
}

/** `up` imports a tarball into every engine; `reboot` restarts one: both take seconds. */
const SCRIPT_TIMEOUT_MS = 120_000;

const LabHostSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  netns: z.string(),
  /** Give it to `nsenter --net=…` to run a process on this host. */
  netnsPath: z.string(),
  /** The host's veth on the bridge side (root namespace); `partition` sets it down. */
  link: z.string(),
  address: z.string(),
  /** unix:///run/alicia-lab/<host>/docker.sock */
  dockerHost: z.string(),
  dockerdPid: z.number().int().nullable(),
  dataRoot: z.string(),
  execRoot: z.string(),
});

const LabStateSchema = z.object({
  v: z.literal(1),
  subnet: z.string(),
  bridge: z.object({ name: z.string(), address: z.string() }),
  hosts: z.array(LabHostSchema),
});

const LabStatusSchema = z.object({
  up: z.boolean(),
  subnet: z.string(),
  bridge: z.object({ name: z.string(), address: z.string(), present: z.boolean() }),
  hosts: z.array(
    z.object({
      name: z.string(),
      netns: z.string(),
      address: z.string(),
      link: z.enum(['up', 'down', 'missing']),
      engine: z.boolean(),
      dockerHost: z.string(),
      dockerdPid: z.number().int().nullable(),
    }),
  ),
});

export type LabHost = z.infer<typeof LabHostSchema>;
export type LabState = z.infer<typeof LabStateSchema>;
export type LabStatus = z.infer<typeof LabStatusSchema>;
/** `'lab2'` or `2`. */
export type HostRef = string | number;

export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv) {
  return new Promise<RunResult>((resolve, reject) => {
    execFile(
      file,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: env ?? process.env },
      (err, stdout, stderr) => {
        if (err?.killed) {
          reject(new Error(`${file} ${args.join(' ')}: no answer within ${timeoutMs} ms\n${stderr}`));
        } else if (typeof err?.code === 'string') {
          reject(new Error(`${file} ${args.join(' ')}: ${err.message}`, { cause: err }));
        } else {
          resolve({ code: err ? (err.code ?? null) : 0, stdout, stderr });
        }
      },
    );
  });
}

/** Runs `lab.sh ARGS`; rejects with the script's own message when it fails. */
export async function labScript(args: readonly string[]): Promise<RunResult> {
  const env = { ...process.env, ALICIA_LAB_ID: String(labId) };
  const result = await run('bash', [LAB_SCRIPT, ...args], SCRIPT_TIMEOUT_MS, env);
  if (result.code !== 0) {
    throw new Error(`lab.sh ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr.trim()}`);
  }
  return result;
}

/** Makes hosts lab1..labN (a no-op when that lab is already up) and returns the lab. */
export async function labUp(n: number): Promise<LabState> {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (namespaces, bridge, iptables, dockerd)');
  await labScript(['up', String(n)]);
  return labState();
}

/** Removes every namespace, link, rule, engine, mount and process of the lab. */
export async function labDown(): Promise<void> {
  await labScript(['down']);
}

/** The host's link goes down on the bridge side: its peers see silence, never a FIN or RST. */
export async function partition(host: HostRef): Promise<void> {
  await labScript(['partition', labHost(host).name]);
}

export async function heal(host: HostRef): Promise<void> {
  await labScript(['heal', labHost(host).name]);
}

/**
 * kill -9 every process of the host (engine, containers, agents started with spawnInHost),
 * then a fresh network stack and engine on the same disk; resolves once the engine answers.
 * Containers with restart policies come back as after a power cut; agents are the caller's
 * to start again.
 */
export async function reboot(host: HostRef): Promise<void> {
  await labScript(['reboot', labHost(host).name]);
}

/** Live status: links up or down, engines answering. */
export async function labStatus(): Promise<LabStatus> {
  const { stdout } = await labScript(['status', '--json']);
  return LabStatusSchema.parse(JSON.parse(stdout));
}

/** The lab as `up` (or the last reboot) wrote it. */
export function labState(): LabState {
  let text: string;
  try {
    text = readFileSync(labStateFile(), 'utf8');
  } catch (err) {
    throw new Error(`the lab is not up (${labStateFile()} is missing): call labUp(n) first`, { cause: err });
  }
  return LabStateSchema.parse(JSON.parse(text));
}

export function labHost(host: HostRef): LabHost {
  const name = typeof host === 'number' ? `lab${host}` : host;
  const found = labState().hosts.find((h) => h.name === name);
  if (!found)
    throw new Error(
      `no host ${name} in the lab (${labState()
        .hosts.map((h) => h.name)
        .join(', ')})`,
    );
  return found;
}

/** DOCKER_HOST of the host's own engine. */
export function hostDockerHost(host: HostRef): string {
  return labHost(host).dockerHost;
}

/** The host's address on the lab bridge (what other hosts reach its published ports at). */
export function hostAddress(host: HostRef): string {
  return labHost(host).address;
}

/**
 * The root namespace's address on the lab bridge: where the broker listens so that every
 * host reaches it (`startEmbeddedBroker({host: bridgeAddress(), port: 0})`).
 */
export function bridgeAddress(): string {
  return labState().bridge.address;
}

function nsenterArgs(host: HostRef, argv: readonly string[]): string[] {
  if (argv.length === 0) throw new Error('no command given');
  // nsenter, not `ip netns exec`: that remounts /sys (and dockerd then fails).
  return [`--net=${labHost(host).netnsPath}`, '--', ...argv];
}

function hostEnv(host: HostRef, env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: hostDockerHost(host), ...env };
}

/** Runs argv in the host's network namespace (DOCKER_HOST = its engine) to completion. */
export function execInHost(
  host: HostRef,
  argv: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return run('nsenter', nsenterArgs(host, argv), options.timeoutMs ?? 30_000, hostEnv(host, options.env));
}

/**
 * Starts a long-lived process (an agent, a client) in the host's network namespace, with
 * DOCKER_HOST set to the host's engine. The child is nsenter exec'ing argv, so its pid is
 * the process's own; `reboot(host)` kills it with SIGKILL, `labDown()` too.
 */
export function spawnInHost(
  host: HostRef,
  argv: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  return spawn('nsenter', nsenterArgs(host, argv), { ...options, env: hostEnv(host, options.env) });
}

/** `docker ARGS` against the host's engine (from the root namespace, through its socket). */
export function dockerInHost(host: HostRef, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
  return run('docker', ['--host', hostDockerHost(host), ...args], timeoutMs);
}
