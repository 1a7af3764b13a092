// The dashboard's static file server: the bundled page (dist/ui), its `config.json` (where
// the broker's WebSocket listener is, the topic prefix) and, for embedded `alicia up`, the
// exchange of a one-time token for the operator's broker credentials. Everything else the
// page does goes over MQTT to the broker, through its ACLs: this server has no API of its own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aliciaError } from '../core/errors.js';
import { type Logger, silentLogger } from '../logging/logger.js';

export interface UiCredentials {
  username: string;
  password: string;
}

export interface UiServerOptions {
  /** 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** ws:// or wss:// URL of the broker's MQTT-over-WebSocket listener, as browsers reach it. */
  brokerWsUrl: string;
  prefix?: string;
  /** Built page; default `dist/ui` of this package. */
  assetsDir?: string;
  /**
   * Credentials handed once to the page that presents the one-time token printed in the
   * URL (embedded `alicia up`): after that the token is spent and the page logs in itself.
   */
  oneTime?: UiCredentials;
  log?: Logger;
}

export interface UiServer {
  readonly host: string;
  readonly port: number;
  /** http://host:port/ */
  readonly url: string;
  /** The URL to print: with `#token=…` when a one-time token is waiting, else `url`. */
  readonly loginUrl: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

/** The page's files: index.html, app.js (+ map, licenses), style.css. Nothing else is served. */
const FILES = new Set(['index.html', 'app.js', 'app.js.map', 'app.js.LEGAL.txt', 'style.css']);

/** `dist/ui` of this package, found from this module's place (src/ or dist/src/). */
export function defaultAssetsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'ui');
    dir = path.dirname(dir);
  }
  return path.join(process.cwd(), 'dist', 'ui');
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const log = (options.log ?? silentLogger()).child({ component: 'ui' });
  const host = options.host ?? '127.0.0.1';
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  if (!existsSync(path.join(assetsDir, 'index.html'))) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `the dashboard is not built (${assetsDir}/index.html is missing): run npm run build`,
    );
  }
  const config = JSON.stringify({ broker_ws_url: options.brokerWsUrl, prefix: options.prefix ?? 'alicia' });
  // 24 random bytes; compared in constant time; spent on first use.
  let token: Buffer | null = options.oneTime ? randomBytes(24) : null;
  const tokenText = token?.toString('base64url') ?? null;

  const headers = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    // The page loads only its own files and talks only to the broker over WebSocket.
    'Content-Security-Policy':
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    'Cache-Control': 'no-store',
  };
  const send = (res: http.ServerResponse, status: number, type: string, body: string | Buffer): void => {
    res.writeHead(status, { ...headers, 'Content-Type': type });
    res.end(body);
  };

  const exchange = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 1024) req.destroy();
    });
    req.on('end', () => {
      let given: unknown;
      try {
        given = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        given = undefined;
      }
      const presented = typeof given === 'string' ? Buffer.from(given, 'base64url') : Buffer.alloc(0);
      if (
        token &&
        options.oneTime &&
        presented.length === token.length &&
        timingSafeEqual(presented, token)
      ) {
        token = null;
        log.info('one-time dashboard token used');
        send(res, 200, 'application/json', JSON.stringify(options.oneTime));
        return;
      }
      log.warn({ remote: req.socket.remoteAddress }, 'dashboard token refused (unknown or already used)');
      send(res, 403, 'application/json', JSON.stringify({ error: 'token unknown or already used' }));
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    if (req.method === 'POST' && url.pathname === '/token') {
      exchange(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (url.pathname === '/config.json') {
      send(res, 200, 'application/json', config);
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!FILES.has(name)) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    readFile(path.join(assetsDir, name)).then(
      (content) => send(res, 200, TYPES[path.extname(name)] ?? 'application/octet-stream', content),
      () => send(res, 404, 'text/plain; charset=utf-8', 'not found\n'),
    );
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${urlHost(host)}:${port}/`;
  // The token travels in the fragment: browsers never send it to a server, and the page
  // removes it from the address bar once spent. It is printed, never logged.
  const loginUrl = tokenText ? `${url}#token=${tokenText}` : url;
  log.info({ url, brokerWsUrl: options.brokerWsUrl }, 'dashboard served');
  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url,
    loginUrl,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
