// `alicia orchestrator --ui-port` (node dist/src/cli/main.js, built by `npm run build`):
// serves the page and tells it where the broker's WebSocket listener is; refuses without
// that URL, and on a non-loopback address without broker users.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { until } from '../helpers/wait.js';

const MAIN = path.resolve('dist/src/cli/main.js');
const children: ChildProcess[] = [];
let broker: EmbeddedBroker | null = null;
let dir: string | null = null;

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null) continue;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  }
  await broker?.close();
  broker = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

function orchestrator(args: string[]) {
  const out = { stdout: '', stderr: '', code: null as number | null };
  const child = spawn(process.execPath, [MAIN, 'orchestrator', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe('alicia orchestrator --ui-port', () => {
  it('serves the dashboard with the broker WebSocket URL it was given', async () => {
    broker = await startEmbeddedBroker({ port: 0, websocket: { port: 0, path: '/mqtt' } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-orch-ui-'));
    const ws = broker.websocket?.url ?? '';
    const run = orchestrator([
      '--broker',
      broker.url,
      '--state-dir',
      dir,
      '--ui-port',
      '0',
      '--ui-broker-ws',
      ws,
      '--log-level',
      'warn',
    ]);
    const url = await until(() => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.out.stdout)?.[1], {
      what: () => `the dashboard URL in: ${run.out.stdout} ${run.out.stderr}`,
      timeoutMs: 20_000,
    });
    expect((await fetch(url)).status).toBe(200);
    expect(await (await fetch(new URL('config.json', url))).json()).toEqual({
      broker_ws_url: ws,
      prefix: 'alicia',
    });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('needs --ui-broker-ws, and broker users to serve beyond loopback', async () => {
    broker = await startEmbeddedBroker({ port: 0 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-orch-ui-'));
    const noWs = orchestrator(['--broker', broker.url, '--state-dir', dir, '--ui-port', '0']);
    expect(await noWs.exited).not.toBe(0);
    expect(noWs.out.stderr).toMatch(/ALICIA_ERR_CONFIG_INVALID.*--ui-broker-ws/);
    const open = orchestrator([
      '--broker',
      broker.url,
      '--state-dir',
      dir,
      '--ui-port',
      '0',
      '--ui-host',
      '0.0.0.0',
      '--ui-broker-ws',
      'ws://127.0.0.1:1/mqtt',
    ]);
    expect(await open.exited).not.toBe(0);
    expect(open.out.stderr).toMatch(/not loopback\) only when the broker has users/);
  });
});
