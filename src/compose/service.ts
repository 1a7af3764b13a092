// One service of one file → its ServiceLayer: every attribute validated and expanded, every
// attribute Alicia cannot honour warned about, every key outside the Compose spec refused.
import { isAbsolute, resolve } from 'node:path';
import { readBytes, readCpus, readDeploy } from './deploy.js';
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { describe } from './durations.js';
import { readServiceFiles } from './files.js';
import { readDuration, readHealthcheck } from './healthcheck.js';
import { HONOURED_SERVICE_KEYS, IGNORED_SERVICE_KEYS } from './keys.js';
import type { DependencyLayer, Origin, ServiceKey, ServiceLayer } from './layer.js';
import { DependencyConditionSchema, RestartPolicySchema } from './model.js';
import { readLinks, readServiceNetworks } from './networks.js';
import { readPorts } from './ports.js';
import {
  checkKeys,
  isRawMap,
  readBool,
  readInt,
  readListOrDict,
  readMap,
  readString,
  readStringList,
  warnIgnored,
} from './read.js';
import { mergeRuntime, RUNTIME_KEYS, readRuntimeKeys } from './runtime-keys.js';
import { shellSplit } from './shell-split.js';
import { readVolumes } from './volumes.js';
import { readServiceXAlicia } from './x-alicia.js';

/** The layer fields each Compose attribute fills (for `!reset` / `!override` and error origins). */
export const LAYER_KEYS_OF: Readonly<Record<string, readonly ServiceKey[]>> = {
  ...Object.fromEntries(RUNTIME_KEYS.map((key) => [key, ['runtime']])),
  expose: ['ports'],
  deploy: ['replicas', 'constraints', 'limits', 'reservations', 'deploy_restart'],
  stop_grace_period: ['stop_grace_period_ms'],
  'x-alicia': ['x_alicia'],
};

export function layerKeysOf(composeKey: string): readonly ServiceKey[] {
  return LAYER_KEYS_OF[composeKey] ?? [composeKey as ServiceKey];
}

export interface ServiceResult {
  layer: ServiceLayer;
  origins: Partial<Record<ServiceKey, Origin>>;
}

