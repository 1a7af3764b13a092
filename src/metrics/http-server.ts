// The metrics endpoint: GET /metrics (Prometheus text exposition), /healthz (200 while the
// broker connection is up, 503 otherwise) and /status (JSON). Read-only, no other routes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';

export interface MetricsEndpoint {
  metrics(): Promise<string>;
  readonly contentType: string;
  healthy(): boolean;
  status(): Promise<unknown>;
}

export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  endpoint: MetricsEndpoint,
  options: { port: number; host?: string | undefined; log: Logger },
): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log.child({ component: 'metrics' });
  const send = (res: http.ServerResponse, code: number, type: string, body: string): void => {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'only GET\n');
      return;
    }
    const answer = async (): Promise<void> => {
      switch (path) {
        case '/metrics':
          send(res, 200, endpoint.contentType, await endpoint.metrics());
          return;
        case '/healthz': {
          const ok = endpoint.healthy();
          send(
            res,
            ok ? 200 : 503,
            'application/json',
            `${JSON.stringify({ status: ok ? 'ok' : 'disconnected' })}\n`,
          );
          return;
        }
        case '/status':
          send(res, 200, 'application/json', `${JSON.stringify(await endpoint.status())}\n`);
          return;
        default:
          send(res, 404, 'text/plain; charset=utf-8', 'try /metrics, /healthz or /status\n');
      }
    };
    answer().catch((err: unknown) => {
      log.warn({ err, path }, 'metrics request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        aliciaError(
          'ALICIA_ERR_CONFIG_INVALID',
          `--metrics-port ${options.port}: cannot listen on ${host} (${err.code ?? err.message})`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url }, 'metrics at /metrics, /healthz, /status');
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
