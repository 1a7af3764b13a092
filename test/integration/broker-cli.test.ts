// `alicia broker` and `alicia broker passwd` as a user runs them: the built CLI
// (dist/src/cli/main.js, so `npm run build` first) as a child process.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../broker/users.js';
import { loadUsersFile } from '../../broker/users-file.js';
import { connectAs, nextMessage, tryConnect } from '../helpers/acl-matrix.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-broker-cli-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function alicia(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('node', [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

/** Starts `alicia broker …` and resolves with its URL from the startup log line. */
function startBroker(args: string[]): Promise<{ child: ChildProcess; url: string; log: string[] }> {
  const child = spawn('node', [CLI, 'broker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  cleanup.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${log.join('\n')}`)), 15_000);
    let buffer = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        log.push(line);
        const url = /"url":"(mqtt:\/\/[^"]+)"/.exec(line)?.[1];
        if (url && line.includes('broker listening')) {
          clearTimeout(timer);
          resolve({ child, url, log });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited ${code}: ${[...log, buffer].join('\n')}`));
    });
  });
}

describe('alicia broker passwd', () => {
  it('hashes the password read from stdin, never echoes it, and writes the file 0600', async () => {
    const file = path.join(await tmp(), 'users.yaml');
    const added = await alicia(
      ['broker', 'passwd', '--users', file, 'pi-1', '--role', 'agent'],
      'correct horse\n',
    );
    expect(added).toMatchObject({ code: 0, stdout: `added pi-1 (agent) in ${file}\n` });
    expect(added.stdout + added.stderr).not.toContain('correct horse');
    const updated = await alicia(
      ['broker', 'passwd', '--users', file, 'pi-1', '--role', 'agent'],
      'battery staple\n',
    );
    expect(updated.stdout).toBe(`updated pi-1 (agent) in ${file}\n`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('battery');
    const [user] = await loadUsersFile(file);
    expect(await verifyPassword('battery staple', user?.password_hash ?? '')).toBe(true);
  });

  it('refuses a bad role, a name with / and an empty password with a clear error', async () => {
    const file = path.join(await tmp(), 'users.yaml');
    const role = await alicia(['broker', 'passwd', '--users', file, 'pi-1', '--role', 'admin'], 'pw\n');
    expect(role.code).toBe(1);
    expect(role.stderr).toContain('ALICIA_ERR_CONFIG_INVALID');
    expect(role.stderr).toContain('--role');
    const name = await alicia(['broker', 'passwd', '--users', file, 'a/b', '--role', 'agent'], 'pw\n');
    expect(name.code).toBe(1);
    expect(name.stderr).toContain('ALICIA_ERR_ID_INVALID');
    const empty = await alicia(['broker', 'passwd', '--users', file, 'pi-1', '--role', 'agent'], '\n');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('empty');
  });
});

describe('alicia broker', () => {
  it('runs with a users file and a config file, enforces the roles, and stops cleanly on SIGTERM', async () => {
    const dir = await tmp();
    const users = path.join(dir, 'users.yaml');
    expect(
      (await alicia(['broker', 'passwd', '--users', users, 'ops', '--role', 'operator'], 'ops-pw')).code,
    ).toBe(0);
    expect(
      (await alicia(['broker', 'passwd', '--users', users, 'pi-1', '--role', 'agent'], 'pi-pw')).code,
    ).toBe(0);
    const config = path.join(dir, 'broker.yaml');
    await writeFile(config, 'host: 127.0.0.1\nport: 1883\nusers: users.yaml\nmax_packet_bytes: 65536\n');
    // --port overrides the file's 1883.
    const { child, url } = await startBroker(['--config', config, '--port', '0']);
    expect(url).not.toContain(':1883');
    const op = await connectAs(url, { name: 'ops', password: 'ops-pw', role: 'operator', clientId: 'cli-1' });
    cleanup.push(() => op.endAsync(true));
    await op.subscribeAsync('alicia/agents/+/state', { qos: 1 });
    const agent = await connectAs(url, {
      name: 'pi-1',
      password: 'pi-pw',
      role: 'agent',
      clientId: 'alicia-agent-pi-1',
    });
    cleanup.push(() => agent.endAsync(true));
    const got = nextMessage(op, (t) => t === 'alicia/agents/pi-1/state');
    await agent.publishAsync('alicia/agents/pi-1/state', 'online', { qos: 1 });
    expect((await got).payload).toBe('online');
    expect((await tryConnect(url, { username: 'ops', password: 'wrong', clientId: 'x' })).returnCode).toBe(4);
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('names the file and field of a bad config, and asks for users when there are none', async () => {
    const dir = await tmp();
    const config = path.join(dir, 'broker.yaml');
    await writeFile(config, 'port: http\nusers: users.yaml\ntls:\n  port: 8883\n');
    const bad = await alicia(['broker', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ALICIA_ERR_CONFIG_INVALID');
    expect(bad.stderr).toContain(config);
    expect(bad.stderr).toMatch(/port/);
    expect(bad.stderr).toMatch(/tls\.cert/);
    const none = await alicia(['broker', '--port', '0']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no users file');
  });
});
