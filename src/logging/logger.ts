// pino, one child logger per component: log.child({ component: 'agent', agent }).
import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Defaults to stderr so stdout stays for command output (--json). */
  destination?: number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? process.env.ALICIA_LOG_LEVEL ?? 'info', base: undefined },
    pino.destination({ dest: options.destination ?? 2, sync: true }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
