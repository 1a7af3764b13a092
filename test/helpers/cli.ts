// Runs the built CLI (`dist/src/cli/main.js`) as a real process and collects its output.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ALICIA_MAIN = path.resolve('dist/src/cli/main.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Resolves when the process exits; `onSpawn` lets a test kill it in afterEach. */
export function runAlicia(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; onSpawn?: (child: ChildProcess) => void },
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ALICIA_MAIN, ...args], {
      env: options.env,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
