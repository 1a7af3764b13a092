// `healthcheck`: the test in its three explicit forms, durations in milliseconds.
import { type FileContext, fail, type KeyPath } from './diagnostics.js';
import { describe, parseDuration } from './durations.js';
import type { HealthcheckLayer } from './layer.js';
import type { Healthcheck } from './model.js';
import { checkKeys, readBool, readInt, readMap, readString } from './read.js';

const KEYS = ['test', 'interval', 'timeout', 'start_period', 'start_interval', 'retries', 'disable'];
const DURATIONS = [
  ['interval', 'interval_ms'],
  ['timeout', 'timeout_ms'],
  ['start_period', 'start_period_ms'],
  ['start_interval', 'start_interval_ms'],
] as const;

export function readHealthcheck(ctx: FileContext, path: KeyPath, value: unknown): HealthcheckLayer {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, KEYS);
  const out: HealthcheckLayer = {};
  if (map.test !== undefined && map.test !== null) out.test = readTest(ctx, [...path, 'test'], map.test);
  for (const [key, field] of DURATIONS) {
    if (map[key] === undefined || map[key] === null) continue;
    const ms = readDuration(ctx, [...path, key], map[key]);
    if (ms === 0 && key !== 'start_period') fail(ctx, [...path, key], `must be more than 0`);
    out[field] = ms;
  }
  if (map.retries !== undefined && map.retries !== null) {
    out.retries = readInt(ctx, [...path, 'retries'], map.retries, 1);
  }
  if (map.disable !== undefined && map.disable !== null) {
    out.disable = readBool(ctx, [...path, 'disable'], map.disable);
  }
  return out;
}

export function readDuration(ctx: FileContext, path: KeyPath, value: unknown): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) fail(ctx, path, parsed.message);
  return parsed.value;
}

function readTest(ctx: FileContext, path: KeyPath, value: unknown): Healthcheck['test'] {
  if (typeof value === 'string') {
    if (value.trim() === '') fail(ctx, path, 'the test is empty; give a command, or set disable: true');
    return ['CMD-SHELL', value];
  }
  if (!Array.isArray(value)) return fail(ctx, path, `expected a string or a list, got ${describe(value)}`);
  const items = value.map((item, index) => readString(ctx, [...path, index], item));
  const [kind, ...args] = items;
  const first = args[0];
  if (kind === 'NONE' && args.length === 0) return ['NONE'];
  if (kind === 'CMD-SHELL' && first !== undefined && args.length === 1) return ['CMD-SHELL', first];
  if (kind === 'CMD' && first !== undefined) return ['CMD', first, ...args.slice(1)];
  if (kind === 'CMD-SHELL') {
    return fail(
      ctx,
      path,
      'CMD-SHELL takes exactly one string, the shell script: ["CMD-SHELL", "curl -f http://localhost || exit 1"]',
    );
  }
  if (kind === 'CMD') {
    return fail(ctx, path, 'CMD needs the program to run: ["CMD", "pg_isready", "-U", "postgres"]');
  }
  if (kind === 'NONE') return fail(ctx, path, '["NONE"] takes no arguments');
  return fail(
    ctx,
    path,
    `a test list starts with "CMD", "CMD-SHELL" or "NONE", not ${kind === undefined ? 'nothing' : `"${kind}"`}; e.g. ["CMD", "pg_isready"]`,
  );
}
