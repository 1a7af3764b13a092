// pino, one child logger per component: log.child({ component: 'agent', agent }).
// Pretty lines on a terminal, one JSON object per line otherwise (journald, `docker logs`,
// a log shipper): people read the first, programs the second.
import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';
import { aliciaError } from '../core/errors.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** Default: $ALICIA_LOG_LEVEL, else info. */
  level?: string;
  /** Defaults to stderr so stdout stays for command output (--json). */
  destination?: number;
  /** auto (pretty when the destination is a terminal), pretty or json. Default: $ALICIA_LOG_FORMAT, else auto. */
  format?: string;
  /** Whether the destination is a terminal (default: asks the file descriptor). */
  isTty?: boolean;
}

/** Checks a level given by a flag or an environment variable, naming where it came from. */
export function parseLogLevel(value: string, source = '--log-level'): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw aliciaError(
    'ALICIA_ERR_CONFIG_INVALID',
    `${source}: "${value}" is not one of ${LOG_LEVELS.join(', ')}`,
  );
}

function parseLogFormat(value: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw aliciaError(
    'ALICIA_ERR_CONFIG_INVALID',
    `ALICIA_LOG_FORMAT: "${value}" is not one of ${LOG_FORMATS.join(', ')}`,
  );
}

function isTerminal(fd: number): boolean {
  if (fd === 1) return process.stdout.isTTY === true;
  if (fd === 2) return process.stderr.isTTY === true;
  return false;
}

/** Whether logs to `fd` are pretty: an explicit format wins, else a terminal gets pretty lines. */
export function prettyLogs(format: LogFormat, isTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

function prettyStream(fd: number): DestinationStream {
  // Loaded only for a terminal: a headless agent (systemd, container) never pays for it.
  // Synchronous (no worker thread): a worker costs megabytes the agent's budget lacks.
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as (options: Record<string, unknown>) => DestinationStream;
  return pretty({
    destination: fd,
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = parseLogLevel(
    options.level ?? process.env.ALICIA_LOG_LEVEL ?? 'info',
    options.level === undefined && process.env.ALICIA_LOG_LEVEL !== undefined
      ? 'ALICIA_LOG_LEVEL'
      : '--log-level',
  );
  const fd = options.destination ?? 2;
  const format = parseLogFormat(options.format ?? process.env.ALICIA_LOG_FORMAT ?? 'auto');
  const stream = prettyLogs(format, options.isTty ?? isTerminal(fd))
    ? prettyStream(fd)
    : pino.destination({ dest: fd, sync: true });
  return pino({ level, base: undefined }, stream);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
