// `deploy` (replicas, placement, resources, restart_policy) and the older top-level
// spellings of limits (`cpus`, `mem_limit`, `mem_reservation`, `pids_limit`).
import { parseConstraint } from './constraints.js';
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import type { ResourcesLayer, ServiceLayer } from './layer.js';
import type { RestartPolicy } from './model.js';
import { checkKeys, readInt, readMap, readString, readStringList, warnIgnored } from './read.js';
import { readDeviceRequests } from './runtime-keys.js';
import { parseBytes, parseCpus } from './units.js';

const DEPLOY_KEYS = [
  'mode',
  'replicas',
  'placement',
  'resources',
  'restart_policy',
  'labels',
  'update_config',
  'rollback_config',
  'endpoint_mode',
];
const IGNORED: Readonly<Record<string, string>> = {
  labels: 'deploy.labels label a Swarm service, which Alicia does not create; use the service labels',
  update_config:
    'rolling-update settings are not supported by Alicia; a redeploy replaces instances one by one',
  rollback_config: 'rollback settings are not supported by Alicia',
  endpoint_mode: 'Swarm endpoint modes (vip, dnsrr) do not apply to Alicia',
};

type DeployFields = Pick<
  ServiceLayer,
  'replicas' | 'constraints' | 'limits' | 'reservations' | 'deploy_restart' | 'runtime'
>;

export function readDeploy(ctx: FileContext, path: KeyPath, value: unknown): DeployFields {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, DEPLOY_KEYS);
  const out: DeployFields = {};
  for (const [key, message] of Object.entries(IGNORED)) warnIgnored(ctx, [...path, key], map[key], message);
  if (map.mode !== undefined && map.mode !== null) {
    const mode = readString(ctx, [...path, 'mode'], map.mode);
    if (mode === 'global') {
      fail(
        ctx,
        [...path, 'mode'],
        'global mode (one instance on every host) is not supported by Alicia yet; set deploy.replicas and x-alicia.hosts instead',
        'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      );
    }
    if (mode !== 'replicated') fail(ctx, [...path, 'mode'], `"${mode}" is not a deploy mode; use replicated`);
  }
  if (map.replicas !== undefined && map.replicas !== null) {
    out.replicas = readInt(ctx, [...path, 'replicas'], map.replicas, 0);
  }
  if (map.placement !== undefined && map.placement !== null) {
    const placementPath = [...path, 'placement'];
    const placement = readMap(ctx, placementPath, map.placement);
    checkKeys(ctx, placementPath, placement, ['constraints', 'preferences', 'max_replicas_per_node']);
    const constraintsPath = [...placementPath, 'constraints'];
    out.constraints = readStringList(ctx, constraintsPath, placement.constraints).map((text, index) =>
      parseConstraint(ctx, [...constraintsPath, index], text),
    );
    warnIgnored(
      ctx,
      [...placementPath, 'preferences'],
      placement.preferences,
      'placement preferences are not supported by Alicia; instances are spread by its own placement',
    );
    warnIgnored(
      ctx,
      [...placementPath, 'max_replicas_per_node'],
      placement.max_replicas_per_node,
      'max_replicas_per_node is not supported by Alicia',
    );
  }
  if (map.resources !== undefined && map.resources !== null) {
    const resourcesPath = [...path, 'resources'];
    const resources = readMap(ctx, resourcesPath, map.resources);
    checkKeys(ctx, resourcesPath, resources, ['limits', 'reservations']);
    if (resources.limits !== undefined && resources.limits !== null) {
      out.limits = readResources(ctx, [...resourcesPath, 'limits'], resources.limits, [
        'cpus',
        'memory',
        'pids',
      ]);
    }
    if (resources.reservations !== undefined && resources.reservations !== null) {
      out.reservations = readResources(ctx, [...resourcesPath, 'reservations'], resources.reservations, [
        'cpus',
        'memory',
        'generic_resources',
        'devices',
      ]);
      // GPUs and other devices: Docker's DeviceRequests, as Compose sends them (gpus: too).
      const reservations = readMap(ctx, [...resourcesPath, 'reservations'], resources.reservations);
      if (reservations.devices !== undefined && reservations.devices !== null) {
        out.runtime = {
          device_requests: readDeviceRequests(
            ctx,
            [...resourcesPath, 'reservations', 'devices'],
            reservations.devices,
          ),
        };
      }
      // Kept in the model, but a single engine reserves only memory: the compile step drops it.
      if (out.reservations.cpus !== undefined) {
        warn(
          ctx,
          [...resourcesPath, 'reservations', 'cpus'],
          'only memory is reserved on a single engine; a CPU reservation is not applied (use limits.cpus)',
        );
      }
    }
  }
  if (map.restart_policy !== undefined && map.restart_policy !== null) {
    out.deploy_restart = readRestartPolicy(ctx, [...path, 'restart_policy'], map.restart_policy);
  }
  return out;
}

function readResources(ctx: FileContext, path: KeyPath, value: unknown, keys: string[]): ResourcesLayer {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, keys);
  const out: ResourcesLayer = {};
  if (map.cpus !== undefined && map.cpus !== null) out.cpus = readCpus(ctx, [...path, 'cpus'], map.cpus);
  if (map.memory !== undefined && map.memory !== null) {
    out.memory_bytes = readBytes(ctx, [...path, 'memory'], map.memory);
  }
  if (map.pids !== undefined && map.pids !== null) out.pids = readInt(ctx, [...path, 'pids'], map.pids, 1);
  warnIgnored(
    ctx,
    [...path, 'generic_resources'],
    map.generic_resources,
    'generic resources are not supported by Alicia',
  );
  return out;
}

export function readCpus(ctx: FileContext, path: KeyPath, value: unknown): number {
  const parsed = parseCpus(value);
  if (!parsed.ok) fail(ctx, path, parsed.message);
  return parsed.value;
}

export function readBytes(ctx: FileContext, path: KeyPath, value: unknown): number {
  const parsed = parseBytes(value);
  if (!parsed.ok) fail(ctx, path, parsed.message);
  return parsed.value;
}

/** Swarm's restart_policy in Docker's terms, as Compose v2 does when `restart` is absent. */
function readRestartPolicy(ctx: FileContext, path: KeyPath, value: unknown): RestartPolicy | undefined {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, ['condition', 'delay', 'max_attempts', 'window']);
  for (const key of ['delay', 'window']) {
    warnIgnored(
      ctx,
      [...path, key],
      map[key],
      `restart_policy.${key} is not applied; tune restarts with x-alicia.backoff`,
    );
  }
  const maxAttempts =
    map.max_attempts === undefined || map.max_attempts === null
      ? undefined
      : readInt(ctx, [...path, 'max_attempts'], map.max_attempts, 0);
  if (map.condition === undefined || map.condition === null) {
    return maxAttempts ? `on-failure:${maxAttempts}` : 'always';
  }
  const condition = readString(ctx, [...path, 'condition'], map.condition);
  switch (condition) {
    case 'none':
      return 'no';
    case 'any':
      return 'always';
    case 'on-failure':
      return maxAttempts ? `on-failure:${maxAttempts}` : 'on-failure';
    default:
      return fail(
        ctx,
        [...path, 'condition'],
        `${describe(condition)} is not a restart condition; use none, on-failure or any`,
      );
  }
}
