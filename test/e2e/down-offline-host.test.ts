// Needs Docker: real containers on the private engine, two real agents (in process, one
// engine, told apart by the alicia.agent label), the orchestrator on an aedes broker
// (port 0), and the real CLI (`node dist/src/cli/main.js down`, built by `npm run build`).
// `down` while one host is offline says what is pending there and exits non-zero; when the
// host returns its containers are removed and only then is `stack_removed` emitted. The same
// for `stop` and for a scale down whose surplus is partly on the offline host.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { type Harness, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { sleeperService } from './helpers.js';

const STACK = 'e2edownoff';
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
let harness: Harness | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  await harness?.close();
  harness = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
});

const count = async (agent?: string): Promise<number> => {
  const label = [`alicia.stack=${STACK}`, ...(agent ? [`alicia.agent=${agent}`] : [])];
  return (await docker.listContainers({ all: true, filters: { label } })).length;
};

function alicia(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, ALICIA_HOME: path.join(harness?.dir ?? '/nonexistent', 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

describe('e2e: down with a host offline', () => {
  it('reports the pending removals per host, exits 2, and completes when the host returns', async () => {
    // Nothing moves off the offline host here (a long grace): what it holds stays pending.
    harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'off-a' }, { id: 'off-b' }],
      orchestrator: { rescheduleGraceMs: 600_000 },
    });
    const yaml = ['services:', '  web:', sleeperService(['    deploy: { replicas: 4 }']), ''].join('\n');
    await harness.orchestrator.deploy(stackFrom(yaml, STACK));
    expect(await count('off-a')).toBe(2);
    expect(await count('off-b')).toBe(2);

    // The host goes away (its containers keep running: the data plane survives its agent).
    await harness.stopAgent('off-b');
    await until(
      async () =>
        (await harness?.orchestrator.agents())?.find((a) => a.agent === 'off-b')?.status === 'offline',
      {
        what: 'off-b offline',
      },
    );

    const down = await alicia(['down', '-p', STACK, '--broker', harness.broker.url]);
    expect(down.code, down.stdout + down.stderr).toBe(2);
    expect(down.stdout).toMatch(/^ {2}off-a: 2 removed$/m);
    expect(down.stdout).toMatch(/^ {2}off-b: 2 PENDING \(host offline; removed when it returns\)$/m);
    expect(down.stderr).toMatch(/2 containers still to remove on offline hosts/);
    expect(await count('off-a')).toBe(0);
    expect(await count('off-b')).toBe(2);
    expect(harness.events.some((e) => e.event_type === 'stack_removed')).toBe(false);

    // ps says why the stack is still there.
    const ps = await alicia(['ps', '--broker', harness.broker.url]);
    expect(ps.stdout).toMatch(
      new RegExp(`^${STACK}/web: taken down; removal pending on offline host off-b$`, 'm'),
    );

    // --json: the same per host, for scripts.
    const json = await alicia(['down', '-p', STACK, '--broker', harness.broker.url, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      stack: STACK,
      hosts: [{ agent: 'off-b', status: 'pending' }],
      pending: [expect.any(String), expect.any(String)],
    });

    // The host returns: its leftovers are removed, then the down is complete.
    await harness.startAgent({ id: 'off-b' });
    await until(async () => (await count()) === 0, { timeoutMs: 30_000, what: 'leftovers removed' });
    await until(() => harness?.events.some((e) => e.event_type === 'stack_removed'), {
      timeoutMs: 15_000,
      what: 'stack_removed',
    });
    const again = await alicia(['down', '-p', STACK, '--broker', harness.broker.url]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 120_000);

  it('stop with a host offline reports what is pending there and exits 2', async () => {
    harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'off-a' }, { id: 'off-b' }],
      orchestrator: { rescheduleGraceMs: 600_000 },
    });
    const yaml = ['services:', '  web:', sleeperService(['    deploy: { replicas: 4 }']), ''].join('\n');
    await harness.orchestrator.deploy(stackFrom(yaml, STACK));
    await harness.stopAgent('off-b');
    await until(
      async () =>
        (await harness?.orchestrator.agents())?.find((a) => a.agent === 'off-b')?.status === 'offline',
      { what: 'off-b offline' },
    );
    const stop = await alicia(['stop', 'web', '-p', STACK, '--broker', harness.broker.url]);
    expect(stop.code, stop.stdout + stop.stderr).toBe(2);
    expect(stop.stdout).toMatch(/^ {2}off-b: 2 PENDING \(host offline; removed when it returns\)$/m);
    expect(await count('off-a')).toBe(0);
    // Back: the stopped service's containers there are removed too.
    await harness.startAgent({ id: 'off-b' });
    await until(async () => (await count()) === 0, { timeoutMs: 30_000, what: 'off-b containers removed' });
  }, 120_000);

  it('scale down with a host offline reports what is pending there, exits 2, and completes when it returns', async () => {
    harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'off-a' }, { id: 'off-b' }],
      orchestrator: { rescheduleGraceMs: 600_000 },
    });
    const yaml = ['services:', '  web:', sleeperService(['    deploy: { replicas: 4 }']), ''].join('\n');
    await harness.orchestrator.deploy(stackFrom(yaml, STACK));
    await harness.stopAgent('off-b');
    await until(
      async () =>
        (await harness?.orchestrator.agents())?.find((a) => a.agent === 'off-b')?.status === 'offline',
      { what: 'off-b offline' },
    );
    // 4 -> 1: three go, and off-a holds only two, so at least one is on the offline host.
    const scale = await alicia(['scale', 'web=1', '-p', STACK, '--broker', harness.broker.url, '--json']);
    expect(scale.code, scale.stdout + scale.stderr).toBe(2);
    const result = JSON.parse(scale.stdout) as {
      hosts?: { agent: string; status: string; instances: string[] }[];
      pending?: string[];
    }[];
    const offB = result[0]?.hosts?.find((h) => h.agent === 'off-b');
    expect(offB?.status).toBe('pending');
    const pending = result[0]?.pending ?? [];
    expect(pending.length).toBeGreaterThan(0);
    expect(await count('off-b')).toBe(2);
    // Back: the surplus there is removed; one replica in all.
    await harness.startAgent({ id: 'off-b' });
    await until(async () => (await count()) === 1, { timeoutMs: 30_000, what: 'web down to one container' });
  }, 120_000);
});
