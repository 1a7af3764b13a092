// Compose file contents → the validated, deep-frozen Stack. Pure: no file system, no
// process.env; what it needs from outside (environment, .env and env_file contents) comes
// in through the options, so the orchestrator can run it on files received over MQTT.
import { dirname, join } from 'node:path';
import { buildGraph } from '../core/graph/index.js';
import {
  composeError,
  type FileContext,
  fail,
  formatPath,
  type KeyPath,
  type Locate,
  warn,
} from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { readTopFiles } from './files.js';
import { failAt, finalizeService, resolveDependencies, stackNetworks } from './finalize.js';
import { interpolateString, type Lookup } from './interpolate.js';
import { TOP_LEVEL_KEYS } from './keys.js';
import type { FileLayer, ServiceKey } from './layer.js';
import { mergeFiles } from './merge.js';
import {
  DEFAULT_BACKOFF,
  NameSchema,
  type ServiceSpec,
  type Stack,
  StackSchema,
  type StackVolume,
  type StackWarning,
} from './model.js';
import { readTopNetworks } from './networks.js';
import { resolveProjectName } from './project.js';
import { checkKeys, isRawMap, readBool, readListOrDict, readMap, readString, warnIgnored } from './read.js';
import { layerKeysOf, readService } from './service.js';
import { readStackXAlicia } from './x-alicia.js';
import { parseYamlSource, tagKey, type YamlSource } from './yaml-source.js';

export interface ComposeSource {
  /** The file's name as the user gave it: used in every message. */
  file: string;
  text: string;
}

/** Which reader of the loader asks for a file: a bundle keeps the kind with the file. */
export type FileKind = 'dotenv' | 'env_file' | 'secret' | 'config';
export type ReadFile = (path: string, kind: FileKind) => string | undefined;

export interface ParseOptions {
  /** -p; wins over COMPOSE_PROJECT_NAME and the file's `name:`. */
  projectName?: string | undefined;
  /** Base for relative paths and `.env`; defaults to the directory of the first file. */
  projectDirectory?: string | undefined;
  /** Active profiles (`--profile`); default: COMPOSE_PROFILES from the environment. */
  profiles?: readonly string[] | undefined;
  /** The process environment; wins over `.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Reads `.env` and env_file files (absolute paths); undefined when absent. */
  readFile?: ReadFile | undefined;
  /**
   * Told every variable the loader looks up in `env` and what it found there: the CLI sends
   * exactly these with a deploy, so the orchestrator interpolates as the CLI did.
   */
  onLookup?: ((name: string, value: string | undefined) => void) | undefined;
}

const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;

