// Networks as Compose declares them: the top-level `networks:` (driver, driver_opts, ipam,
// internal, attachable, labels, external with name) and a service's `networks:` (a list of
// keys or a mapping with aliases, ipv4_address, priority …) and `links:`. Read per file here;
// finalize.ts checks the names against the merged top level.
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import type { ServiceNetworkLayer, StackNetworkLayer } from './layer.js';
import type { StackNetwork } from './model.js';
import {
  checkKeys,
  isRawMap,
  readBool,
  readInt,
  readListOrDict,
  readMap,
  readString,
  readStringList,
} from './read.js';

const TOP_KEYS = [
  'name',
  'driver',
  'driver_opts',
  'ipam',
  'external',
  'internal',
  'attachable',
  'enable_ipv6',
  'enable_ipv4',
  'labels',
];
const SERVICE_KEYS = [
  'aliases',
  'ipv4_address',
  'ipv6_address',
  'link_local_ips',
  'mac_address',
  'priority',
  'driver_opts',
  'gw_priority',
];

function stringMap(ctx: FileContext, path: KeyPath, value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(readListOrDict(ctx, path, value, '')).map(([key, item]) => [key, item ?? '']),
  );
}

/** The top-level `networks:` of one file. */
export function readTopNetworks(ctx: FileContext, value: unknown): Record<string, StackNetworkLayer> {
  const out: Record<string, StackNetworkLayer> = {};
  for (const [key, raw] of Object.entries(readMap(ctx, ['networks'], value))) {
    const path = ['networks', key];
    const map = readMap(ctx, path, raw);
    checkKeys(ctx, path, map, TOP_KEYS);
    const at = (k: string): KeyPath => [...path, k];
    const has = (k: string): boolean => map[k] !== undefined && map[k] !== null;
    const network: StackNetwork = { external: false };
    if (has('external')) {
      // Compose 2 (and the v3 file format) also take `external: {name: x}`.
      if (isRawMap(map.external)) {
        checkKeys(ctx, at('external'), map.external, ['name']);
        network.external = true;
        if (map.external.name !== undefined) {
          network.name = readString(ctx, [...at('external'), 'name'], map.external.name);
        }
      } else network.external = readBool(ctx, at('external'), map.external);
    }
    if (has('name')) network.name = readString(ctx, at('name'), map.name);
    if (has('driver')) network.driver = readString(ctx, at('driver'), map.driver);
    if (has('driver_opts')) network.driver_opts = stringMap(ctx, at('driver_opts'), map.driver_opts);
    if (has('internal')) network.internal = readBool(ctx, at('internal'), map.internal);
    if (has('attachable')) network.attachable = readBool(ctx, at('attachable'), map.attachable);
    if (has('enable_ipv6')) network.enable_ipv6 = readBool(ctx, at('enable_ipv6'), map.enable_ipv6);
    if (has('enable_ipv4') && !readBool(ctx, at('enable_ipv4'), map.enable_ipv4)) {
      warn(ctx, at('enable_ipv4'), 'enable_ipv4: false needs Docker 28; the network keeps IPv4');
    }
    if (has('labels')) network.labels = stringMap(ctx, at('labels'), map.labels);
    if (has('ipam')) network.ipam = readIpam(ctx, at('ipam'), map.ipam);
    if (network.external) {
      for (const k of ['driver', 'driver_opts', 'ipam', 'internal', 'labels'] as const) {
        if (network[k] !== undefined) {
          fail(ctx, at(k), `an external network is made outside the stack; remove ${k} or external: true`);
        }
      }
    }
    out[key] = { ...network, origin: { file: ctx.file, path } };
  }
  return out;
}

function readIpam(ctx: FileContext, path: KeyPath, value: unknown): NonNullable<StackNetwork['ipam']> {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, ['driver', 'config', 'options']);
  const ipam: NonNullable<StackNetwork['ipam']> = { config: [] };
  if (map.driver !== undefined && map.driver !== null)
    ipam.driver = readString(ctx, [...path, 'driver'], map.driver);
  if (map.options !== undefined && map.options !== null) {
    ipam.options = stringMap(ctx, [...path, 'options'], map.options);
  }
  const config = map.config ?? [];
  if (!Array.isArray(config)) fail(ctx, [...path, 'config'], `expected a list, got ${describe(config)}`);
  ipam.config = config.map((item, index) => {
    const at = [...path, 'config', index];
    const pool = readMap(ctx, at, item);
    checkKeys(ctx, at, pool, ['subnet', 'ip_range', 'gateway', 'aux_addresses']);
    const out: NonNullable<StackNetwork['ipam']>['config'][number] = {};
    for (const k of ['subnet', 'ip_range', 'gateway'] as const) {
      if (pool[k] !== undefined && pool[k] !== null) out[k] = readString(ctx, [...at, k], pool[k]);
    }
    if (pool.aux_addresses !== undefined && pool.aux_addresses !== null) {
      out.aux_addresses = stringMap(ctx, [...at, 'aux_addresses'], pool.aux_addresses);
    }
    return out;
  });
  return ipam;
}

/** A service's `networks:`: a list of keys, or a mapping of key → endpoint settings (or null). */
export function readServiceNetworks(
  ctx: FileContext,
  path: KeyPath,
  value: unknown,
): Record<string, ServiceNetworkLayer> {
  const out: Record<string, ServiceNetworkLayer> = {};
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out[readString(ctx, [...path, index], item)] = { origin: { file: ctx.file, path: [...path, index] } };
    });
    return out;
  }
  if (!isRawMap(value)) {
    return fail(ctx, path, `expected a list of networks or a mapping, got ${describe(value)}`);
  }
  for (const [key, raw] of Object.entries(value)) {
    const at = [...path, key];
    const map = readMap(ctx, at, raw);
    checkKeys(ctx, at, map, SERVICE_KEYS);
    const entry: ServiceNetworkLayer = { origin: { file: ctx.file, path: at } };
    const has = (k: string): boolean => map[k] !== undefined && map[k] !== null;
    if (has('aliases')) entry.aliases = readStringList(ctx, [...at, 'aliases'], map.aliases);
    if (has('ipv4_address')) entry.ipv4_address = readString(ctx, [...at, 'ipv4_address'], map.ipv4_address);
    if (has('ipv6_address')) entry.ipv6_address = readString(ctx, [...at, 'ipv6_address'], map.ipv6_address);
    if (has('link_local_ips')) {
      entry.link_local_ips = readStringList(ctx, [...at, 'link_local_ips'], map.link_local_ips);
    }
    if (has('mac_address')) entry.mac_address = readString(ctx, [...at, 'mac_address'], map.mac_address);
    if (has('priority')) entry.priority = readInt(ctx, [...at, 'priority'], map.priority, -1_000_000);
    for (const k of ['driver_opts', 'gw_priority']) {
      if (has(k)) warn(ctx, [...at, k], `${k} needs Docker 28 (API 1.48); it is ignored on this engine`);
    }
    out[key] = entry;
  }
  return out;
}

/** `links: [db, "db:database"]` → (service, alias): the alias resolves to the service. */
export function readLinks(
  ctx: FileContext,
  path: KeyPath,
  value: unknown,
): { service: string; alias: string }[] {
  return readStringList(ctx, path, value).map((entry) => {
    const [service = '', alias] = entry.split(':');
    return { service, alias: alias ?? service };
  });
}
