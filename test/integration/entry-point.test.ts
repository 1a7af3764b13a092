// The installed entry point (package.json "bin" -> bin/alicia), reached through a symlink as
// npm links it: `alicia agent` becomes node with the agent's memory flags in the same
// process (exec, no parent left), other commands run with node's defaults.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir: string | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function linkedBin(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')) as {
    bin: { alicia: string };
  };
  expect(pkg.bin.alicia).toBe('bin/alicia');
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-bin-'));
  const link = path.join(dir, 'alicia');
  await symlink(path.join(repo, pkg.bin.alicia), link);
  return link;
}

/** Starts `alicia agent` against a closed port and returns its command line once node runs. */
async function agentArgv(env: NodeJS.ProcessEnv): Promise<string[]> {
  const bin = await linkedBin();
  const stateDir = path.join(dir ?? os.tmpdir(), 'state');
  child = spawn(
    bin,
    [
      'agent',
      '--broker',
      'mqtt://127.0.0.1:1',
      '--id',
      'entry',
      '--state-dir',
      stateDir,
      '--log-level',
      'silent',
    ],
    {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('bin/alicia did not start');
  // The shell execs node: the same pid, its command line changes once node runs.
  return until(
    () => {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((a) => a.endsWith('main.js')) ? argv : false;
    },
    { what: 'node to replace the shell', timeoutMs: 10_000 },
  );
}

describe('bin/alicia', () => {
  it('runs the agent under --lite-mode --max-semi-space-size=1 in the same process', async () => {
    const argv = await agentArgv({});
    expect(argv.slice(0, 4)).toEqual(['node', '--lite-mode', '--max-semi-space-size=1', '--no-expose-wasm']);
    expect(argv.slice(5, 7)).toEqual(['agent', '--broker']);
  });

  it('ALICIA_AGENT_NODE_FLAGS replaces the flags ("" for none)', async () => {
    const argv = await agentArgv({ ALICIA_AGENT_NODE_FLAGS: '' });
    expect(argv[1]).toMatch(/main\.js$/);
  });

  it('runs other commands with node defaults', async () => {
    const bin = await linkedBin();
    const { stdout } = await run(bin, ['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