export function readService(ctx: FileContext, name: string, value: unknown): ServiceResult {
  const path = ['services', name];
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, [...HONOURED_SERVICE_KEYS, ...Object.keys(IGNORED_SERVICE_KEYS)]);
  const layer: ServiceLayer = {};
  const at = (key: string): KeyPath => [...path, key];
  const has = (key: string): boolean => map[key] !== undefined && map[key] !== null;

  for (const [key, message] of Object.entries(IGNORED_SERVICE_KEYS)) {
    warnIgnored(ctx, at(key), map[key], message);
  }
  // extends is resolved by extends.ts, which reads the base and merges this layer over it.
  if (has('container_name')) {
    readString(ctx, at('container_name'), map.container_name);
    warn(
      ctx,
      at('container_name'),
      'Alicia names containers itself (stack, service and instance); container_name is ignored',
    );
  }
  if (has('image')) {
    layer.image = readString(ctx, at('image'), map.image);
    if (layer.image.trim() === '') fail(ctx, at('image'), 'the image name is empty');
  }
  if (has('build')) layer.build = true;
  if (has('command')) layer.command = readCommand(ctx, at('command'), map.command);
  if (has('entrypoint')) layer.entrypoint = readCommand(ctx, at('entrypoint'), map.entrypoint);
  if (has('environment')) layer.environment = readListOrDict(ctx, at('environment'), map.environment, null);
  if (has('env_file')) layer.env_file = readEnvFiles(ctx, at('env_file'), map.env_file);
  if (has('labels')) layer.labels = nonNull(readListOrDict(ctx, at('labels'), map.labels, ''));
  if (has('ports')) {
    layer.ports = readPorts(ctx, at('ports'), map.ports).map((port) =>
      port.published === undefined ? { ...port, ephemeral: true as const } : port,
    );
  }
  if (has('volumes')) layer.volumes = readVolumes(ctx, at('volumes'), map.volumes);
  if (has('depends_on')) layer.depends_on = readDependsOn(ctx, at('depends_on'), map.depends_on);
  if (has('healthcheck')) layer.healthcheck = readHealthcheck(ctx, at('healthcheck'), map.healthcheck);
  if (has('restart')) layer.restart = readRestart(ctx, at('restart'), map.restart);
  if (has('deploy')) Object.assign(layer, readDeploy(ctx, at('deploy'), map.deploy));
  if (has('scale')) layer.scale = readInt(ctx, at('scale'), map.scale, 0);
  if (has('stop_grace_period')) {
    layer.stop_grace_period_ms = readDuration(ctx, at('stop_grace_period'), map.stop_grace_period);
  }
  if (has('cpus')) layer.cpus = readCpus(ctx, at('cpus'), map.cpus);
  if (has('mem_limit')) layer.mem_limit = readBytes(ctx, at('mem_limit'), map.mem_limit);
  if (has('mem_reservation')) {
    layer.mem_reservation = readBytes(ctx, at('mem_reservation'), map.mem_reservation);
  }
  // -1 means "unlimited" in Compose, which is also what no limit means.
  if (has('pids_limit') && String(map.pids_limit) !== '-1') {
    layer.pids_limit = readInt(ctx, at('pids_limit'), map.pids_limit, 1);
  }
  for (const key of ['stop_signal', 'network_mode', 'user', 'working_dir', 'hostname'] as const) {
    if (has(key)) layer[key] = readString(ctx, at(key), map[key]);
  }
  if (has('networks')) layer.networks = readServiceNetworks(ctx, at('networks'), map.networks);
  if (has('links')) layer.links = readLinks(ctx, at('links'), map.links);
  if (has('secrets')) layer.secrets = readServiceFiles(ctx, at('secrets'), map.secrets);
  if (has('configs')) layer.configs = readServiceFiles(ctx, at('configs'), map.configs);
  if (has('profiles')) layer.profiles = readStringList(ctx, at('profiles'), map.profiles);
  if (has('label_file')) layer.label_file = readLabelFiles(ctx, at('label_file'), map.label_file);
  const runtime = readRuntimeKeys(ctx, path, map);
  if (runtime !== null) layer.runtime = mergeRuntime(layer.runtime ?? {}, runtime);
  if (has('expose')) {
    // expose: ports the container listens on, not published (Docker's ExposedPorts).
    const exposed = readPorts(ctx, at('expose'), map.expose);
    layer.ports = [...(layer.ports ?? []), ...exposed.map(({ published: _p, host_ip: _h, ...port }) => port)];
  }
  if (has('privileged')) layer.privileged = readBool(ctx, at('privileged'), map.privileged);
  if (has('cap_add')) layer.cap_add = readStringList(ctx, at('cap_add'), map.cap_add);
  if (has('cap_drop')) layer.cap_drop = readStringList(ctx, at('cap_drop'), map.cap_drop);
  if (has('x-alicia')) layer.x_alicia = readServiceXAlicia(ctx, at('x-alicia'), map['x-alicia']);

  const origins: Partial<Record<ServiceKey, Origin>> = {};
  for (const key of Object.keys(map)) {
    for (const field of layerKeysOf(key)) {
      if (field in layer) origins[field] = { file: ctx.file, path: at(key) };
    }
  }
  return { layer, origins };
}

function readCommand(ctx: FileContext, path: KeyPath, value: unknown): string[] {
  if (typeof value === 'string') {
    const split = shellSplit(value);
    if (!split.ok) fail(ctx, path, `cannot split "${value}" into words: ${split.message}`);
    return split.words;
  }
  if (!Array.isArray(value)) {
    return fail(ctx, path, `expected a string or a list of strings, got ${describe(value)}`);
  }
  return value.map((item, index) => readString(ctx, [...path, index], item));
}

function readRestart(ctx: FileContext, path: KeyPath, value: unknown): ServiceLayer['restart'] {
  // YAML 1.1 readers turn a bare `no` into false; accept it as Compose v1 did.
  const text = value === false ? 'no' : readString(ctx, path, value);
  const parsed = RestartPolicySchema.safeParse(text);
  if (!parsed.success) {
    return fail(
      ctx,
      path,
      `"${text}" is not a restart policy; use no, always, unless-stopped, on-failure or on-failure:N`,
    );
  }
  return parsed.data;
}

