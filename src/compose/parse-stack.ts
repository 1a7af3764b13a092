// Compose file contents → the validated, deep-frozen Stack. Pure: no file system, no
// process.env; what it needs from outside (environment, .env and env_file contents) comes
// in through the options, so the orchestrator can run it on files received over MQTT.
import { dirname, join } from 'node:path';
import { buildGraph } from '../core/graph/index.js';
import { composeError, formatPath, type KeyPath, type Locate } from './diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { type LayerInputs, loadFileLayers } from './file-layers.js';
import { failAt, finalizeService, resolveDependencies, stackNetworks } from './finalize.js';
import type { Lookup } from './interpolate.js';
import type { FileLayer } from './layer.js';
import { mergeFiles } from './merge.js';
import { DEFAULT_BACKOFF, type ServiceSpec, type Stack, StackSchema, type StackWarning } from './model.js';
import { resolveProjectName } from './project.js';

export interface ComposeSource {
  /** The file's name as the user gave it: used in every message. */
  file: string;
  text: string;
}

/** Which reader of the loader asks for a file: a bundle keeps the kind with the file. */
export type FileKind = 'compose' | 'dotenv' | 'env_file' | 'secret' | 'config';
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

  const inputs: LayerInputs = { warnings, locates, readFile: options.readFile, fromEnv };
  const layers = sources.flatMap((source) =>
    loadFileLayers(inputs, source.file, source.text, projectDirectory, lookup),
  );

  const merged = mergeFiles(layers);
  // Profiles: a service with `profiles` runs only when one of them is active (--profile,
  // else COMPOSE_PROFILES, comma-separated); one without runs always. As in Compose.
  const active = new Set(
    (options.profiles ?? (lookup('COMPOSE_PROFILES') ?? '').split(','))
      .map((p) => p.trim())
      .filter((p) => p !== ''),
  );
  const inactive = new Map<string, readonly string[]>();
  for (const [name, service] of Object.entries(merged.services)) {
    const profiles = service.layer.profiles;
    if (
      profiles !== undefined &&
      profiles.length > 0 &&
      !profiles.some((p) => active.has(p) || active.has('*'))
    ) {
      delete merged.services[name];
      inactive.set(name, profiles);
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
  const finalize = { locates, warnings, merged, backoff, inactive };
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
