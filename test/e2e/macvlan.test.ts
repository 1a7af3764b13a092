// Needs Docker, Debian's docker-compose, root and `ip`: a macvlan network with driver_opts
// (test/fixtures/compose/macvlan) on a parent interface this test creates and removes
// (alicia-dmy0: one end of a veth pair connected to nothing — never a real NIC; this machine's
// kernel has no `dummy` link type, nor ipvlan; its subnet is checked unused first, and no
// traffic leaves it). Brought up by `alicia up` (embedded; dist/ built) and by docker-compose
// on the same engine: the same network (driver, options, IPAM) and addresses, and b reaches a
// by name over the macvlan network (its healthcheck).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';

const PROJECT = 'macvlan';
const FIXTURE = path.resolve('test/fixtures/compose/macvlan/compose.yaml');
const MAIN = path.resolve('dist/src/cli/main.js');
const PARENT = 'alicia-dmy0';
const docker = testDocker();
let child: ChildProcess | null = null;
let dir: string | null = null;

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`${command} is required: ${result.error.message}`);
  return result;
}
const compose = (...args: string[]) => run('docker-compose', ['-p', PROJECT, '-f', FIXTURE, ...args]);

async function cleanup(): Promise<void> {
  compose('down', '--remove-orphans', '--timeout', '0');
  await removeLabelled(docker, 'alicia.stack', PROJECT);
  for (const network of await docker.listNetworks({ filters: { name: [`${PROJECT}_`] } })) {
    await docker.getNetwork(network.Id).remove();
  }
  // Only the link this test names (deleting one end of a veth pair deletes both).
  if (run('ip', ['link', 'show', PARENT]).status === 0) run('ip', ['link', 'del', PARENT]);
}

beforeEach(async () => {
  await cleanup();
  const routes = run('ip', ['-4', 'addr']).stdout + run('ip', ['-4', 'route']).stdout;
  if (/10\.231\.77\./.test(routes)) throw new Error('10.231.77.0/24 is in use here');
  const added = run('ip', ['link', 'add', PARENT, 'type', 'veth', 'peer', 'name', `${PARENT}p`]);
  if (added.status !== 0) throw new Error(`ip link add ${PARENT} (needs root): ${added.stderr}`);
  run('ip', ['link', 'set', PARENT, 'up']);
  run('ip', ['link', 'set', `${PARENT}p`, 'up']);
});
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

/** Networks of the stack (driver, options, IPAM) and each service's addresses on them. */
async function observe(serviceLabel: string) {
  const networks: Record<string, unknown> = {};
  for (const summary of await docker.listNetworks({ filters: { name: [`${PROJECT}_`] } })) {
    const info = await docker.getNetwork(summary.Id).inspect();
    networks[info.Name] = { driver: info.Driver, options: info.Options, ipam: info.IPAM?.Config };
  }
  const addresses: Record<string, Record<string, string>> = {};
  const health: Record<string, string | undefined> = {};
  for (const summary of await docker.listContainers({ filters: { name: [PROJECT] } })) {
    const info = await docker.getContainer(summary.Id).inspect();
    const service = info.Config.Labels[serviceLabel] ?? '?';
    health[service] = info.State.Health?.Status;
    addresses[service] = Object.fromEntries(
      Object.entries(info.NetworkSettings.Networks).map(([name, e]) => [name, e.IPAddress]),
    );
  }
  return { networks, addresses, health };
}

/** Resolves when the service's container is healthy: Docker's health events, no polling. */
async function healthy(serviceLabel: string, service: string): Promise<void> {
  const events = (await docker.getEvents({
    filters: { type: ['container'], event: ['health_status'], label: [`${serviceLabel}=${service}`] },
  })) as NodeJS.ReadableStream & { destroy: () => void };
  try {
    // Subscribed first, then looked: a verdict between the two is not missed.
    if ((await observe(serviceLabel)).health[service] === 'healthy') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${service} not healthy within 30 s`)), 30_000);
      events.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('health_status: healthy')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    events.destroy();
  }
}

describe('e2e: a macvlan network on a parent made by the test', () => {
  it('makes the same networks and addresses as docker-compose, and b reaches a by name', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-macvlan-'));
    const port = await freePort();
    child = spawn(
      process.execPath,
      [
        MAIN,
        'up',
        '-p',
        PROJECT,
        '-f',
        FIXTURE,
        '--port',
        String(port),
        '--state-dir',
        path.join(dir, 'state'),
        '--no-ui',
      ],
      { env: { ...process.env, ALICIA_HOME: path.join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    // b is gated by nothing but its own healthcheck here; up returns once all are started.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not up within 45 s:\n${out}`)), 45_000);
      child?.stdout?.on('data', () => {
        if (/Stack macvlan is up in/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child?.once('exit', (code) => reject(new Error(`alicia up exited (${code}):\n${out}`)));
    });
    await healthy('alicia.service', 'b');
    const alicia = await observe('alicia.service');
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    // The agent removed the stack's networks with its last container.
    expect(await docker.listNetworks({ filters: { name: [`${PROJECT}_`] } })).toEqual([]);

    const up = compose('up', '-d');
    expect(up.status, up.stderr).toBe(0);
    await healthy('com.docker.compose.service', 'b');
    const composed = await observe('com.docker.compose.service');

    expect(alicia.networks).toEqual(composed.networks);
    expect(alicia.addresses).toEqual(composed.addresses);
    expect(alicia.networks).toEqual({
      macvlan_mv: {
        driver: 'macvlan',
        options: { parent: 'alicia-dmy0', macvlan_mode: 'bridge' },
        ipam: [{ Subnet: '10.231.77.0/24', Gateway: '10.231.77.1' }],
      },
    });
    expect(alicia.addresses.a).toEqual({ macvlan_mv: '10.231.77.10' });
  }, 120_000);
});
