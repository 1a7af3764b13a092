// The dashboard's static server: only the page's files, its config, the one-time token
// spent once; and where it may be served.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { decideUiExposure, startDashboard, startUiServer, type UiServer } from '../../src/ui-server/index.js';

let server: UiServer | null = null;
let other: UiServer | null = null;
let dir: string | null = null;
afterEach(async () => {
  await server?.close();
  await other?.close();
  server = other = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

async function assets(): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-ui-assets-'));
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(path.join(dir, 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'secret.txt'), 'not served');
  return dir;
}

describe('ui server', () => {
  it('serves the page, its config and nothing else', async () => {
    server = await startUiServer({
      port: 0,
      brokerWsUrl: 'ws://127.0.0.1:9/mqtt',
      assetsDir: await assets(),
    });
    const get = (p: string) => fetch(new URL(p, server?.url));
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await get('/app.js')).headers.get('content-type')).toContain('javascript');
    expect(await (await get('/config.json')).json()).toEqual({
      broker_ws_url: 'ws://127.0.0.1:9/mqtt',
      prefix: 'alicia',
    });
    expect((await get('/secret.txt')).status).toBe(404);
    expect((await get('/../package.json')).status).toBe(404);
    expect((await fetch(new URL('/', server.url), { method: 'PUT' })).status).toBe(405);
    expect(server.loginUrl).toBe(server.url);
  });

  it('hands the credentials once for the one-time token', async () => {
    server = await startUiServer({
      port: 0,
      brokerWsUrl: 'ws://127.0.0.1:9/mqtt',
      assetsDir: await assets(),
      oneTime: { username: 'operator', password: 'p' },
    });
    const token = new URL(server.loginUrl).hash.replace('#token=', '');
    expect(token.length).toBeGreaterThanOrEqual(32);
    const post = (t: string) =>
      fetch(new URL('/token', server?.url), { method: 'POST', body: JSON.stringify({ token: t }) });
    expect((await post('wrong')).status).toBe(403);
    const first = await post(token);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ username: 'operator', password: 'p' });
    expect((await post(token)).status).toBe(403);
  });

  it('refuses to start without a built page, naming the fix', async () => {
    await expect(
      startUiServer({
        port: 0,
        brokerWsUrl: 'ws://x/mqtt',
        assetsDir: path.join(os.tmpdir(), 'alicia-none'),
      }),
    ).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining('npm run build'),
    });
  });

  it('is served beyond loopback only when the broker has users', async () => {
    expect(decideUiExposure('127.0.0.1', false)).toEqual({ ok: true });
    expect(decideUiExposure('::1', false)).toEqual({ ok: true });
    expect(decideUiExposure('0.0.0.0', true)).toEqual({ ok: true });
    const refused = decideUiExposure('0.0.0.0', false);
    expect(refused.ok).toBe(false);
    await expect(
      startDashboard({
        host: '0.0.0.0',
        port: '0',
        brokerWsUrl: 'ws://x/mqtt',
        secured: false,
        log: silentLogger(),
      }),
    ).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining('--username'),
    });
  });

  it('a chosen busy port is an error naming --ui-port', async () => {
    const assetsDir = await assets();
    server = await startUiServer({ port: 0, brokerWsUrl: 'ws://x/mqtt', assetsDir });
    await expect(
      startDashboard({
        host: '127.0.0.1',
        port: String(server.port),
        brokerWsUrl: 'ws://x/mqtt',
        secured: true,
        assetsDir,
        log: silentLogger(),
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining(`--ui-port ${server.port}`) });
    await expect(
      startDashboard({
        host: '127.0.0.1',
        port: 'x',
        brokerWsUrl: 'ws://x/mqtt',
        secured: true,
        assetsDir,
        log: silentLogger(),
      }),
    ).rejects.toMatchObject({ message: expect.stringContaining('--ui-port must be a TCP port') });
  });
});
