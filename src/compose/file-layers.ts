// One Compose file → its FileLayers: the file itself, after the files it `include`s (each
// loaded as its own small project: its own directory for relative paths and its own `.env`),
// with every `extends` resolved. Pure: files come through the context's reader.
import { dirname, isAbsolute, resolve } from 'node:path';
import { type FileContext, fail, type KeyPath, type Locate, warn } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { type OpenServicesFile, readServicesWithExtends, type ServicesSource } from './extends.js';
import { readTopFiles } from './files.js';
import { interpolateString, type Lookup } from './interpolate.js';
import { TOP_LEVEL_KEYS } from './keys.js';
import type { FileLayer, ServiceKey } from './layer.js';
import { NameSchema, type StackVolume, type StackWarning } from './model.js';
import { readTopNetworks } from './networks.js';
import {
  checkKeys,
  isRawMap,
  readBool,
  readListOrDict,
  readMap,
  readString,
  readStringList,
  warnIgnored,
} from './read.js';
import { layerKeysOf } from './service.js';
import { readStackXAlicia } from './x-alicia.js';
import { parseYamlSource, tagKey, type YamlSource } from './yaml-source.js';

const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;

/** What loading any Compose file needs, shared by the files of one stack. */
export interface LayerInputs {
  readonly warnings: StackWarning[];
  readonly locates: Map<string, Locate>;
  readonly readFile: FileContext['readFile'];
  /** The process environment (wins over every `.env`). */
  readonly fromEnv: Lookup;
}

/**
 * The layers of one Compose file, in merge order: what it includes (recursively), then the
 * file itself. `chain` holds the files being included, to refuse an include cycle.
 */
export function loadFileLayers(
  inputs: LayerInputs,
  file: string,
  text: string,
  projectDirectory: string,
  lookup: Lookup,
  chain: readonly string[] = [],
): FileLayer[] {
  const yaml = parseYamlSource(file, text);
  inputs.locates.set(file, yaml.locate);
  const ctx: FileContext = {
    file,
    locate: yaml.locate,
    warnings: inputs.warnings,
    projectDirectory,
    lookup,
    readFile: inputs.readFile,
  };
  const value = interpolateTree(ctx, yaml.value, []);
  const included: FileLayer[] = [];
  if (isRawMap(value) && value.include !== undefined && value.include !== null) {
    for (const entry of readInclude(ctx, value.include)) {
      included.push(...loadInclude(inputs, ctx, entry, [...chain, file]));
    }
  }
  const opened = new Map<string, ServicesSource>();
  const openServices: OpenServicesFile = (from, path, name) => {
    const full = isAbsolute(name) ? name : resolve(from.projectDirectory, name);
    const known = opened.get(full);
    if (known) return known;
    const other = from.readFile?.(full, 'compose');
    if (other === undefined) fail(from, path, `file ${full} not found`, 'ALICIA_ERR_COMPOSE_NOT_FOUND');
    const otherYaml = parseYamlSource(full, other);
    inputs.locates.set(full, otherYaml.locate);
    const otherCtx: FileContext = {
      ...from,
      file: full,
      locate: otherYaml.locate,
      projectDirectory: dirname(full),
    };
    const tree = interpolateTree(otherCtx, otherYaml.value, []);
    const services = isRawMap(tree) ? readMap(otherCtx, ['services'], tree.services) : {};
    const source = { ctx: otherCtx, services, tags: otherYaml.tags };
    opened.set(full, source);
    return source;
  };
  const own = readFileLayer(ctx, yaml, value, openServices);
  // Compose: a resource the file defines itself may not also come from an included file.
  for (const layer of included) {
    for (const name of Object.keys(layer.services)) {
      if (own.services[name]) {
        fail(
          ctx,
          ['services', name],
          `service "${name}" is also defined by the included file ${layer.file}; rename one of them`,
        );
      }
    }
  }
  return [...included, own];
}

interface IncludeEntry {
  paths: string[];
  projectDirectory?: string;
  envFiles?: string[];
  at: KeyPath;
}

