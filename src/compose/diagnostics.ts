// Where a problem is, and how it is reported. Every error and warning of the loader names
// the file and the dotted path of the key (services.api.depends_on.db.condition), and the
// line and column when the key can be found in the YAML.
import { type AliciaError, aliciaError, type ErrorCode } from '../core/errors.js';
import type { StackWarning } from './model.js';

export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];
export interface Location {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}
export type Locate = (path: KeyPath) => Location | undefined;

/** `['services', 'api', 'ports', 0]` → `services.api.ports[0]`. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export interface Place {
  file: string;
  path: string;
  location?: Location | undefined;
}

/** The one shape of a loader error: `<file>[:line:col]: <path>: <message>`. */
export function composeError(
  code: ErrorCode,
  place: Place,
  message: string,
  cause?: unknown,
  extra?: Readonly<Record<string, unknown>>,
): AliciaError {
  const where = place.location ? `${place.file}:${place.location.line}:${place.location.column}` : place.file;
  const detail = place.path === '' ? `${where}: ${message}` : `${where}: ${place.path}: ${message}`;
  return aliciaError(code, detail, {
    cause,
    details: {
      ...extra,
      file: place.file,
      path: place.path,
      ...(place.location ? { line: place.location.line, column: place.location.column } : {}),
    },
  });
}

/**
 * What the per-file normalizers carry: the file, how to find a key in it, where warnings
 * go, and the inputs that resolve paths and env files.
 */
export interface FileContext {
  readonly file: string;
  readonly locate: Locate;
  readonly warnings: StackWarning[];
  readonly projectDirectory: string;
  /** Environment used for interpolation and `~` (process env over .env). */
  readonly lookup: (name: string) => string | undefined;
  readonly readFile:
    | ((path: string, kind: 'compose' | 'dotenv' | 'env_file' | 'secret' | 'config') => string | undefined)
    | undefined;
}

export function fail(
  ctx: FileContext,
  path: KeyPath,
  message: string,
  code: ErrorCode = 'ALICIA_ERR_COMPOSE_INVALID',
): never {
  throw composeError(code, { file: ctx.file, path: formatPath(path), location: ctx.locate(path) }, message);
}

export function warn(ctx: FileContext, path: KeyPath, message: string): void {
  ctx.warnings.push({ file: ctx.file, path: formatPath(path), message });
}