export function parseStack(sources: readonly ComposeSource[], options: ParseOptions = {}): Stack {
  const first = sources[0];
  if (!first) {
    throw composeError('ALICIA_ERR_COMPOSE_NOT_FOUND', { file: '', path: '' }, 'no Compose file given');
  }
  const projectDirectory = options.projectDirectory ?? dirname(first.file);
  const env = options.env ?? {};
  const fromEnv: Lookup = (name) => {
    const value = env[name];
    options.onLookup?.(name, value);
    return value;
  };
  const dotenvPath = join(projectDirectory, '.env');
  const dotenvText = options.readFile?.(dotenvPath, 'dotenv');
  const dotenv = dotenvText === undefined ? {} : parseDotenv(dotenvPath, dotenvText, fromEnv);
  const lookup: Lookup = (name) => fromEnv(name) ?? dotenv[name];
  const warnings: StackWarning[] = [];
  const locates = new Map<string, Locate>();

  const layers = sources.map((source) => {
    const yaml = parseYamlSource(source.file, source.text);
    locates.set(source.file, yaml.locate);
    const ctx: FileContext = {
      file: source.file,
      locate: yaml.locate,
      warnings,
      projectDirectory,
      lookup,
      readFile: options.readFile,
    };
    return readFileLayer(ctx, yaml, interpolateTree(ctx, yaml.value, []));
  });

  const merged = mergeFiles(layers);
  // Profiles: a service with `profiles` runs only when one of them is active (--profile,
  // else COMPOSE_PROFILES, comma-separated); one without runs always. As in Compose.
  const active = new Set(
    (options.profiles ?? (lookup('COMPOSE_PROFILES') ?? '').split(','))
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );
  for (const [name, service] of Object.entries(merged.services)) {
    const profiles = service.layer.profiles;
    if (
      profiles !== undefined &&
      profiles.length > 0 &&
      !profiles.some((p) => active.has(p) || active.has('*'))
    ) {
      delete merged.services[name];
    }
  }
  const names = Object.keys(merged.services);
  if (names.length === 0) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_INVALID',
      { file: first.file, path: 'services' },
      'the stack defines no services',
    );
  }
  const backoff = { ...DEFAULT_BACKOFF, ...merged.x_alicia.backoff };
  const finalize = { locates, warnings, merged, backoff };
  if (backoff.min_ms > backoff.max_ms) {
    failAt(
      finalize,
      { file: merged.xAliciaFile ?? first.file, path: ['x-alicia', 'backoff'] },
      `backoff.min (${backoff.min_ms}ms) is longer than backoff.max (${backoff.max_ms}ms)`,
    );
  }
  const specs: Record<string, ServiceSpec> = {};
  for (const name of names) {
    const service = merged.services[name];
    if (service) specs[name] = finalizeService(finalize, name, service, serviceOrigin(layers, name));
  }
  for (const name of names) {
    const spec = specs[name];
    const service = merged.services[name];
    if (spec && service) spec.depends_on = resolveDependencies(finalize, name, service, specs);
  }
  const graph = buildGraph(specs);
  if (!graph.ok) {
    const cycle = graph.error.details.cycle;
    const [from, to] = Array.isArray(cycle) ? cycle.map(String) : [];
    const origin = from && to ? merged.services[from]?.layer.depends_on?.[to]?.origin : undefined;
    if (!origin) throw graph.error;
    const path = formatPath(origin.path);
    throw composeError(
      graph.error.code,
      { file: origin.file, path, location: locates.get(origin.file)?.(origin.path) },
      `${(cycle as unknown[]).join(' → ')}; remove one of these dependencies`,
      graph.error,
      graph.error.details,
    );
  }

  const x_alicia: Stack['x_alicia'] = {};
  if (merged.x_alicia.backoff) x_alicia.backoff = backoff;
  if (merged.x_alicia.startup_timeout_ms !== undefined) {
    x_alicia.startup_timeout_ms = merged.x_alicia.startup_timeout_ms;
  }
  const name = resolveProjectName({
    explicit: options.projectName,
    fromEnv: lookup('COMPOSE_PROJECT_NAME'),
    fromFile:
      merged.name !== undefined && merged.nameFile !== undefined
        ? { name: merged.name, file: merged.nameFile, location: locates.get(merged.nameFile)?.(['name']) }
        : undefined,
    projectDirectory,
  });
  const used = stackNetworks(finalize, specs);
  const stack: Stack = {
    name,
    services: specs,
    ...(Object.keys(used).length > 0 ? { networks: used } : {}),
    x_alicia,
    warnings,
  };
  const checked = StackSchema.safeParse(stack);
  if (!checked.success) {
    // The normalizers above check everything the schema does; reaching this is a bug in them,
    // reported with the schema's own words rather than hidden.
    const issue = checked.error.issues[0];
    throw composeError(
      'ALICIA_ERR_COMPOSE_INVALID',
      { file: first.file, path: (issue?.path ?? []).map(String).join('.') },
      issue?.message ?? 'invalid',
    );
  }
  return deepFreeze(checked.data);
}

function readFileLayer(ctx: FileContext, yaml: YamlSource, value: unknown): FileLayer {
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
  if (value.include !== undefined && value.include !== null) {
    fail(
      ctx,
      ['include'],
      'include is not supported by Alicia; pass every file with -f instead',
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
    );
  }
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
      const tag = yaml.tags.get(tagKey(name, key));
      if (tag) for (const field of layerKeysOf(key)) tags[field] = tag;
    }
    layer.tags[name] = tags;
    layer.services[name] = readService(ctx, name, raw);
  }
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
function interpolateTree(ctx: FileContext, value: unknown, path: KeyPath, seen = new Set<string>()): unknown {
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

function serviceOrigin(layers: readonly FileLayer[], name: string): { file: string; path: KeyPath } {
  const file = layers.find((layer) => layer.services[name])?.file ?? layers[0]?.file ?? '';
  return { file, path: ['services', name] };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
