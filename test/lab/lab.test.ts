// Needs root and Docker (Debian's docker.io): the lab makes network namespaces, a bridge,
// iptables rules and one dockerd per host. It fails, loudly, when it cannot — never skips.
// This file owns lab 1 (and, for a moment, lab 9): other files use other lab numbers.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_IMAGE } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import {
  bridgeAddress,
  dockerInHost,
  execInHost,
  heal,
  hostAddress,
  hostDockerHost,
  labDown,
  labScript,
  labStatus,
  labUp,
  partition,
  type RunResult,
  reboot,
  spawnInHost,
  useLab,
} from './lab.js';

const exec = promisify(execFile);

function ok(result: RunResult): string {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Listens on the lab bridge's address, as the broker will; closed in afterAll. */
function serveOnBridge(
  onSocket: (socket: net.Socket) => void,
): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer(onSocket);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, bridgeAddress(), () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve({ server, port: address.port });
    });
  });
}

const servers: net.Server[] = [];

describe('the lab: three hosts on one machine', () => {
  beforeAll(async () => {
    useLab(1);
    await labDown(); // a fresh lab: no containers left by an earlier run
    const t0 = Date.now();
    await labUp(3);
    console.info(`lab up 3: ${Date.now() - t0} ms`);
  }, 120_000);

  afterAll(async () => {
    for (const server of servers) server.close();
    await labDown(); // idempotent: the last test already took it down when all went well
  }, 60_000);

  it('has three hosts, each with its own address, link and answering engine; up again is a no-op', async () => {
    const status = await labStatus();
    expect(status.hosts.map((h) => [h.name, h.address, h.link, h.engine])).toEqual([
      ['lab1', hostAddress('lab1'), 'up', true],
      ['lab2', hostAddress('lab2'), 'up', true],
      ['lab3', hostAddress('lab3'), 'up', true],
    ]);
    expect(new Set([1, 2, 3].map(hostAddress)).size).toBe(3);
    const again = await labScript(['up', '3']);
    expect(again.stderr).toMatch(/already up with 3 hosts/);
    await expect(labScript(['up', '2'])).rejects.toThrow(/up with 3 hosts, not 2/);
  });

  it('runs containers on each host with that host’s own engine', async () => {
    const roots = await Promise.all(
      [1, 2, 3].map(async (h) => {
        expect(ok(await dockerInHost(h, ['run', '--rm', TEST_IMAGE, 'echo', `hello from lab${h}`]))).toBe(
          `hello from lab${h}\n`,
        );
        return ok(
          await dockerInHost(h, ['info', '--format', '{{.DockerRootDir}} {{.LiveRestoreEnabled}}']),
        ).trim();
      }),
    );
    expect(roots).toEqual([1, 2, 3].map((h) => `/var/lib/alicia-lab/lab${h}/docker false`));
    // The engine runs inside the host's namespace: `docker` from within it sees the same engine.
    expect(ok(await execInHost('lab2', ['docker', 'info', '--format', '{{.DockerRootDir}}'])).trim()).toBe(
      '/var/lib/alicia-lab/lab2/docker',
    );
    expect(hostDockerHost('lab2')).toBe('unix:///run/alicia-lab/lab2/docker.sock');
  });

  it('lets a container on lab2 reach a port published on lab1 by a name for lab1’s address', async () => {
    ok(
      await dockerInHost('lab1', [
        'run',
        '-d',
        '--name',
        'web',
        '-p',
        '8080:80',
        TEST_IMAGE,
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/www',
      ]),
    );
    const fetched = await until(
      async () => {
        const r = await dockerInHost('lab2', [
          'run',
          '--rm',
          '--add-host',
          `web:${hostAddress('lab1')}`,
          TEST_IMAGE,
          'timeout',
          '5',
          'wget',
          '-qO-',
          'http://web:8080/',
        ]);
        return r.code === 0 && r.stdout;
      },
      { what: 'web on lab1 from a container on lab2', timeoutMs: 15_000, everyMs: 200 },
    );
    expect(fetched).toBe('alicia test image\n');
  });

  it('resolves a container by name on a user-defined bridge network', async () => {
    ok(await dockerInHost('lab3', ['network', 'create', 'labnet']));
    ok(
      await dockerInHost('lab3', [
        'run',
        '-d',
        '--network',
        'labnet',
        '--name',
        'srv',
        TEST_IMAGE,
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/www',
      ]),
    );
    const fetched = await until(
      async () => {
        const r = await dockerInHost('lab3', [
          'run',
          '--rm',
          '--network',
          'labnet',
          TEST_IMAGE,
          'timeout',
          '5',
          'wget',
          '-qO-',
          'http://srv/',
        ]);
        return r.code === 0 && r.stdout;
      },
      { what: 'srv by name on labnet', timeoutMs: 15_000, everyMs: 200 },
    );
    expect(fetched).toBe('alicia test image\n');
  });

  it('reaches a process listening on the bridge address from every host, and nothing beyond the lab', async () => {
    const { server, port } = await serveOnBridge((socket) => socket.end('from the root namespace\n'));
    servers.push(server);
    for (const h of [1, 2, 3]) {
      expect(ok(await execInHost(h, ['busybox', 'nc', '-w', '2', bridgeAddress(), String(port)]))).toBe(
        'from the root namespace\n',
      );
      // No default route: a host reaches its /24 and nothing else.
      expect(ok(await execInHost(h, ['ip', '-4', 'route', 'show', 'default']))).toBe('');
    }
    // The root namespace never forwards between the lab bridge and another interface.
    const { stdout } = await exec('iptables-save', ['-t', 'filter']);
    expect(stdout).toContain(
      '-A FORWARD -i alicia-lab0 ! -o alicia-lab0 -m comment --comment alicia-lab -j DROP',
    );
    expect(stdout).toContain(
      '-A FORWARD ! -i alicia-lab0 -o alicia-lab0 -m comment --comment alicia-lab -j DROP',
    );
  });

  it('partitions lab2 without a FIN or RST, and heals it on the same connection', async () => {
    const serverSide: string[] = []; // what the root-namespace end of lab2's connection sees
    let connections = 0;
    const { server, port } = await serveOnBridge((socket) => {
      const watched = connections++ === 0; // the first connection is lab2's long-lived one
      let tick = 0;
      const timer = setInterval(() => socket.write(`tick ${tick++}\n`), 100);
      for (const event of ['end', 'close', 'error'] as const) {
        socket.on(event, () => {
          if (watched) serverSide.push(event);
          clearInterval(timer);
        });
      }
    });
    servers.push(server);
    // stdin stays open: nc would send a FIN on stdin's end.
    const client = spawnInHost('lab2', ['busybox', 'nc', bridgeAddress(), String(port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let received = '';
    let exited: string | null = null;
    client.stdout?.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    client.on('exit', (code, signal) => {
      exited = `${code ?? signal}`;
    });
    try {
      await until(() => received.includes('tick 3'), { what: 'ticks on lab2', timeoutMs: 5_000 });

      await partition('lab2');
      expect((await labStatus()).hosts.find((h) => h.name === 'lab2')?.link).toBe('down');
      await new Promise((resolve) => setTimeout(resolve, 300)); // what was in flight lands
      const before = received.length;
      // A new connection from lab2 fails; lab1 still connects.
      expect(
        (await execInHost('lab2', ['busybox', 'nc', '-w', '1', bridgeAddress(), String(port)])).code,
      ).not.toBe(0);
      expect(
        ok(
          await execInHost('lab1', [
            'busybox',
            'sh',
            '-c',
            `busybox nc -w 1 ${bridgeAddress()} ${port} | head -n1`,
          ]),
        ),
      ).toBe('tick 0\n');
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the partition lasts: no event is awaited
      expect(received.length).toBe(before); // silence…
      expect(exited).toBeNull(); // …and no FIN or RST ended the client,
      expect(serverSide).toEqual([]); // nor the server's side.

      await heal('lab2');
      const healedAt = received.length;
      await until(() => received.length > healedAt, {
        what: 'ticks on lab2 again after heal',
        timeoutMs: 15_000,
      });
      expect(exited).toBeNull();
    } finally {
      client.kill('SIGKILL');
    }
  }, 40_000);

  it('reboots lab3: every process dies, the unless-stopped container comes back, the others stay exited', async () => {
    ok(
      await dockerInHost('lab3', [
        'run',
        '-d',
        '--name',
        'keep',
        '--restart',
        'unless-stopped',
        TEST_IMAGE,
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/www',
      ]),
    );
    ok(await dockerInHost('lab3', ['run', '-d', '--name', 'once', TEST_IMAGE, 'sleep', '600']));
    const startedBefore = ok(
      await dockerInHost('lab3', ['inspect', '-f', '{{.State.StartedAt}}', 'keep']),
    ).trim();
    const agent = spawnInHost('lab3', ['sleep', '600'], { stdio: 'ignore' }); // stands in for an agent
    const agentExit = new Promise<NodeJS.Signals | null>((resolve) =>
      agent.on('exit', (_code, signal) => resolve(signal)),
    );

    const t0 = Date.now();
    await reboot('lab3');
    console.info(`lab reboot lab3: ${Date.now() - t0} ms`);

    expect(await agentExit).toBe('SIGKILL');
    const state = await until(
      async () => {
        const r = ok(
          await dockerInHost('lab3', ['inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', 'keep']),
        ).trim();
        return r.startsWith('running ') && r;
      },
      { what: 'keep running again', timeoutMs: 15_000, everyMs: 100 },
    );
    expect(state).not.toBe(`running ${startedBefore}`);
    expect(ok(await dockerInHost('lab3', ['inspect', '-f', '{{.State.Status}}', 'once'])).trim()).toBe(
      'exited',
    );
    expect(ok(await dockerInHost('lab3', ['exec', 'keep', 'wget', '-qO-', 'http://127.0.0.1/']))).toBe(
      'alicia test image\n',
    );
    // The rebooted host is on the lab again.
    const { server, port } = await serveOnBridge((socket) => socket.end('back\n'));
    servers.push(server);
    expect(ok(await execInHost('lab3', ['busybox', 'nc', '-w', '2', bridgeAddress(), String(port)]))).toBe(
      'back\n',
    );
  }, 60_000);

  it('lives beside another lab: its own bridge, /24 and engines, and no route between the two', async () => {
    useLab(9);
    try {
      await labDown();
      const other = await labUp(1);
      expect(other.bridge).toEqual({ name: 'alicia-lab9-br', address: '10.213.85.1' });
      expect(hostAddress('lab1')).toBe('10.213.85.11');
      expect(hostDockerHost('lab1')).toBe('unix:///run/alicia-lab9/lab1/docker.sock');
      expect(ok(await dockerInHost('lab1', ['image', 'ls', '-q', TEST_IMAGE])).trim()).not.toBe('');
      // lab 9's host reaches its own bridge and not lab 1's hosts.
      expect(ok(await execInHost('lab1', ['busybox', 'ping', '-c', '1', '-W', '1', '10.213.85.1']))).toMatch(
        /1 packets received/,
      );
      const across = await execInHost('lab1', ['busybox', 'ping', '-c', '1', '-W', '1', '10.213.77.11']);
      expect(across.code).not.toBe(0);
      await labDown();
    } finally {
      useLab(1);
    }
    // Lab 1 is untouched by lab 9 coming and going.
    const status = await labStatus();
    expect(status.hosts.map((h) => [h.name, h.link, h.engine])).toEqual([
      ['lab1', 'up', true],
      ['lab2', 'up', true],
      ['lab3', 'up', true],
    ]);
  }, 120_000);

  it('goes down leaving no namespace, link, bridge, rule, process, mount or directory behind', async () => {
    const t0 = Date.now();
    await labDown();
    console.info(`lab down: ${Date.now() - t0} ms`);
    // Lab 1's names only: other labs (other test files) may be up meanwhile.
    const ours = /alicia-lab-\d|alicia-lab0|\/run\/alicia-lab\/|\/var\/lib\/alicia-lab\//;
    const netns = await exec('ip', ['netns', 'list']);
    expect(netns.stdout).not.toMatch(ours);
    const links = await exec('ip', ['-o', 'link', 'show']);
    expect(links.stdout).not.toMatch(ours);
    const rules = await exec('iptables-save');
    expect(rules.stdout).not.toMatch(/--comment "?alicia-lab"? /);
    // pgrep exits 1 when nothing matches.
    await expect(exec('pgrep', ['-f', '/run/alicia-lab/|/var/lib/alicia-lab/'])).rejects.toMatchObject({
      code: 1,
    });
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toMatch(ours);
    expect(existsSync('/run/alicia-lab')).toBe(false);
    expect(existsSync('/var/lib/alicia-lab')).toBe(false);
    // Down twice is fine.
    await labDown();
  }, 60_000);
});
