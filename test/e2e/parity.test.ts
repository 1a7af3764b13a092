// Needs Docker and Debian's docker-compose (1.29): the parity fixture
// (test/fixtures/compose/parity), which uses the runtime keys Compose honours on one engine,
// is brought up once by docker-compose and once by `alicia up` (embedded; dist/ built by
// `npm run build`) on the same engine, and `docker inspect` of every container is compared
// field by field. A difference fails the test unless KNOWN_DIFFERENCES lists it with its reason.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execIn, removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';

const PROJECT = 'parity';
const FIXTURE = path.resolve('test/fixtures/compose/parity/compose.yaml');
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
let child: ChildProcess | null = null;
let dir: string | null = null;

/** Fields that differ by design, each with its reason. Everything else must be equal. */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'box network.parity_default.aliases':
    'links: ["box:boxalias"] — docker-compose 1.29 makes a legacy link on sidecar (HostConfig.Links); Alicia adds boxalias as a network alias of box (the name resolves from sidecar in both, checked below)',
  'derived secret.mode': 'volumes_from box: the same secret file as box, see "box secret.mode"',
  'box secret.mode':
    'docker-compose 1.29 bind-mounts the source file itself (its host mode, 0644 here); Alicia writes a copy with the mode Compose specifies (default 0444)',
};

