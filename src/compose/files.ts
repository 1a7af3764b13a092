// Secrets and configs as Compose implements them without Swarm: a top-level entry says where
// the content comes from (`file:`, `environment:` or `content:`); a service mounts it
// read-only at /run/secrets/<name> (secrets) or /<name> (configs), or at `target`, with
// uid/gid/mode. The content is read here (through the loader's reader, so a deploy bundle
// carries it) and travels base64 in the service's ContainerSpec, to its agent only.
import { isAbsolute, resolve } from 'node:path';
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import type { FileSourceLayer, ServiceFileLayer } from './layer.js';
import { checkKeys, isRawMap, readMap, readString } from './read.js';

export type FileKindName = 'secrets' | 'configs';

/** Compose's default mode for secret and config files: world-readable, read-only. */
export const DEFAULT_FILE_MODE = 0o444;

/** The top-level `secrets:` or `configs:` of one file. */
export function readTopFiles(
  ctx: FileContext,
  kind: FileKindName,
  value: unknown,
): Record<string, FileSourceLayer> {
  const out: Record<string, FileSourceLayer> = {};
  for (const [name, raw] of Object.entries(readMap(ctx, [kind], value))) {
    const path = [kind, name];
    const map = readMap(ctx, path, raw);
    checkKeys(ctx, path, map, [
      'file',
      'environment',
      'content',
      'external',
      'name',
      'template_driver',
      'labels',
      'driver',
      'driver_opts',
    ]);
    const origin = { file: ctx.file, path };
    const sources = ['file', 'environment', 'content'].filter((k) => map[k] !== undefined && map[k] !== null);
    if (map.external !== undefined && map.external !== null && map.external !== false) {
      fail(
        ctx,
        [...path, 'external'],
        `external ${kind} live in a Swarm; give the content with file:, environment: or content:`,
        'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      );
    }
    if (sources.length !== 1) {
      fail(
        ctx,
        path,
        `give exactly one of file:, environment: or content: (got ${sources.join(', ') || 'none'})`,
      );
    }
    for (const k of ['template_driver', 'driver', 'driver_opts', 'labels']) {
      if (map[k] !== undefined && map[k] !== null)
        warn(ctx, [...path, k], `${k} belongs to Swarm; it is ignored`);
    }
    const source = sources[0];
    let text: string;
    let from: NonNullable<FileSourceLayer['from']> = { kind: 'content' };
    if (source === 'file') {
      const file = readString(ctx, [...path, 'file'], map.file);
      const full = isAbsolute(file) ? file : resolve(ctx.projectDirectory, file);
      const read = ctx.readFile?.(full, kind === 'secrets' ? 'secret' : 'config');
      if (read === undefined) {
        fail(
          ctx,
          [...path, 'file'],
          `${kind.slice(0, -1)} file ${full} not found`,
          'ALICIA_ERR_COMPOSE_NOT_FOUND',
        );
      }
      text = read;
      from = { kind: 'file', path: full };
    } else if (source === 'environment') {
      const variable = readString(ctx, [...path, 'environment'], map.environment);
      const found = ctx.lookup(variable);
      if (found === undefined) {
        fail(ctx, [...path, 'environment'], `variable "${variable}" is not set; set it before deploying`);
      }
      text = found;
      from = { kind: 'environment', variable };
    } else text = readString(ctx, [...path, 'content'], map.content);
    out[name] = { content_base64: Buffer.from(text, 'utf8').toString('base64'), from, origin };
  }
  return out;
}

function readMode(ctx: FileContext, path: KeyPath, value: unknown): number {
  // Compose reads `mode: 0440` as octal (YAML 1.1); this loader's YAML 1.2 reads it as the
  // decimal 440. A number written only with the digits 0-7 is therefore taken as octal, as
  // Compose users mean it; one with an 8 or 9 (`mode: 288`) is decimal.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    const octal = /^[0-7]+$/.test(String(value)) ? Number.parseInt(String(value), 8) : value;
    if (octal <= 0o7777) return octal;
  }
  if (typeof value === 'string' && /^0?[0-7]{1,4}$/.test(value.trim()))
    return Number.parseInt(value.trim(), 8);
  return fail(ctx, path, `expected a file mode such as 0440, got ${describe(value)}`);
}

/** A service's `secrets:` or `configs:`: names, or `{source, target, uid, gid, mode}`. */
export function readServiceFiles(ctx: FileContext, path: KeyPath, value: unknown): ServiceFileLayer[] {
  if (!Array.isArray(value)) return fail(ctx, path, `expected a list, got ${describe(value)}`);
  return value.map((item, index) => {
    const at = [...path, index];
    const origin = { file: ctx.file, path: at };
    if (typeof item === 'string') return { source: item, origin };
    if (!isRawMap(item))
      return fail(ctx, at, `expected a name or a mapping with source, got ${describe(item)}`);
    checkKeys(ctx, at, item, ['source', 'target', 'uid', 'gid', 'mode']);
    if (item.source === undefined || item.source === null) fail(ctx, [...at, 'source'], 'source is required');
    const out: ServiceFileLayer = { source: readString(ctx, [...at, 'source'], item.source), origin };
    if (item.target !== undefined && item.target !== null)
      out.target = readString(ctx, [...at, 'target'], item.target);
    if (item.uid !== undefined && item.uid !== null) out.uid = readString(ctx, [...at, 'uid'], item.uid);
    if (item.gid !== undefined && item.gid !== null) out.gid = readString(ctx, [...at, 'gid'], item.gid);
    if (item.mode !== undefined && item.mode !== null) out.mode = readMode(ctx, [...at, 'mode'], item.mode);
    return out;
  });
}

/** Where the file appears in the container: Compose's defaults for each kind. */
export function fileTarget(kind: FileKindName, source: string, target: string | undefined): string {
  if (kind === 'secrets') {
    if (target === undefined) return `/run/secrets/${source}`;
    return target.startsWith('/') ? target : `/run/secrets/${target}`;
  }
  if (target === undefined) return `/${source}`;
  return target.startsWith('/') ? target : `/${target}`;
}
