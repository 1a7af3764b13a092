// Needs Docker and Debian's docker-compose: a stack that only works on Compose's networks
// (test/fixtures/compose/network-stack): `app` reaches `db` and `cache` by service name,
// waits for both to be healthy and reads its password from /run/secrets/db_password. Run once
// under `alicia up` (embedded, dist/src/cli/main.js built by `npm run build`) and once under
// `docker-compose` on the same engine: the same networks, aliases and secret, and app healthy.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';

const PROJECT = 'netstack';
const FIXTURE = path.resolve('test/fixtures/compose/network-stack/compose.yaml');
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
let child: ChildProcess | null = null;
let dir: string | null = null;

function compose(...args: string[]) {
  const result = spawnSync('docker-compose', ['-p', PROJECT, '-f', FIXTURE, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error)
    throw new Error(`docker-compose is required (apt-get install docker-compose): ${result.error.message}`);
  return result;
}

async function cleanup(): Promise<void> {
  compose('down', '--remove-orphans', '--timeout', '0');
  await removeLabelled(docker, 'alicia.stack', PROJECT);
  for (const network of await docker.listNetworks({ filters: { name: [`${PROJECT}_`] } })) {
    await docker.getNetwork(network.Id).remove();
  }
}

beforeEach(cleanup);
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = null;
  await cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

/** What the stack looks like on the engine, by service: networks with aliases, the secret. */
async function observe(byService: (info: Docker.ContainerInspectInfo) => string) {
  const out: Record<string, { networks: Record<string, string[]>; secret?: string }> = {};
  const containers = await docker.listContainers({ filters: { name: [PROJECT] } });
  for (const summary of containers) {
    const info = await docker.getContainer(summary.Id).inspect();
    const networks: Record<string, string[]> = {};
    for (const [name, endpoint] of Object.entries(info.NetworkSettings.Networks)) {
      // The engine adds the short container id as an alias; it differs run to run.
      networks[name] = (endpoint.Aliases ?? []).filter((alias: string) => !info.Id.startsWith(alias)).sort();
    }
    out[byService(info)] = { networks };
  }
  return out;
}

async function waitHealthy(filter: Record<string, string[]>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Docker's health_status events: subscribed first, then the current state is read.
  const stream = (await docker.getEvents({
    filters: { event: ['health_status'] },
  })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  try {
    const healthy = async () => {
      const found = await docker.listContainers({ filters: { ...filter, health: ['healthy'] } });
      return found.length > 0;
    };
    if (await healthy()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not healthy within ${timeoutMs} ms`)),
        deadline - Date.now(),
      );
      stream.on('data', () => {
        void healthy().then((ok) => {
          if (ok) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    });
  } finally {
    stream.destroy();
  }
}

describe('e2e: a stack that needs the network', () => {
  it('runs under alicia up as under docker-compose: service names resolve, service_healthy gates, the secret is read', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-netstack-'));
    const port = await freePort();
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home'), ALICIA_LOG_LEVEL: 'warn' };
    const state = path.join(dir, 'state');
    child = spawn(
      process.execPath,
      [MAIN, 'up', '-p', PROJECT, '-f', FIXTURE, '--port', String(port), '--state-dir', state],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not up within 60 s:\n${out}`)), 60_000);
      child?.stdout?.on('data', () => {
        if (/Stack netstack is up in/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child?.once('exit', (code) => reject(new Error(`alicia up exited (${code}):\n${out}`)));
    });
    // app became healthy only after reaching db and cache by name and reading the secret.
    expect(out).toMatch(/app\s+healthy/);
    const alicia = await observe((info) => info.Config.Labels['alicia.service'] ?? '?');
    const networks = await docker.listNetworks({
      filters: { label: ['com.docker.compose.project=netstack'] },
    });
    expect(networks.map((n) => [n.Name, n.Labels?.['com.docker.compose.network']]).sort()).toEqual([
      ['netstack_back', 'back'],
      ['netstack_default', 'default'],
    ]);
    // The secret went to the agent's state dir, one file per container that mounts it.
    const secretFiles = async () =>
      (await readdir(state, { recursive: true })).filter((f) => f.endsWith('-secret-db_password'));
    expect(await secretFiles()).toHaveLength(2);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    // The agent removed the stack's networks with its last container, and the secret files.
    expect(
      await docker.listNetworks({ filters: { label: ['com.docker.compose.project=netstack'] } }),
    ).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { label: ['alicia.stack=netstack'] } })).toEqual(
      [],
    );
    expect(await secretFiles()).toEqual([]);

    // The same file under docker-compose on the same engine.
    const up = compose('up', '-d');
    expect(up.status, up.stderr).toBe(0);
    await waitHealthy(
      { label: ['com.docker.compose.project=netstack', 'com.docker.compose.service=app'] },
      30_000,
    );
    const composed = await observe((info) => info.Config.Labels['com.docker.compose.service'] ?? '?');
    expect(alicia).toEqual(composed);
    expect(alicia).toEqual({
      app: { networks: { netstack_back: ['api', 'app'], netstack_default: ['app'] } },
      cache: { networks: { netstack_default: ['cache', 'redis'] } },
      db: { networks: { netstack_back: ['db'] } },
    });
  }, 180_000);
});
