// The runtime keys of a Compose service (devices, extra_hosts, dns, sysctls, ulimits, shm_size,
// init, tty, pid, ipc, security_opt, read_only, tmpfs, logging, the legacy CPU and memory
// keys, gpus, …) read into Docker's terms: the shape is the protocol's RUNTIME_SHAPE, so the
// compile step copies them into the ContainerSpec as they are.
import type { z } from 'zod';
import type { DeviceMapping, DeviceRequest, RUNTIME_SHAPE, Ulimit } from '../protocol/container-spec.js';
import { readBytes } from './deploy.js';
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import { readDuration } from './healthcheck.js';
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

export type RuntimeOptions = {
  -readonly [K in keyof typeof RUNTIME_SHAPE]?: z.infer<(typeof RUNTIME_SHAPE)[K]>;
};

/** The Compose keys this module reads. */
export const RUNTIME_KEYS = [
  'devices',
  'device_cgroup_rules',
  'gpus',
  'group_add',
  'extra_hosts',
  'dns',
  'dns_search',
  'dns_opt',
  'sysctls',
  'ulimits',
  'shm_size',
  'init',
  'tty',
  'stdin_open',
  'pid',
  'ipc',
  'uts',
  'cgroup',
  'security_opt',
  'read_only',
  'tmpfs',
  'oom_score_adj',
  'oom_kill_disable',
  'logging',
  'domainname',
  'mac_address',
  'cgroup_parent',
  'userns_mode',
  'runtime',
  'isolation',
  'storage_opt',
  'cpu_shares',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpuset',
  'cpu_count',
  'cpu_percent',
  'memswap_limit',
  'mem_swappiness',
  'blkio_config',
  'pull_policy',
  'platform',
  'volumes_from',
  'external_links',
] as const;

function stringRecord(ctx: FileContext, path: KeyPath, value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(readListOrDict(ctx, path, value, '')).map(([key, item]) => [key, item ?? '']),
  );
}

/** `/dev/x`, `/dev/x:/dev/y`, `/dev/x:/dev/y:rwm`, or `{source, target, permissions}`. */
function readDevice(ctx: FileContext, path: KeyPath, value: unknown): DeviceMapping {
  if (isRawMap(value)) {
    checkKeys(ctx, path, value, ['source', 'target', 'permissions']);
    const source = readString(ctx, [...path, 'source'], value.source);
    return {
      path_on_host: source,
      path_in_container:
        value.target === undefined ? source : readString(ctx, [...path, 'target'], value.target),
      cgroup_permissions:
        value.permissions === undefined
          ? 'rwm'
          : readString(ctx, [...path, 'permissions'], value.permissions),
    };
  }
  const parts = readString(ctx, path, value).split(':');
  const [host = '', container, permissions] = parts;
  if (parts.length > 3 || host === '')
    fail(ctx, path, `"${String(value)}" is not a device; write /dev/x[:/dev/y[:rwm]]`);
  // Docker's short form: a second part made only of r/w/m is the permissions.
  if (parts.length === 2 && container !== undefined && /^[rwm]{1,3}$/.test(container)) {
    return { path_on_host: host, path_in_container: host, cgroup_permissions: container };
  }
  const out = {
    path_on_host: host,
    path_in_container: container ?? host,
    cgroup_permissions: permissions ?? 'rwm',
  };
  if (!/^[rwm]{1,3}$/.test(out.cgroup_permissions)) {
    fail(ctx, path, `"${out.cgroup_permissions}" is not a device permission; use r, w and m`);
  }
  return out;
}

function readUlimits(ctx: FileContext, path: KeyPath, value: unknown): Ulimit[] {
  return Object.entries(readMap(ctx, path, value)).map(([name, raw]) => {
    if (isRawMap(raw)) {
      checkKeys(ctx, [...path, name], raw, ['soft', 'hard']);
      return {
        name,
        soft: readInt(ctx, [...path, name, 'soft'], raw.soft, -1),
        hard: readInt(ctx, [...path, name, 'hard'], raw.hard, -1),
      };
    }
    const limit = readInt(ctx, [...path, name], raw, -1);
    return { name, soft: limit, hard: limit };
  });
}

