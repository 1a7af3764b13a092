// Merges the files given with -f, later over earlier, by Compose's rules: mappings merge
// key by key, scalars are replaced, sequences are appended, except `command`,
// `entrypoint` and `healthcheck.test` (replaced), and `ports` / `volumes`, which are unique
// by (host IP, published, target, protocol) and by target: a later entry with the same key
// replaces the earlier one. `!reset` removes an attribute, `!override` replaces it whole.
// Alicia's own x-alicia lists (hosts, expect_status) are replaced, not appended: an
// override file that says "run on pi-2" means only pi-2.
import type {
  FileLayer,
  FileSourceLayer,
  MergedService,
  ServiceKey,
  ServiceLayer,
  StackNetworkLayer,
  StackXAliciaLayer,
} from './layer.js';
import type { StackVolume } from './model.js';
import { portKey } from './ports.js';
import { mergeRuntime } from './runtime-keys.js';

export interface MergedFiles {
  name?: string;
  /** The file that set `name`. */
  nameFile?: string;
  services: Record<string, MergedService>;
  /** Named volumes declared at the top level of any file. */
  volumes: Set<string>;
  volume_defs: Record<string, StackVolume>;
  /** Top-level networks, secrets and configs: later files merge over earlier ones key by key. */
  networks: Record<string, StackNetworkLayer>;
  secrets: Record<string, FileSourceLayer>;
  configs: Record<string, FileSourceLayer>;
  x_alicia: StackXAliciaLayer;
  /** The last file that set the top-level x-alicia. */
  xAliciaFile?: string;
}

export function mergeFiles(files: readonly FileLayer[]): MergedFiles {
  const merged: MergedFiles = {
    services: {},
    volumes: new Set(),
    volume_defs: {},
    networks: {},
    secrets: {},
    configs: {},
    x_alicia: {},
  };
  for (const file of files) {
    if (file.name !== undefined) {
      merged.name = file.name;
      merged.nameFile = file.file;
    }
    for (const volume of file.volumes) merged.volumes.add(volume);
    Object.assign(merged.volume_defs, file.volume_defs);
    for (const [key, network] of Object.entries(file.networks)) {
      const base = merged.networks[key];
      merged.networks[key] = base ? { ...deepMerge(base, network), origin: network.origin } : network;
    }
    Object.assign(merged.secrets, file.secrets);
    Object.assign(merged.configs, file.configs);
    if (file.x_alicia) {
      merged.x_alicia = deepMerge(merged.x_alicia, file.x_alicia);
      merged.xAliciaFile = file.file;
    }
    for (const [name, service] of Object.entries(file.services)) {
      const base = merged.services[name];
      const tags = file.tags[name] ?? {};
      if (!base) {
        merged.services[name] = { layer: { ...service.layer }, origins: { ...service.origins } };
        continue;
      }
      for (const [key, tag] of Object.entries(tags) as [ServiceKey, 'reset' | 'override'][]) {
        if (tag === 'reset' || tag === 'override') {
          delete base.layer[key];
          delete base.origins[key];
        }
      }
      base.layer = mergeService(base.layer, service.layer);
      base.origins = { ...base.origins, ...service.origins };
    }
  }
  return merged;
}

export function mergeService(base: ServiceLayer, over: ServiceLayer): ServiceLayer {
  const out: ServiceLayer = { ...base };
  const set = <K extends ServiceKey>(key: K, value: ServiceLayer[K]): void => {
    if (value !== undefined) out[key] = value;
  };
  for (const key of Object.keys(over) as ServiceKey[]) {
    switch (key) {
      case 'environment':
      case 'env_file':
      case 'label_file':
      case 'labels':
        set(key, { ...base[key], ...over[key] } as ServiceLayer[typeof key]);
        break;
      case 'depends_on': {
        const deps = { ...base.depends_on };
        for (const [name, dep] of Object.entries(over.depends_on ?? {}))
          deps[name] = { ...deps[name], ...dep };
        set('depends_on', deps);
        break;
      }
      case 'healthcheck':
      case 'limits':
      case 'reservations':
        set(key, { ...base[key], ...over[key] });
        break;
      case 'ports':
        set('ports', uniqueBy([...(base.ports ?? []), ...(over.ports ?? [])], portKey));
        break;
      case 'volumes':
        set(
          'volumes',
          uniqueBy([...(base.volumes ?? []), ...(over.volumes ?? [])], (v) => v.volume.target),
        );
        break;
      case 'constraints':
        set(
          'constraints',
          uniqueBy(
            [...(base.constraints ?? []), ...(over.constraints ?? [])],
            (c) => `${c.field}${c.op}${c.value}`,
          ),
        );
        break;
      case 'networks': {
        const networks = { ...base.networks };
        for (const [key, entry] of Object.entries(over.networks ?? {})) {
          networks[key] = { ...networks[key], ...entry };
        }
        set('networks', networks);
        break;
      }
      case 'runtime':
        set('runtime', mergeRuntime(base.runtime ?? {}, over.runtime ?? {}));
        break;
      case 'secrets':
      case 'configs':
        set(
          key,
          uniqueBy([...(base[key] ?? []), ...(over[key] ?? [])], (f) => f.target ?? f.source),
        );
        break;
      case 'links':
        set(
          'links',
          uniqueBy([...(base.links ?? []), ...(over.links ?? [])], (l) => `${l.service}:${l.alias}`),
        );
        break;
      case 'cap_add':
      case 'cap_drop':
        set(key, [...new Set([...(base[key] ?? []), ...(over[key] ?? [])])]);
        break;
      case 'x_alicia':
        set('x_alicia', deepMerge(base.x_alicia ?? {}, over.x_alicia ?? {}));
        break;
      default:
        set(key, over[key]);
    }
  }
  return out;
}

/** Keeps one entry per key, at the position of its first occurrence, with the last value. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}

/** Merges plain objects key by key; anything else (lists included) is replaced. */
export function deepMerge<T extends object>(base: T, over: T): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) {
    const previous = out[key];
    out[key] = isPlain(previous) && isPlain(value) ? deepMerge(previous, value) : value;
  }
  return out as T;
}

function isPlain(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