function compose(...args: string[]) {
  const result = spawnSync('docker-compose', ['-p', PROJECT, '-f', FIXTURE, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) {
    throw new Error(`docker-compose is required (apt-get install docker-compose): ${result.error.message}`);
  }
  return result;
}

async function cleanup(): Promise<void> {
  compose('down', '--remove-orphans', '--timeout', '0', '--volumes');
  await docker
    .getVolume('parity_cache')
    .remove()
    .catch(() => undefined);
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
  delete process.env.PARITY_PORT;
  await cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

const HOST_FIELDS = [
  'Devices',
  'DeviceCgroupRules',
  'ExtraHosts',
  'Dns',
  'DnsSearch',
  'DnsOptions',
  'Sysctls',
  'Ulimits',
  'ShmSize',
  'Init',
  'GroupAdd',
  'PidMode',
  'IpcMode',
  'SecurityOpt',
  'ReadonlyRootfs',
  'Tmpfs',
  'LogConfig',
  'CapAdd',
  'CapDrop',
  'Memory',
  'MemorySwap',
  'MemorySwappiness',
  'NanoCpus',
  'CpuShares',
  'CpusetCpus',
  'PidsLimit',
  'OomScoreAdj',
  'RestartPolicy',
  'Privileged',
  'PortBindings',
  'UsernsMode',
  'Runtime',
  'OomKillDisable',
  'MemoryReservation',
  'CpuPeriod',
  'CpuQuota',
] as const;

/** Container ids of the run being compared → their service, to compare references by service. */
type Names = Map<string, string>;

/** `container:<id>` / `<id-or-name>:ro` → the same with the referenced container's service. */
function byService(reference: string, names: Names): string {
  for (const [id, service] of names) {
    if (reference.includes(id)) return reference.replace(id, `<${service}>`);
  }
  return reference;
}

type Snapshot = Record<string, unknown>;

/** The comparable view of one container: HostConfig fields, Config fields, networks, secret. */
async function snapshot(info: Docker.ContainerInspectInfo, names: Names): Promise<Snapshot> {
  const out: Snapshot = {};
  const host = info.HostConfig as Record<string, unknown>;
  for (const field of HOST_FIELDS) out[`HostConfig.${field}`] = host[field] ?? null;
  // No bindings: docker-compose sends {}, Alicia nothing; Docker reads both the same.
  const bindings = info.HostConfig.PortBindings as Record<string, unknown> | null | undefined;
  out['HostConfig.PortBindings'] = bindings && Object.keys(bindings).length > 0 ? bindings : null;
  // Other containers are referenced by id (or name): compare the service they belong to.
  out['HostConfig.NetworkMode'] = byService(info.HostConfig.NetworkMode ?? '', names);
  out['HostConfig.VolumesFrom'] = ((host.VolumesFrom as string[] | null) ?? []).map((v) =>
    byService(v, names),
  );
  // Config: the process, its user and environment (PATH is the image's), labels of the file.
  out['Config.Entrypoint'] = info.Config.Entrypoint ?? null;
  out['Config.Cmd'] = info.Config.Cmd ?? null;
  out['Config.User'] = info.Config.User;
  out['Config.WorkingDir'] = info.Config.WorkingDir;
  out['Config.StopSignal'] = (info.Config as { StopSignal?: string }).StopSignal ?? null;
  out['Config.StopTimeout'] = (info.Config as { StopTimeout?: number }).StopTimeout ?? null;
  out['Config.Healthcheck'] = info.Config.Healthcheck ?? null;
  out['Config.MacAddress'] = (info.Config as { MacAddress?: string }).MacAddress ?? null;
  out['Config.Env'] = info.Config.Env.filter((e) => !e.startsWith('PATH=')).sort();
  out.Platform = info.Platform;
  // Docker reads an empty restart policy name as "no" (docker-compose 1.29 sends "", Alicia "no").
  const restart = info.HostConfig.RestartPolicy;
  if (restart?.Name === '') out['HostConfig.RestartPolicy'] = { ...restart, Name: 'no' };
  out['Config.Tty'] = info.Config.Tty;
  out['Config.OpenStdin'] = info.Config.OpenStdin;
  // Without hostname:, Docker names the container's host by its short id, which differs run to run.
  out['Config.Hostname'] = info.Id.startsWith(info.Config.Hostname) ? '<short id>' : info.Config.Hostname;
  out['Config.Domainname'] = info.Config.Domainname;
  out['Config.ExposedPorts'] = info.Config.ExposedPorts ?? null;
  out['Config.Labels.com.example'] = Object.fromEntries(
    Object.entries(info.Config.Labels).filter(([key]) => key.startsWith('com.example.')),
  );
  for (const [name, endpoint] of Object.entries(info.NetworkSettings.Networks)) {
    // The engine adds the container's short id as an alias: it differs run to run.
    out[`network.${name}.aliases`] = (endpoint.Aliases ?? [])
      .filter((a: string) => !info.Id.startsWith(a))
      .sort();
  }
  // Effective mounts (whether asked as Binds or Mounts), the secret's apart: its source differs.
  out.mounts = (info.Mounts ?? [])
    .filter((m) => m.Destination !== '/run/secrets/token')
    // Mode echoes how the mount was asked for ("nocopy" in a Binds string, "z" for Mounts with
    // VolumeOptions.NoCopy), not what it does: left out, NoCopy is asserted below.
    .map(({ Mode: _mode, ...m }) => ({ ...m }))
    .sort((a, b) => a.Destination.localeCompare(b.Destination));
  out['HostConfig.Mounts.tmpfs'] = (info.HostConfig.Mounts ?? [])
    .filter((m) => m.Type === 'tmpfs')
    .map((m) => ({ target: m.Target, options: m.TmpfsOptions ?? null }));
  const mounts = (info.Mounts ?? []).filter((m) => m.Destination === '/run/secrets/token');
  if (mounts.length > 0) {
    out['secret.mount'] = { destination: mounts[0]?.Destination, rw: mounts[0]?.RW };
    out['secret.content'] = await read(info.Id, ['cat', '/run/secrets/token']);
    out['secret.mode'] = await read(info.Id, ['stat', '-c', '%a', '/run/secrets/token']);
  }
  return out;
}

async function read(container: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', resolve);
    stream.once('error', reject);
  });
  // Multiplexed stream: 8-byte frame headers before each chunk of output.
  const raw = Buffer.concat(chunks);
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8').trim();
}

