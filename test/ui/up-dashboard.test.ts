// Needs Docker, Chromium and a build (`npm run build`: node dist/src/cli/main.js, dist/ui):
// embedded `alicia up` prints the dashboard's URL with the progress; the page opened from it
// logs in as the operator with the one-time token (spent: a second use is refused, and it
// leaves the address bar) and shows the stack; the token never reaches the logs.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpdService } from '../e2e/helpers.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { launchChromium, screenshot, waitText } from './browser.js';

const STACK = 'uiup';
const MAIN = path.resolve('dist/src/cli/main.js');
const docker = testDocker();
let child: ChildProcess | null = null;
let dir: string | null = null;
let browser: Browser | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  await browser?.close();
  browser = null;
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

describe('alicia up serves the dashboard', () => {
  it('prints a one-time URL that logs the page in as the operator', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-uiup-'));
    const [brokerPort, p1, p2] = [await freePort(), await freePort(), await freePort()];
    const compose = path.join(dir, 'compose.yaml');
    await writeFile(
      compose,
      [
        `name: ${STACK}`,
        'services:',
        '  db:',
        httpdService({ port: p1, delayS: 0 }),
        '  web:',
        httpdService({ port: p2, delayS: 0, dependsOn: { db: 'service_healthy' } }),
        '',
      ].join('\n'),
    );
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const out = { text: '', err: '' };
    child = spawn(
      process.execPath,
      [
        MAIN,
        'up',
        '-f',
        compose,
        '--port',
        String(brokerPort),
        '--ui-port',
        '0',
        '--state-dir',
        path.join(dir, 'state'),
        '--log-level',
        'debug',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out.text += chunk;
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      out.err += chunk;
    });
    const url = await until(
      () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]+)/.exec(out.text)?.[1],
      {
        what: () => `the dashboard URL in:\n${out.text}\n${out.err}`,
        timeoutMs: 30_000,
      },
    );
    const token = url.slice(url.indexOf('#token=') + '#token='.length);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(url);
    await waitText(page, 'role', 'operator · operator');
    expect(page.url()).not.toContain('token');
    await waitText(page, `replicas-${STACK}-web`, '1/1', 60_000);
    await screenshot(page, 'up-embedded');

    // Spent: the same token is refused now.
    const again = await fetch(new URL('token', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    expect(again.status).toBe(403);
    // Printed once on stdout, never logged (stderr carries the debug logs).
    expect(out.err).not.toContain(token);
    expect(out.text.split(token).length - 1).toBe(1);
    await context.close();

    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited, out.err).toBe(0);
  }, 120_000);
});
