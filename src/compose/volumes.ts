// `volumes` of a service → long form. Short form "SOURCE:TARGET[:MODE]": a source starting
// with "/", "." or "~" is a bind mount (relative ones resolved against the project
// directory, as Compose does); any other source names a volume; no source is an anonymous
// volume.
import { isAbsolute, resolve } from 'node:path';
import type { MountOptions } from '../protocol/container-spec.js';
import { readBytes } from './deploy.js';
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import type { VolumeLayer } from './layer.js';
import type { Volume } from './model.js';
import { checkKeys, isRawMap, readBool, readMap, readString } from './read.js';

const LONG_KEYS = [
  'type',
  'source',
  'target',
  'read_only',
  'consistency',
  'bind',
  'volume',
  'tmpfs',
  'image',
];
const PROPAGATIONS: ReadonlySet<string> = new Set([
  'shared',
  'rshared',
  'slave',
  'rslave',
  'private',
  'rprivate',
]);
const MODES_NOOP = new Set(['rw', 'cached', 'delegated', 'consistent']);
const SHORT_HINT = 'write SOURCE:TARGET[:ro], e.g. "./data:/data:ro" or "db-data:/var/lib/postgresql/data"';

export function readVolumes(ctx: FileContext, path: KeyPath, value: unknown): VolumeLayer[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return fail(ctx, path, `expected a list of volumes, got ${describe(value)}`);
  return value.map((item, index) => {
    const at = [...path, index];
    const origin = { file: ctx.file, path: at };
    if (typeof item === 'string') return { ...parseShort(ctx, at, item), origin };
    if (isRawMap(item)) return { ...parseLong(ctx, at, item), origin };
    return fail(
      ctx,
      at,
      `expected a volume such as "./data:/data" or a mapping with type and target, got ${describe(item)}`,
    );
  });
}

function parseShort(ctx: FileContext, path: KeyPath, raw: string): Omit<VolumeLayer, 'origin'> {
  const parts = raw.split(':');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    return fail(ctx, path, `"${raw}" is not a volume; ${SHORT_HINT}`);
  }
  if (parts.length === 1) {
    return { volume: { type: 'volume', target: checkTarget(ctx, path, raw), read_only: false } };
  }
  const [source = '', target = '', mode = ''] = parts;
  let readOnly = false;
  const options: MountOptions = {};
  for (const option of mode === '' ? [] : mode.split(',')) {
    if (option === 'ro') readOnly = true;
    else if (option === 'z' || option === 'Z') options.selinux = option;
    else if (option === 'nocopy') options.nocopy = true;
    else if (PROPAGATIONS.has(option))
      options.propagation = option as NonNullable<MountOptions['propagation']>;
    else if (!MODES_NOOP.has(option)) {
      fail(ctx, path, `"${raw}": "${option}" is not a mount option; use ro or rw`);
    }
  }
  const volume: Volume = {
    type: 'volume',
    source,
    target: checkTarget(ctx, path, target),
    read_only: readOnly,
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
  if (isHostPath(source)) return { volume: { ...volume, type: 'bind', source: hostPath(ctx, path, source) } };
  return { volume, named: source };
}

