// Needs Docker: `alicia up` (node dist/src/cli/main.js, built by `npm run build`) in its
// embedded mode runs a broker, the orchestrator and a local agent on the real engine; Ctrl-C
// (SIGINT) must stop the stack in reverse order, remove everything and exit 0.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { mosquittoSub } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { httpdService } from './helpers.js';

const STACK = 'e2eup';
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
let child: ChildProcess | null = null;
let dir: string | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  child = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

function waitForOutput(
  proc: ChildProcess,
  out: { text: string },
  match: RegExp,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!match.test(out.text)) return;
      clearTimeout(timer);
      proc.stdout?.off('data', check);
      resolve();
    };
    const timer = setTimeout(
      () => reject(new Error(`no ${match} within ${timeoutMs} ms; output:\n${out.text}`)),
      timeoutMs,
    );
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => reject(new Error(`alicia up exited early (${code}); output:\n${out.text}`)));
    check();
  });
}

describe('e2e: alicia up (embedded) and Ctrl-C', () => {
  it('deploys with progress, serves ps and events, and on SIGINT removes everything and exits 0', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-up-'));
    const [brokerPort, p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const compose = path.join(dir, 'compose.yaml');
    await writeFile(
      compose,
      [
        `name: ${STACK}`,
        'services:',
        '  db:',
        httpdService({ port: p1 ?? 0 }),
        '  api:',
        httpdService({ port: p2 ?? 0, dependsOn: { db: 'service_healthy' } }),
        '  web:',
        httpdService({ port: p3 ?? 0, dependsOn: { api: 'service_healthy' } }),
        '',
      ].join('\n'),
    );
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home'), ALICIA_LOG_LEVEL: 'warn' };
    const out = { text: '' };
    child = spawn(
      process.execPath,
      [MAIN, 'up', '-f', compose, '--port', String(brokerPort), '--state-dir', path.join(dir, 'state')],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out.text += chunk;
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitForOutput(child, out, /Stack e2eup is up in/, 60_000);

    // Progress lines per service, in dependency order (stdout is not a TTY: plain lines).
    const lines = out.text.split('\n');
    const index = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(index(/^\s+db\s+healthy/)).toBeLessThan(index(/^\s+api\s+starting/));
    expect(index(/^\s+api\s+healthy/)).toBeLessThan(index(/^\s+web\s+starting/));
    expect(index(/^\s+web\s+waiting for api/)).toBeGreaterThanOrEqual(0);

    // Anonymous loopback viewers (the embedded default) read the retained presence.
    const viewer = await mosquittoSub(brokerPort, ['alicia/orchestrator/state'], { sentinel: false });
    try {
      await viewer.waitFor((l) => l.includes('"online"'), 'orchestrator online');
    } finally {
      await viewer.close();
    }

    // The CLI finds the broker and the operator's credentials in $ALICIA_HOME/operator.json.
    const ps = spawnSync(process.execPath, [MAIN, 'ps', '--json'], {
      env,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(ps.status, ps.stderr).toBe(0);
    const services = (JSON.parse(ps.stdout) as { services: { service: string; healthy_replicas: number }[] })
      .services;
    expect(services.map((s) => [s.service, s.healthy_replicas])).toEqual([
      ['api', 1],
      ['db', 1],
      ['web', 1],
    ]);
    expect((await docker.listContainers({ filters: { label: [`alicia.stack=${STACK}`] } })).length).toBe(3);

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, `stderr: ${stderr}`).toBe(0);
    expect(out.text).toMatch(/Stack e2eup removed\./);
    const order = out.text
      .split('\n')
      .filter((l) => l.includes('service_stopped'))
      .map((l) => /e2eup\/(\w+)/.exec(l)?.[1]);
    expect(order).toEqual(['web', 'api', 'db']);
    expect(await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } })).toEqual(
      [],
    );
  });
});
