// Shared printing and exit helpers for sub-commands.
import { isAliciaError } from '../core/errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error the way every sub-command does (code first, then message) and exits 1. */
export function fail(err: unknown, json = false): never {
  if (json) {
    const error = isAliciaError(err)
      ? err.toWire()
      : { code: 'ALICIA_ERR_RUNTIME', message: err instanceof Error ? err.message : String(err) };
    process.stdout.write(`${JSON.stringify({ status: 'error', error }, null, 2)}\n`);
  } else if (isAliciaError(err)) {
    process.stderr.write(`alicia: ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`alicia: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
}