async function snapshots(serviceLabel: string): Promise<Record<string, Snapshot>> {
  const out: Record<string, Snapshot> = {};
  const containers = await docker.listContainers({ filters: { name: [PROJECT] } });
  const names: Names = new Map();
  for (const summary of containers) {
    const service = summary.Labels[serviceLabel] ?? '?';
    names.set(summary.Id, service);
    for (const name of summary.Names) names.set(name.replace(/^\//, ''), service);
  }
  for (const summary of containers) {
    const info = await docker.getContainer(summary.Id).inspect();
    out[info.Config.Labels[serviceLabel] ?? '?'] = await snapshot(info, names);
  }
  return out;
}

describe('e2e: parity with docker-compose, field by field', () => {
  it('creates the same containers as docker-compose from the parity fixture', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-parity-'));
    const port = await freePort();
    // derived publishes a port: a free one, read by both tools from the environment.
    process.env.PARITY_PORT = String(await freePort());
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home'), ALICIA_LOG_LEVEL: 'warn' };
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
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const collect = (chunk: Buffer) => {
      out += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not up within 60 s:\n${out}`)), 60_000);
      child?.stdout?.on('data', () => {
        if (/Stack parity is up in/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child?.once('exit', (code) => reject(new Error(`alicia up exited (${code}):\n${out}`)));
    });
    const alicia = await snapshots('alicia.service');
    const boxInfo = await docker
      .getContainer(
        `alicia-${(await docker.listContainers({ filters: { label: ['alicia.service=box'] } }))[0]?.Labels['alicia.instance']}`,
      )
      .inspect();
    const aliciaNoCopy = boxInfo.HostConfig.Mounts?.find((m) => m.Target === '/cache')?.VolumeOptions?.NoCopy;
    // The device is really there, as /dev/ttyACM0.
    const box = (await docker.listContainers({ filters: { label: ['alicia.service=box'] } }))[0];
    expect(box && (await execIn(docker, box.Id, ['test', '-c', '/dev/ttyACM0']))).toBe(0);

    const resolvesLink = async (label: string) => {
      const sidecar = (await docker.listContainers({ filters: { label: [label] } }))[0];
      return sidecar && (await execIn(docker, sidecar.Id, ['nslookup', 'boxalias']));
    };
    expect(await resolvesLink('alicia.service=sidecar')).toBe(0);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);

    // Volumes outlive the stack (as under Compose): docker-compose makes its own.
    await docker.getVolume('parity_cache').remove();
    const up = compose('up', '-d');
    expect(up.status, up.stderr).toBe(0);
    const composed = await snapshots('com.docker.compose.service');
    expect(await resolvesLink('com.docker.compose.service=sidecar')).toBe(0);

    // debug is in a profile nobody activated: neither runs it.
    expect(Object.keys(alicia).sort()).toEqual(['box', 'derived', 'net', 'sidecar', 'store']);
    expect(Object.keys(composed).sort()).toEqual(['box', 'derived', 'net', 'sidecar', 'store']);
    const differences: string[] = [];
    for (const service of Object.keys(composed)) {
      const a = alicia[service] ?? {};
      const c = composed[service] ?? {};
      for (const field of new Set([...Object.keys(a), ...Object.keys(c)])) {
        if (KNOWN_DIFFERENCES[`${service} ${field}`] !== undefined) continue;
        if (JSON.stringify(a[field]) !== JSON.stringify(c[field])) {
          differences.push(
            `${service} ${field}: alicia ${JSON.stringify(a[field])} vs docker-compose ${JSON.stringify(c[field])}`,
          );
        }
      }
    }
    expect(differences).toEqual([]);
    // What the fixture asks for is really there (not merely equal on both sides).
    expect(alicia.box?.['HostConfig.Devices']).toEqual([
      { PathOnHost: '/dev/null', PathInContainer: '/dev/ttyACM0', CgroupPermissions: 'rwm' },
    ]);
    expect(alicia.box?.['secret.content']).toBe('parity-secret');
    expect(alicia.box?.['HostConfig.Mounts.tmpfs']).toEqual([
      { target: '/scratch', options: { SizeBytes: 2 * 1024 * 1024 } },
    ]);
    expect(aliciaNoCopy).toBe(true);
    const cache = await docker.getVolume('parity_cache').inspect();
    expect(cache.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=10m' });
    expect(alicia.box?.['network.parity_front.aliases']).toEqual(['box', 'web']);
    expect(alicia.box?.['network.parity_default.aliases']).toEqual(['box', 'boxalias']);
    // extends (another file) + environment + env_file, volumes_from, network_mode service:x.
    expect(alicia.derived?.['Config.Env']).toEqual(['A=1', 'B=2', 'C=3', 'FROM_ENV_FILE=yes', 'QUOTED=a b']);
    expect(alicia.derived?.['Config.Labels.com.example']).toEqual({
      'com.example.base': 'yes',
      'com.example.role': 'derived',
    });
    expect(alicia.derived?.['HostConfig.VolumesFrom']).toEqual(['<store>:ro']);
    expect(alicia.derived?.['HostConfig.UsernsMode']).toBe('host');
    expect(alicia.net?.['HostConfig.NetworkMode']).toBe('container:<box>');
    // A port without a host port is published on a free one, as docker-compose does.
    expect(alicia.sidecar?.['HostConfig.PortBindings']).toEqual({
      '8081/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
  }, 180_000);
});
