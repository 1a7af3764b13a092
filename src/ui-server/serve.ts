// Starting the dashboard from a CLI command: the exposure rule, the port (a busy default
// port falls back to a free one; a port the user chose does not), errors that name the flag.
import { aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import { decideUiExposure } from './exposure.js';
import { startUiServer, type UiCredentials, type UiServer } from './server.js';

/** `alicia up`'s dashboard port when --ui-port is not given. */
export const DEFAULT_UI_PORT = 7883;

export interface DashboardOptions {
  host: string;
  /** undefined: DEFAULT_UI_PORT, or any free port when that one is busy. */
  port: string | undefined;
  brokerWsUrl: string;
  prefix?: string | undefined;
  /** The broker has users and roles. */
  secured: boolean;
  oneTime?: UiCredentials;
  assetsDir?: string;
  log: Logger;
}

export function parseUiPort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `--ui-port must be a TCP port, got ${value}`);
  }
  return n;
}

export async function startDashboard(options: DashboardOptions): Promise<UiServer> {
  const exposure = decideUiExposure(options.host, options.secured);
  if (!exposure.ok) throw aliciaError('ALICIA_ERR_CONFIG_INVALID', exposure.reason);
  const chosen = options.port === undefined ? null : parseUiPort(options.port);
  const start = (port: number) =>
    startUiServer({
      host: options.host,
      port,
      brokerWsUrl: options.brokerWsUrl,
      ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
      ...(options.oneTime ? { oneTime: options.oneTime } : {}),
      ...(options.assetsDir !== undefined ? { assetsDir: options.assetsDir } : {}),
      log: options.log,
    });
  try {
    return await start(chosen ?? DEFAULT_UI_PORT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (chosen === null) return start(0);
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `--ui-port ${chosen} on ${options.host} is in use: pass another port (0 picks a free one)`,
      { cause: err },
    );
  }
}