/** `include:` entries: a path, or `{path: one or a list, project_directory, env_file}`. */
function readInclude(ctx: FileContext, value: unknown): IncludeEntry[] {
  if (!Array.isArray(value)) return fail(ctx, ['include'], 'expected a list of files');
  return value.map((item, index) => {
    const at: KeyPath = ['include', index];
    if (typeof item === 'string') return { paths: [item], at };
    const map = readMap(ctx, at, item);
    checkKeys(ctx, at, map, ['path', 'project_directory', 'env_file']);
    if (map.path === undefined || map.path === null) fail(ctx, [...at, 'path'], 'path is required');
    const entry: IncludeEntry = { paths: readStringList(ctx, [...at, 'path'], map.path, true), at };
    if (map.project_directory !== undefined && map.project_directory !== null)
      entry.projectDirectory = readString(ctx, [...at, 'project_directory'], map.project_directory);
    if (map.env_file !== undefined && map.env_file !== null)
      entry.envFiles = readStringList(ctx, [...at, 'env_file'], map.env_file, true);
    return entry;
  });
}

function loadInclude(
  inputs: LayerInputs,
  ctx: FileContext,
  entry: IncludeEntry,
  chain: readonly string[],
): FileLayer[] {
  const full = (p: string, base: string) => (isAbsolute(p) ? p : resolve(base, p));
  const paths = entry.paths.map((p) => full(p, ctx.projectDirectory));
  const first = paths[0];
  if (first === undefined) return fail(ctx, [...entry.at, 'path'], 'path is empty');
  // The included project: its directory (for relative paths and .env) is project_directory,
  // else the first file's; its variables come from its env files (default: its .env), with
  // the process environment winning, as for the main project.
  const dir =
    entry.projectDirectory === undefined
      ? dirname(first)
      : full(entry.projectDirectory, ctx.projectDirectory);
  const envFiles = (entry.envFiles ?? []).map((p) => full(p, ctx.projectDirectory));
  const vars: Record<string, string> = {};
  for (const envFile of envFiles.length > 0 ? envFiles : [resolve(dir, '.env')]) {
    const text = inputs.readFile?.(envFile, envFiles.length > 0 ? 'env_file' : 'dotenv');
    if (text === undefined) {
      if (envFiles.length > 0)
        fail(ctx, [...entry.at, 'env_file'], `env file ${envFile} not found`, 'ALICIA_ERR_COMPOSE_NOT_FOUND');
      continue;
    }
    Object.assign(vars, parseDotenv(envFile, text, inputs.fromEnv));
  }
  const lookup: Lookup = (name) => inputs.fromEnv(name) ?? vars[name];
  const layers: FileLayer[] = [];
  paths.forEach((path, index) => {
    if (chain.includes(path)) {
      fail(ctx, [...entry.at], `include forms a cycle: ${[...chain, path].join(' → ')}`);
    }
    const text = inputs.readFile?.(path, 'compose');
    if (text === undefined) {
      fail(
        ctx,
        entry.paths.length > 1 ? [...entry.at, index] : entry.at,
        `included file ${path} not found`,
        'ALICIA_ERR_COMPOSE_NOT_FOUND',
      );
    }
    layers.push(...loadFileLayers(inputs, path, text, dir, lookup, chain));
  });
  return layers;
}