function readDependsOn(ctx: FileContext, path: KeyPath, value: unknown): Record<string, DependencyLayer> {
  const out: Record<string, DependencyLayer> = {};
  const origin = (at: KeyPath): Origin => ({ file: ctx.file, path: at });
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const name = readString(ctx, [...path, index], item);
      out[name] = {
        condition: 'service_started',
        required: true,
        restart: false,
        origin: origin([...path, index]),
      };
    });
    return out;
  }
  if (!isRawMap(value)) {
    return fail(ctx, path, `expected a list of services or a mapping, got ${describe(value)}`);
  }
  for (const [name, raw] of Object.entries(value)) {
    const at = [...path, name];
    const map = readMap(ctx, at, raw);
    checkKeys(ctx, at, map, ['condition', 'required', 'restart']);
    const dependency: DependencyLayer = { origin: origin(at) };
    if (map.condition === undefined || map.condition === null) {
      fail(
        ctx,
        [...at, 'condition'],
        'condition is required in the long form; use service_started, service_healthy or service_completed_successfully',
      );
    }
    const condition = readString(ctx, [...at, 'condition'], map.condition);
    const parsed = DependencyConditionSchema.safeParse(condition);
    if (!parsed.success) {
      fail(
        ctx,
        [...at, 'condition'],
        `"${condition}" is not a condition; use service_started, service_healthy or service_completed_successfully`,
      );
    }
    dependency.condition = parsed.data;
    if (map.required !== undefined && map.required !== null) {
      dependency.required = readBool(ctx, [...at, 'required'], map.required);
    }
    if (map.restart !== undefined && map.restart !== null) {
      dependency.restart = readBool(ctx, [...at, 'restart'], map.restart);
    }
    out[name] = dependency;
  }
  return out;
}

/** `env_file`: a path, a list of paths, or `{path, required, format}` entries, relative to the project directory. */
function readEnvFiles(ctx: FileContext, path: KeyPath, value: unknown): Record<string, string | null> {
  const entries =
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value
        : fail(ctx, path, `expected a path or a list, got ${describe(value)}`);
  const out: Record<string, string | null> = {};
  entries.forEach((entry, index) => {
    const at = typeof value === 'string' ? path : [...path, index];
    let file: string;
    let required = true;
    let raw = false;
    if (isRawMap(entry)) {
      checkKeys(ctx, at, entry, ['path', 'required', 'format']);
      file = readString(ctx, [...at, 'path'], entry.path ?? fail(ctx, [...at, 'path'], 'path is required'));
      if (entry.required !== undefined) required = readBool(ctx, [...at, 'required'], entry.required);
      if (entry.format !== undefined && entry.format !== null) {
        const format = readString(ctx, [...at, 'format'], entry.format);
        if (format !== 'raw') {
          fail(
            ctx,
            [...at, 'format'],
            `"${format}" is not an env file format; leave format out (KEY=value lines with quotes and variables) or use raw`,
          );
        }
        raw = true;
      }
    } else {
      file = readString(ctx, at, entry);
    }
    const full = isAbsolute(file) ? file : resolve(ctx.projectDirectory, file);
    const text = ctx.readFile?.(full, 'env_file');
    if (text === undefined) {
      if (required) fail(ctx, at, `env file ${full} not found`, 'ALICIA_ERR_COMPOSE_NOT_FOUND');
      return;
    }
    Object.assign(out, raw ? parseRawEnv(text) : parseDotenv(full, text, ctx.lookup));
  });
  return out;
}

/**
 * `format: raw` (compose-spec): each `KEY=value` line is taken as it is — no quotes removed,
 * no variables, no inline comments; blank lines and lines starting with `#` are skipped.
 */
export function parseRawEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === -1) out[line.trim()] = '';
    else out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/** `label_file`: one path or a list, `KEY=value` lines as in an env file. */
function readLabelFiles(ctx: FileContext, path: KeyPath, value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  readStringList(ctx, path, value, true).forEach((file, index) => {
    const at = typeof value === 'string' ? path : [...path, index];
    const full = isAbsolute(file) ? file : resolve(ctx.projectDirectory, file);
    const text = ctx.readFile?.(full, 'env_file');
    if (text === undefined) fail(ctx, at, `label file ${full} not found`, 'ALICIA_ERR_COMPOSE_NOT_FOUND');
    Object.assign(out, nonNull(parseDotenv(full, text, ctx.lookup)));
  });
  return out;
}

function nonNull(record: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, value ?? '']));
}
