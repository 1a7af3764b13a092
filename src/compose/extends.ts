// `extends`: a service starts from another service, of the same file or of another file, and
// its own attributes merge over the base by the same rules as an override file (mergeService:
// mappings key by key, lists appended or unique by key, scalars replaced; `!reset` and
// `!override` on the extending service drop the base's value). The compose-spec rules, which
// also let a base carry depends_on, links and volumes_from (docker-compose 1.29 refused those).
// Relative paths of a base in another file resolve against that file's directory, as Compose
// does; the base service of another file is not itself part of the stack.
import type { FileContext, KeyPath } from './diagnostics.js';
import { fail } from './diagnostics.js';
import { describe } from './durations.js';
import type { ServiceKey } from './layer.js';
import { mergeService } from './merge.js';
import { checkKeys, isRawMap, type RawMap, readString } from './read.js';
import { layerKeysOf, readService, type ServiceResult } from './service.js';
import { type MergeTag, tagKey } from './yaml-source.js';

/** One file's services as read: its context, its raw (interpolated) services and its tags. */
export interface ServicesSource {
  ctx: FileContext;
  services: RawMap;
  tags: ReadonlyMap<string, MergeTag>;
}

/** Opens another Compose file named by `extends.file` (relative to `from`'s directory). */
export type OpenServicesFile = (from: FileContext, path: KeyPath, file: string) => ServicesSource;

/** Reads every service of a file with its `extends` resolved. Results are cached per file and service. */
export function readServicesWithExtends(
  source: ServicesSource,
  open: OpenServicesFile,
): Record<string, ServiceResult> {
  const cache = new Map<string, ServiceResult>();
  const out: Record<string, ServiceResult> = {};
  for (const name of Object.keys(source.services)) out[name] = resolve(source, name, open, cache, []);
  return out;
}

function resolve(
  source: ServicesSource,
  name: string,
  open: OpenServicesFile,
  cache: Map<string, ServiceResult>,
  chain: readonly string[],
): ServiceResult {
  const key = `${source.ctx.file}\0${name}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const raw = source.services[name];
  const local = readService(source.ctx, name, raw);
  const ext = isRawMap(raw) ? raw.extends : undefined;
  if (ext === undefined || ext === null) {
    cache.set(key, local);
    return local;
  }
  const path: KeyPath = ['services', name, 'extends'];
  const { service, file } = readExtends(source.ctx, path, ext);
  const target = file === undefined ? source : open(source.ctx, [...path, 'file'], file);
  const targetKey = `${target.ctx.file}\0${service}`;
  if (targetKey === key || chain.includes(targetKey)) {
    const names = [...chain, key, targetKey].map((k) => k.split('\0').reverse().join(' in '));
    fail(source.ctx, path, `extends forms a cycle: ${names.join(' → ')}`);
  }
  if (!isRawMap(target.services) || !(service in target.services)) {
    fail(
      source.ctx,
      file === undefined ? path : [...path, 'service'],
      `no service "${service}" in ${target.ctx.file} to extend`,
      'ALICIA_ERR_COMPOSE_NOT_FOUND',
    );
  }
  const base = resolve(target, service, open, cache, [...chain, key]);
  const layer = { ...base.layer };
  const origins = { ...base.origins };
  for (const attribute of Object.keys(isRawMap(raw) ? raw : {})) {
    if (!source.tags.get(tagKey(name, attribute))) continue;
    for (const field of layerKeysOf(attribute) as ServiceKey[]) {
      delete layer[field];
      delete origins[field];
    }
  }
  const result: ServiceResult = {
    layer: mergeService(layer, local.layer),
    origins: { ...origins, ...local.origins },
  };
  cache.set(key, result);
  return result;
}

function readExtends(ctx: FileContext, path: KeyPath, value: unknown): { service: string; file?: string } {
  if (typeof value === 'string') return { service: value };
  if (!isRawMap(value)) {
    return fail(ctx, path, `expected a service name or {service, file}, got ${describe(value)}`);
  }
  checkKeys(ctx, path, value, ['service', 'file']);
  if (value.service === undefined || value.service === null) {
    fail(ctx, [...path, 'service'], 'service is required: the name of the service to extend');
  }
  const service = readString(ctx, [...path, 'service'], value.service);
  if (value.file === undefined || value.file === null) return { service };
  return { service, file: readString(ctx, [...path, 'file'], value.file) };
}