function readFileLayer(
  ctx: FileContext,
  yaml: YamlSource,
  value: unknown,
  openServices: OpenServicesFile,
): FileLayer {
  if (value === null || value === undefined) {
    fail(ctx, [], 'the file is empty; a Compose file needs services:');
  }
  if (!isRawMap(value)) fail(ctx, [], 'the file must be a mapping with services: at the top');
  checkKeys(ctx, [], value, TOP_LEVEL_KEYS);
  const layer: FileLayer = {
    file: ctx.file,
    services: {},
    tags: {},
    volumes: [],
    volume_defs: {},
    networks: readTopNetworks(ctx, value.networks),
    secrets: readTopFiles(ctx, 'secrets', value.secrets),
    configs: readTopFiles(ctx, 'configs', value.configs),
  };
  if (value.version !== undefined) {
    warn(ctx, ['version'], 'version is obsolete and ignored (as in Compose v2)');
  }
  if (value.name !== undefined && value.name !== null) layer.name = readString(ctx, ['name'], value.name);
  const services = readMap(ctx, ['services'], value.services);
  for (const [name, raw] of Object.entries(services)) {
    if (!SERVICE_NAME.test(name) || !NameSchema.safeParse(name).success) {
      fail(
        ctx,
        ['services', name],
        `"${name}" is not a valid service name: use letters, digits, "_", "." and "-", starting with a letter or digit`,
      );
    }
    const tags: Partial<Record<ServiceKey, 'reset' | 'override'>> = {};
    for (const key of Object.keys(isRawMap(raw) ? raw : {})) {
      // `!reset` on an `extends` service applies to its base (extends.ts); kept here too
      // for the next file's merge.
      const tag = yaml.tags.get(tagKey(name, key));
      if (tag) for (const field of layerKeysOf(key)) tags[field] = tag;
    }
    layer.tags[name] = tags;
  }
  layer.services = readServicesWithExtends({ ctx, services, tags: yaml.tags }, openServices);
  const volumes = readMap(ctx, ['volumes'], value.volumes);
  for (const [volume, options] of Object.entries(volumes)) {
    layer.volumes.push(volume);
    const def = readVolumeDefinition(ctx, ['volumes', volume], options);
    if (def !== null) layer.volume_defs[volume] = def;
  }
  for (const key of ['models'] as const) {
    warnIgnored(ctx, [key], value[key], `top-level ${key} are not supported by Alicia and are ignored`);
  }
  if (value['x-alicia'] !== undefined && value['x-alicia'] !== null) {
    layer.x_alicia = readStackXAlicia(ctx, ['x-alicia'], value['x-alicia']);
  }
  return layer;
}

/** Interpolates every string value (not keys), warning once per unset variable and file. */
export function interpolateTree(
  ctx: FileContext,
  value: unknown,
  path: KeyPath,
  seen = new Set<string>(),
): unknown {
  if (typeof value === 'string') {
    const result = interpolateString(value, ctx.lookup);
    if (!result.ok) fail(ctx, path, result.message, 'ALICIA_ERR_COMPOSE_INTERPOLATION');
    for (const name of result.unset) {
      if (seen.has(name)) continue;
      seen.add(name);
      warn(
        ctx,
        path,
        `variable "${name}" is not set; using an empty string (set it, or write \${${name}:-default})`,
      );
    }
    return result.value;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolateTree(ctx, item, [...path, index], seen));
  }
  if (isRawMap(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateTree(ctx, item, [...path, key], seen)]),
    );
  }
  return value;
}

/** A top-level volume's settings; null when it has none (Docker makes a plain local volume). */
function readVolumeDefinition(ctx: FileContext, path: KeyPath, value: unknown): StackVolume | null {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, ['name', 'driver', 'driver_opts', 'external', 'labels']);
  const def: StackVolume = { external: false };
  const has = (key: string) => map[key] !== undefined && map[key] !== null;
  if (has('external')) {
    if (isRawMap(map.external)) {
      def.external = true;
      if (map.external.name !== undefined)
        def.name = readString(ctx, [...path, 'external', 'name'], map.external.name);
    } else def.external = readBool(ctx, [...path, 'external'], map.external);
  }
  if (has('name')) def.name = readString(ctx, [...path, 'name'], map.name);
  if (has('driver')) def.driver = readString(ctx, [...path, 'driver'], map.driver);
  const record = (key: string) =>
    Object.fromEntries(
      Object.entries(readListOrDict(ctx, [...path, key], map[key], '')).map(([k, v]) => [k, v ?? '']),
    );
  if (has('driver_opts')) def.driver_opts = record('driver_opts');
  if (has('labels')) def.labels = record('labels');
  return Object.keys(def).length > 1 || def.external ? def : null;
}