function readExtraHosts(ctx: FileContext, path: KeyPath, value: unknown): string[] {
  if (isRawMap(value)) {
    return Object.entries(value).flatMap(([host, ip]) =>
      (Array.isArray(ip) ? ip : [ip]).map(
        (one, index) => `${host}:${readString(ctx, [...path, host, index], one)}`,
      ),
    );
  }
  // Compose 2 also takes `host=ip`; Docker wants `host:ip`.
  return readStringList(ctx, path, value).map((entry) => {
    const eq = entry.indexOf('=');
    return eq > 0 ? `${entry.slice(0, eq)}:${entry.slice(eq + 1)}` : entry;
  });
}

function readTmpfs(ctx: FileContext, path: KeyPath, value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readStringList(ctx, path, value, true)) {
    const colon = entry.indexOf(':');
    out[colon < 0 ? entry : entry.slice(0, colon)] = colon < 0 ? '' : entry.slice(colon + 1);
  }
  return out;
}

/** `gpus: all` or a list of device requests (`deploy.resources.reservations.devices` too). */
export function readDeviceRequests(ctx: FileContext, path: KeyPath, value: unknown): DeviceRequest[] {
  if (value === 'all') return [{ driver: 'nvidia', count: -1, capabilities: [['gpu']] }];
  if (!Array.isArray(value))
    return fail(ctx, path, `expected "all" or a list of devices, got ${describe(value)}`);
  return value.map((item, index) => {
    const at = [...path, index];
    const map = readMap(ctx, at, item);
    checkKeys(ctx, at, map, ['driver', 'count', 'device_ids', 'capabilities', 'options']);
    const request: DeviceRequest = {
      capabilities: [
        map.capabilities === undefined
          ? ['gpu']
          : readStringList(ctx, [...at, 'capabilities'], map.capabilities),
      ],
    };
    if (map.driver !== undefined) request.driver = readString(ctx, [...at, 'driver'], map.driver);
    if (map.count !== undefined)
      request.count = map.count === 'all' ? -1 : readInt(ctx, [...at, 'count'], map.count, 1);
    if (map.device_ids !== undefined)
      request.device_ids = readStringList(ctx, [...at, 'device_ids'], map.device_ids);
    if (map.options !== undefined) request.options = stringRecord(ctx, [...at, 'options'], map.options);
    return request;
  });
}

/** Microseconds from a Compose duration or a bare number of microseconds. */
function readMicros(ctx: FileContext, path: KeyPath, value: unknown): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value))) {
    return readInt(ctx, path, value, -1);
  }
  return readDuration(ctx, path, value) * 1000;
}