function parseLong(
  ctx: FileContext,
  path: KeyPath,
  map: Record<string, unknown>,
): Omit<VolumeLayer, 'origin'> {
  checkKeys(ctx, path, map, LONG_KEYS);
  const type = readString(
    ctx,
    [...path, 'type'],
    map.type ?? fail(ctx, [...path, 'type'], 'the mount type is required (bind, volume or tmpfs)'),
  );
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') {
    return fail(
      ctx,
      [...path, 'type'],
      `mount type "${type}" is not supported by Alicia; use bind, volume or tmpfs`,
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
    );
  }
  if (map.target === undefined || map.target === null) {
    return fail(ctx, [...path, 'target'], 'the mount target is required');
  }
  const target = checkTarget(ctx, [...path, 'target'], readString(ctx, [...path, 'target'], map.target));
  const readOnly =
    map.read_only === undefined || map.read_only === null
      ? false
      : readBool(ctx, [...path, 'read_only'], map.read_only);
  const source =
    map.source === undefined || map.source === null || map.source === ''
      ? undefined
      : readString(ctx, [...path, 'source'], map.source);
  if (map.consistency !== undefined) {
    warn(ctx, [...path, 'consistency'], 'consistency applies to Docker Desktop only; ignored');
  }
  const mountOptions: MountOptions = {};
  for (const sub of ['bind', 'volume', 'tmpfs', 'image'] as const) {
    if (map[sub] === undefined || map[sub] === null) continue;
    const options = readMap(ctx, [...path, sub], map[sub]);
    for (const [key, option] of Object.entries(options)) {
      const at = [...path, sub, key];
      // create_host_path: true is what Docker does anyway for a missing bind source.
      if (sub === 'bind' && key === 'create_host_path' && option === true) continue;
      if (sub === 'bind' && key === 'propagation') {
        const value = readString(ctx, at, option);
        if (!PROPAGATIONS.has(value))
          fail(ctx, at, `"${value}" is not a propagation; use ${[...PROPAGATIONS].join(', ')}`);
        mountOptions.propagation = value as NonNullable<MountOptions['propagation']>;
        continue;
      }
      if (sub === 'bind' && key === 'selinux') {
        const value = readString(ctx, at, option);
        if (value !== 'z' && value !== 'Z') fail(ctx, at, 'selinux must be z or Z');
        mountOptions.selinux = value;
        continue;
      }
      if (sub === 'volume' && key === 'nocopy') {
        mountOptions.nocopy = readBool(ctx, at, option);
        continue;
      }
      if (sub === 'volume' && key === 'subpath') {
        mountOptions.subpath = readString(ctx, at, option);
        continue;
      }
      if (sub === 'tmpfs' && key === 'size') {
        mountOptions.tmpfs_size_bytes = readBytes(ctx, at, option);
        continue;
      }
      if (sub === 'tmpfs' && key === 'mode') {
        mountOptions.tmpfs_mode =
          typeof option === 'number' && /^[0-7]+$/.test(String(option))
            ? Number.parseInt(String(option), 8)
            : Number.parseInt(readString(ctx, at, option), 8);
        continue;
      }
      warn(
        ctx,
        [...path, sub, key],
        `mount option "${sub}.${key}" is not applied by Alicia; the mount is made without it`,
      );
    }
  }
  const extra = Object.keys(mountOptions).length > 0 ? { options: mountOptions } : {};
  if (type === 'tmpfs') {
    if (source !== undefined) fail(ctx, [...path, 'source'], 'a tmpfs mount has no source; remove it');
    return { volume: { type, target, read_only: readOnly, ...extra } };
  }
  if (type === 'bind') {
    if (source === undefined) {
      return fail(ctx, [...path, 'source'], 'a bind mount needs the host path as source');
    }
    return { volume: { type, source: hostPath(ctx, path, source), target, read_only: readOnly, ...extra } };
  }
  if (source === undefined) return { volume: { type, target, read_only: readOnly, ...extra } };
  return { volume: { type, source, target, read_only: readOnly, ...extra }, named: source };
}

function isHostPath(source: string): boolean {
  return source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
}

/** Resolves "./data" against the project directory and "~/x" against $HOME, like Compose. */
function hostPath(ctx: FileContext, path: KeyPath, source: string): string {
  if (source === '~' || source.startsWith('~/')) {
    const home = ctx.lookup('HOME');
    if (!home) return fail(ctx, path, `bind source "${source}" uses "~" but HOME is not set`);
    return resolve(home, source.slice(2));
  }
  return isAbsolute(source) ? source : resolve(ctx.projectDirectory, source);
}

function checkTarget(ctx: FileContext, path: KeyPath, target: string): string {
  if (!target.startsWith('/')) {
    fail(ctx, path, `mount target "${target}" must be an absolute path in the container`);
  }
  return target;
}
