// Needs Docker (DOCKER_HOST, the test engine) and docker-compose: builds the Alicia image
// with packaging/build-image.sh (base image made locally by docker import: no registry),
// runs packaging/compose.yaml (broker + orchestrator + an agent with the Docker socket),
// and reads back with the real mosquitto_sub that the orchestrator is online and the
// agent's info is retained; the agent in its container runs with the entry point's flags.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mosquittoSub, type Subscriber } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(repo, 'dist/src/cli/main.js');
const COMPOSE_FILE = path.join(repo, 'packaging/compose.yaml');
const PROJECT = 'alicia-pkg-test';
const IMAGE = 'alicia-pkg-test:latest';
const AGENT = 'pkg-agent';

let dir = '';
let port = 0;
let sub: Subscriber | undefined;

function dockerSocket(): string {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://'))
    throw new Error(`the agent container needs a unix socket, DOCKER_HOST=${host}`);
  return host.slice('unix://'.length);
}

function composeEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ALICIA_IMAGE: IMAGE,
    ALICIA_PORT: String(port || 1),
    ALICIA_BIND: '127.0.0.1',
    ALICIA_USERS: path.join(dir || os.tmpdir(), 'users.yaml'),
    ALICIA_AGENT_ID: AGENT,
    ALICIA_ORCHESTRATOR_PASSWORD: 'orch-pw',
    ALICIA_AGENT_PASSWORD: 'agent-pw',
    ALICIA_LOG_LEVEL: 'debug',
    DOCKER_SOCKET: dockerSocket(),
  };
}

async function compose(...args: string[]): Promise<string> {
  const { stdout } = await run('docker-compose', ['-p', PROJECT, '-f', COMPOSE_FILE, ...args], {
    env: composeEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function cleanup(): Promise<void> {
  // Containers, the project's network and named volumes, from this run or an earlier one.
  await compose('down', '--volumes', '--remove-orphans', '--timeout', '5');
  await run('docker', ['image', 'rm', '--force', IMAGE]).catch(() => undefined);
}

async function passwd(role: string, user: string, password: string): Promise<void> {
  await run(process.execPath, [
    CLI,
    'broker',
    'passwd',
    user,
    '--users',
    path.join(dir, 'users.yaml'),
    '--role',
    role,
    '--password',
    password,
  ]);
}

describe('packaging: the image and compose file on the test engine', () => {
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-pkg-'));
    await cleanup();
    port = await freePort();
    const { stdout } = await run('bash', [path.join(repo, 'packaging/build-image.sh'), IMAGE], {
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout.trim().split('\n').at(-1)).toBe(IMAGE);
    await passwd('orchestrator', 'orchestrator', 'orch-pw');
    await passwd('agent', AGENT, 'agent-pw');
    // The broker runs as uid 1000 in its container; the file holds only password hashes.
    await chmod(path.join(dir, 'users.yaml'), 0o644);
    await compose('up', '-d');
  }, 240_000);

  afterAll(async () => {
    await sub?.close();
    if (dir) {
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('the orchestrator goes online on the broker and the agent retains its info', async () => {
    // The broker container listens a moment after `up -d` returns: mosquitto_sub gives up
    // on a refused connection, so wait for the port first.
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
      { what: `the broker container listening on 127.0.0.1:${port}`, timeoutMs: 60_000, everyMs: 100 },
    );
    // Anonymous clients on loopback are viewers: mosquitto_sub needs no password to watch.
    sub = await mosquittoSub(
      port,
      ['alicia/orchestrator/state', `alicia/agents/${AGENT}/state`, `alicia/agents/${AGENT}/info`],
      { sentinel: false },
    );
    const logs = async () => compose('logs', '--no-color', '--tail', '40').catch((e: Error) => e.message);
    try {
      await sub.waitFor(
        (l) => l.startsWith('alicia/orchestrator/state ') && l.includes('"online"'),
        'orchestrator online',
        60_000,
      );
      await sub.waitFor(
        (l) => l.startsWith(`alicia/agents/${AGENT}/state `) && l.includes('"online"'),
        'agent online',
        60_000,
      );
      const info = await sub.waitFor(
        (l) => l.startsWith(`alicia/agents/${AGENT}/info `),
        'agent info',
        60_000,
      );
      const payload = JSON.parse(info.slice(info.indexOf(' ') + 1)) as {
        agent: string;
        docker_version?: string;
      };
      expect(payload.agent).toBe(AGENT);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- docker-compose logs ---\n${await logs()}`);
    }
  }, 120_000);

  it('the agent in its container runs with the memory flags of the entry point, as root; the others as alicia', async () => {
    const agentId = (await compose('ps', '-q', 'agent')).trim();
    const { stdout: cmdline } = await run('docker', ['exec', agentId, 'cat', '/proc/1/cmdline']);
    const argv = cmdline.split('\0');
    expect(argv.slice(0, 4)).toEqual(['node', '--lite-mode', '--max-semi-space-size=1', '--no-expose-wasm']);
    expect(argv).toContain('agent');
    // For the record only: right after start-up RSS still holds start-up garbage; the
    // budget (≤ 60 MB idle with 10 containers) is measured by bench/agent-footprint.ts.
    const { stdout: status } = await run('docker', ['exec', agentId, 'cat', '/proc/1/status']);
    const rssMb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
    process.stderr.write(`agent in its container: ${rssMb.toFixed(1)} MB RSS\n`);
    expect(rssMb).toBeGreaterThan(0);
    const { stdout: agentUser } = await run('docker', ['exec', agentId, 'id', '-u']);
    expect(agentUser.trim()).toBe('0');
    const orchId = (await compose('ps', '-q', 'orchestrator')).trim();
    const { stdout: orchUser } = await run('docker', ['exec', orchId, 'id', '-u']);
    expect(orchUser.trim()).toBe('1000');
    // Not a terminal: JSON log lines.
    const { stdout: orchLogs } = await run('docker', ['logs', orchId], { maxBuffer: 16 * 1024 * 1024 });
    const { stderr } = await run('docker', ['logs', orchId], { maxBuffer: 16 * 1024 * 1024 });
    const first = `${orchLogs}${stderr}`.split('\n').find((l) => l.trim().length > 0) ?? '';
    expect(() => JSON.parse(first)).not.toThrow();
  });
});
