// The lab (docs/lab.md) for benchmarks and the walkthrough: a thin wrapper over
// scripts/lab.sh, run from the repository root (the tests have their own, test/lab/lab.ts,
// which is not part of the build). Needs root; the lab number is ALICIA_LAB_ID.
import { type ChildProcess, execFile, type StdioOptions, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const LAB_SCRIPT = path.resolve('scripts/lab.sh');

export interface LabHostStatus {
  name: string;
  netns: string;
  address: string;
  link: 'up' | 'down' | 'missing';
  engine: boolean;
  dockerHost: string;
}

export interface LabStatus {
  up: boolean;
  bridge: { name: string; address: string };
  hosts: LabHostStatus[];
}

export async function lab(args: readonly string[], labId: number): Promise<string> {
  const { stdout } = await exec('bash', [LAB_SCRIPT, ...args], {
    env: { ...process.env, ALICIA_LAB_ID: String(labId) },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 180_000,
  });
  return stdout;
}

export async function labStatus(labId: number): Promise<LabStatus> {
  return JSON.parse(await lab(['status', '--json'], labId)) as LabStatus;
}

/**
 * Starts argv in the host's network namespace (nsenter, so the pid is argv's own); output
 * discarded unless `stdio` says otherwise.
 */
export function spawnIn(
  host: LabHostStatus,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stdio: StdioOptions = ['ignore', 'ignore', 'ignore'],
): ChildProcess {
  return spawn('nsenter', [`--net=/var/run/netns/${host.netns}`, '--', ...argv], {
    stdio,
    env: { ...process.env, DOCKER_HOST: host.dockerHost, ...env },
  });
}

/** `docker ARGS` against the host's engine; stdout, or '' when it failed. */
export async function dockerIn(host: LabHostStatus, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await exec('docker', ['--host', host.dockerHost, ...args], { timeout: 30_000 });
    return stdout;
  } catch {
    return '';
  }
}