export function readRuntimeKeys(
  ctx: FileContext,
  path: KeyPath,
  map: Record<string, unknown>,
): RuntimeOptions | null {
  const out: RuntimeOptions = {};
  const at = (key: string): KeyPath => [...path, key];
  const has = (key: string): boolean => map[key] !== undefined && map[key] !== null;
  const str = (key: string) => readString(ctx, at(key), map[key]);
  const list = (key: string) => readStringList(ctx, at(key), map[key], true);
  if (has('devices')) {
    const devices = map.devices;
    if (!Array.isArray(devices)) fail(ctx, at('devices'), `expected a list, got ${describe(devices)}`);
    out.devices = devices.map((item, index) => readDevice(ctx, [...at('devices'), index], item));
  }
  if (has('device_cgroup_rules')) out.device_cgroup_rules = list('device_cgroup_rules');
  if (has('gpus')) out.device_requests = readDeviceRequests(ctx, at('gpus'), map.gpus);
  if (has('group_add')) out.group_add = list('group_add');
  if (has('extra_hosts')) out.extra_hosts = readExtraHosts(ctx, at('extra_hosts'), map.extra_hosts);
  if (has('dns')) out.dns = list('dns');
  if (has('dns_search')) out.dns_search = list('dns_search');
  if (has('dns_opt')) out.dns_opt = list('dns_opt');
  if (has('sysctls')) out.sysctls = stringRecord(ctx, at('sysctls'), map.sysctls);
  if (has('ulimits')) out.ulimits = readUlimits(ctx, at('ulimits'), map.ulimits);
  if (has('shm_size')) out.shm_size_bytes = readBytes(ctx, at('shm_size'), map.shm_size);
  for (const key of ['init', 'tty', 'stdin_open', 'read_only', 'oom_kill_disable'] as const) {
    if (has(key)) out[key] = readBool(ctx, at(key), map[key]);
  }
  if (has('pid')) out.pid_mode = str('pid');
  if (has('ipc')) out.ipc_mode = str('ipc');
  if (has('uts')) out.uts_mode = str('uts');
  if (has('cgroup')) {
    const mode = str('cgroup');
    if (mode !== 'host' && mode !== 'private') fail(ctx, at('cgroup'), 'cgroup must be host or private');
    out.cgroupns_mode = mode;
  }
  if (has('security_opt')) out.security_opt = list('security_opt');
  if (has('tmpfs')) out.tmpfs = readTmpfs(ctx, at('tmpfs'), map.tmpfs);
  if (has('oom_score_adj')) {
    out.oom_score_adj = readInt(ctx, at('oom_score_adj'), map.oom_score_adj, -1000);
    if (out.oom_score_adj > 1000)
      fail(ctx, at('oom_score_adj'), 'oom_score_adj must be between -1000 and 1000');
  }
  if (has('logging')) {
    const logging = readMap(ctx, at('logging'), map.logging);
    checkKeys(ctx, at('logging'), logging, ['driver', 'options']);
    out.log_config = {
      driver:
        logging.driver === undefined
          ? 'json-file'
          : readString(ctx, [...at('logging'), 'driver'], logging.driver),
      options: stringRecord(ctx, [...at('logging'), 'options'], logging.options),
    };
  }
  for (const key of [
    'domainname',
    'mac_address',
    'cgroup_parent',
    'userns_mode',
    'runtime',
    'isolation',
  ] as const) {
    if (has(key)) out[key] = str(key);
  }
  if (has('storage_opt')) out.storage_opt = stringRecord(ctx, at('storage_opt'), map.storage_opt);
  if (has('cpu_shares')) out.cpu_shares = readInt(ctx, at('cpu_shares'), map.cpu_shares, 0);
  if (has('cpu_period')) out.cpu_period_us = readMicros(ctx, at('cpu_period'), map.cpu_period);
  if (has('cpu_quota')) out.cpu_quota_us = readMicros(ctx, at('cpu_quota'), map.cpu_quota);
  if (has('cpu_rt_period')) out.cpu_rt_period_us = readMicros(ctx, at('cpu_rt_period'), map.cpu_rt_period);
  if (has('cpu_rt_runtime'))
    out.cpu_rt_runtime_us = readMicros(ctx, at('cpu_rt_runtime'), map.cpu_rt_runtime);
  if (has('cpuset')) out.cpuset_cpus = str('cpuset');
  if (has('cpu_count')) out.cpu_count = readInt(ctx, at('cpu_count'), map.cpu_count, 0);
  if (has('cpu_percent')) out.cpu_percent = readInt(ctx, at('cpu_percent'), map.cpu_percent, 0);
  if (has('memswap_limit')) {
    out.memswap_limit_bytes =
      String(map.memswap_limit) === '-1' ? -1 : readBytes(ctx, at('memswap_limit'), map.memswap_limit);
  }
  if (has('mem_swappiness')) out.mem_swappiness = readInt(ctx, at('mem_swappiness'), map.mem_swappiness, 0);
  if (has('blkio_config')) {
    const blkio = readMap(ctx, at('blkio_config'), map.blkio_config);
    for (const key of Object.keys(blkio)) {
      if (key === 'weight')
        out.blkio_weight = readInt(ctx, [...at('blkio_config'), 'weight'], blkio.weight, 0);
      else
        warn(
          ctx,
          [...at('blkio_config'), key],
          `blkio_config.${key} is not applied by Alicia; only weight is`,
        );
    }
  }
  if (has('pull_policy')) out.pull_policy = readPullPolicy(ctx, at('pull_policy'), str('pull_policy'));
  if (has('platform')) {
    out.platform = str('platform');
    if (platformArch(out.platform) === undefined) {
      fail(
        ctx,
        at('platform'),
        `"${out.platform}" is not a platform Alicia can place; write os/arch such as linux/amd64, linux/arm64 or linux/arm/v7`,
      );
    }
  }
  if (has('volumes_from')) {
    out.volumes_from = list('volumes_from').map((entry, index) =>
      readVolumesFrom(ctx, [...at('volumes_from'), index], entry),
    );
  }
  if (has('external_links')) {
    out.external_links = list('external_links').map((entry) =>
      entry.includes(':') ? entry : `${entry}:${entry}`,
    );
  }
  return Object.keys(out).length > 0 ? out : null;
}

