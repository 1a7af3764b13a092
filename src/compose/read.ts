// Typed readers for raw Compose values. Interpolation yields strings, so every reader also
// accepts the string spelling of its type ("3" for 3, "true" for true), as Compose does.
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';

export type RawMap = Record<string, unknown>;

export function isRawMap(value: unknown): value is RawMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readMap(ctx: FileContext, path: KeyPath, value: unknown): RawMap {
  if (value === null || value === undefined) return {};
  if (!isRawMap(value)) fail(ctx, path, `expected a mapping, got ${describe(value)}`);
  return value;
}

export function readString(ctx: FileContext, path: KeyPath, value: unknown): string {
  if (typeof value === 'string') return value;
  // YAML reads `user: 1000` or `image: 3` as numbers; Compose takes them as text.
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(ctx, path, `expected a string, got ${describe(value)}`);
}

export function readInt(ctx: FileContext, path: KeyPath, value: unknown, min: number): number {
  const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
    fail(ctx, path, `expected a whole number, got ${describe(value)}`);
  }
  if (number < min) fail(ctx, path, `must be ${min} or more, got ${number}`);
  return number;
}

// Compose's own spelling of booleans in strings (compose-go toBoolean).
const TRUE = new Set(['true', 'yes', 'y', 'on']);
const FALSE = new Set(['false', 'no', 'n', 'off']);

export function readBool(ctx: FileContext, path: KeyPath, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
  }
  return fail(ctx, path, `expected true or false, got ${describe(value)}`);
}

/** A list of strings; `single: true` also takes one string (Compose's string_or_list). */
export function readStringList(ctx: FileContext, path: KeyPath, value: unknown, single = false): string[] {
  if (value === null || value === undefined) return [];
  if (single && typeof value === 'string') return [value];
  if (!Array.isArray(value)) fail(ctx, path, `expected a list of strings, got ${describe(value)}`);
  return value.map((item, index) => readString(ctx, [...path, index], item));
}

/**
 * Compose's list_or_dict (`environment`, `labels`): `["A=1", "B"]` or `{A: 1, B: null}`.
 * `bare` is the value of an entry given without "=" or with null: null for environment
 * (taken from the host's environment), "" for labels.
 */
export function readListOrDict(
  ctx: FileContext,
  path: KeyPath,
  value: unknown,
  bare: string | null,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const entry = readString(ctx, [...path, index], item);
      const eq = entry.indexOf('=');
      const key = eq === -1 ? entry : entry.slice(0, eq);
      if (key.trim() === '') fail(ctx, [...path, index], `"${entry}" has no name before "="`);
      out[key] = eq === -1 ? bare : entry.slice(eq + 1);
    });
    return out;
  }
  if (!isRawMap(value)) {
    fail(ctx, path, `expected a mapping or a list of "KEY=value", got ${describe(value)}`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) out[key] = bare;
    else if (typeof item === 'object') fail(ctx, [...path, key], `expected a string, got ${describe(item)}`);
    else out[key] = String(item);
  }
  return out;
}

/**
 * Rejects keys that are not in `allowed` (and not `x-*` extensions, which Compose lets
 * anyone add), suggesting the closest known key.
 */
export function checkKeys(
  ctx: FileContext,
  path: KeyPath,
  map: RawMap,
  allowed: Iterable<string>,
  code: 'ALICIA_ERR_COMPOSE_INVALID' = 'ALICIA_ERR_COMPOSE_INVALID',
  extensions = true,
): void {
  const known = [...allowed];
  for (const key of Object.keys(map)) {
    if (known.includes(key) || (extensions && key.startsWith('x-'))) continue;
    const near = closest(key, known);
    const hint = near ? `did you mean "${near}"?` : `known keys: ${known.join(', ')}`;
    fail(ctx, [...path, key], `unknown key "${key}"; ${hint}`, code);
  }
}

/** Warns about a key Alicia cannot honour, unless its value is empty or false (nothing to honour). */
export function warnIgnored(ctx: FileContext, path: KeyPath, value: unknown, message: string): void {
  if (value === null || value === undefined || value === false || value === '') return;
  if (Array.isArray(value) && value.length === 0) return;
  if (isRawMap(value) && Object.keys(value).length === 0) return;
  warn(ctx, path, message);
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