// Compose's pull_policy values; `if_not_present` is the older spelling of `missing`. Compose
// v2's `daily`, `weekly` and `every_<duration>` re-pull on a schedule: read as `missing`, with
// a warning. `build` needs a build, which Alicia does not do: an error.
function readPullPolicy(ctx: FileContext, path: KeyPath, value: string): 'always' | 'never' | 'missing' {
  if (value === 'always' || value === 'never' || value === 'missing') return value;
  if (value === 'if_not_present') return 'missing';
  if (value === 'daily' || value === 'weekly' || value.startsWith('every_')) {
    warn(ctx, path, `pull_policy ${value} is read as missing: agents do not re-pull on a schedule`);
    return 'missing';
  }
  if (value === 'build') {
    return fail(
      ctx,
      path,
      'pull_policy: build needs an image build, which Alicia does not do; build and push the image, then use missing or always',
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
    );
  }
  return fail(ctx, path, `"${value}" is not a pull policy; use always, never, missing or if_not_present`);
}

/** Docker platform (`linux/arm64`, `linux/arm/v7`) → the machine name agents report (uname -m). */
export function platformArch(platform: string): string | undefined {
  const [os, arch, variant] = platform.toLowerCase().split('/');
  if (os === undefined || arch === undefined || os === '') return undefined;
  const byArch: Record<string, string> = {
    amd64: 'x86_64',
    x86_64: 'x86_64',
    arm64: 'aarch64',
    aarch64: 'aarch64',
    '386': 'i386',
    ppc64le: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  if (arch === 'arm') return variant === 'v6' ? 'armv6l' : 'armv7l';
  return byArch[arch];
}

/** `service`, `service:ro`, `container:name`, `container:name:rw`. */
function readVolumesFrom(
  ctx: FileContext,
  path: KeyPath,
  entry: string,
): { service?: string; container?: string; read_only: boolean } {
  const parts = entry.split(':');
  const mode = parts.length > 1 && (parts.at(-1) === 'ro' || parts.at(-1) === 'rw') ? parts.pop() : 'rw';
  const read_only = mode === 'ro';
  if (parts[0] === 'container' && parts.length === 2 && parts[1]) return { container: parts[1], read_only };
  if (parts.length === 1 && parts[0]) return { service: parts[0], read_only };
  return fail(ctx, path, `"${entry}" is not a volumes_from entry; write service[:ro] or container:name[:ro]`);
}

/** Lists append (unique), maps merge key by key, scalars are replaced: Compose's merge rules. */
export function mergeRuntime(base: RuntimeOptions, over: RuntimeOptions): RuntimeOptions {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const previous = out[key];
    if (Array.isArray(previous) && Array.isArray(value)) {
      const seen = new Map<string, unknown>();
      for (const item of [...previous, ...value]) seen.set(JSON.stringify(item), item);
      out[key] = [...seen.values()];
    } else if (isRawMap(previous) && isRawMap(value)) out[key] = { ...previous, ...value };
    else out[key] = value;
  }
  return out as RuntimeOptions;
}
