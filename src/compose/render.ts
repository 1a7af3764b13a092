// The model rendered in the shape of `docker compose config --format json`: long-form
// ports and volumes, depends_on with conditions, environment as a map, durations as Compose
// prints them ("1m30s"), memory in bytes as a string, replicas under deploy, plus the
// x-alicia settings in their file form. The output is itself a valid input: loading it
// again gives the same stack.
import { buildGraph } from '../core/graph/index.js';
import { formatConstraint } from './constraints.js';
import { formatDuration } from './durations.js';
import type {
  Backoff,
  Resources,
  ServiceFile,
  ServiceSpec,
  ServiceXAlicia,
  Stack,
  StackNetwork,
} from './model.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export function toComposeJson(stack: Stack): JsonObject {
  const services: JsonObject = {};
  const volumes: JsonObject = {};
  for (const [name, service] of Object.entries(stack.services)) {
    services[name] = renderService(service);
    for (const volume of service.volumes) {
      if (volume.type === 'volume' && volume.source !== undefined) {
        const def = service.named_volumes?.[volume.source];
        volumes[volume.source] = def ? (JSON.parse(JSON.stringify(def)) as JsonObject) : {};
      }
    }
  }
  const out: JsonObject = { name: stack.name, services };
  if (Object.keys(volumes).length > 0) out.volumes = volumes;
  const networks: JsonObject = {};
  for (const [key, network] of Object.entries(stack.networks ?? {})) {
    if (key !== 'default' || Object.keys(network).length > 1) networks[key] = renderNetwork(network);
  }
  if (Object.keys(networks).length > 0) out.networks = networks;
  for (const kind of ['secrets', 'configs'] as const) {
    const files: JsonObject = {};
    for (const service of Object.values(stack.services)) {
      for (const use of service[kind] ?? []) files[use.source] = renderFileSource(use);
    }
    if (Object.keys(files).length > 0) out[kind] = files;
  }
  const x: JsonObject = {};
  if (stack.x_alicia.backoff) x.backoff = renderBackoff(stack.x_alicia.backoff);
  if (stack.x_alicia.startup_timeout_ms !== undefined) {
    x.startup_timeout = formatDuration(stack.x_alicia.startup_timeout_ms);
  }
  if (Object.keys(x).length > 0) out['x-alicia'] = x;
  return sortKeys(out) as JsonObject;
}

/** Service names in start order, one list per layer (each layer's services may start together). */
export function startLayers(stack: Stack): string[][] {
  const graph = buildGraph(stack.services);
  if (!graph.ok) throw graph.error;
  return graph.graph.layers.map((layer) => [...layer]);
}

function renderService(service: ServiceSpec): JsonObject {
  const out: JsonObject = { image: service.image, restart: service.restart };
  if (service.command) out.command = [...service.command];
  if (service.entrypoint) out.entrypoint = [...service.entrypoint];
  if (Object.keys(service.environment).length > 0) out.environment = { ...service.environment };
  // Published ports (fixed or ephemeral) under ports; the others came from expose.
  const published = service.ports.filter((p) => p.published !== undefined || p.ephemeral);
  const exposed = service.ports.filter((p) => p.published === undefined && !p.ephemeral);
  if (published.length > 0) out.ports = published.map(({ ephemeral: _e, ...port }) => ({ ...port }));
  if (exposed.length > 0) out.expose = exposed.map((p) => `${p.target}/${p.protocol}`);
  if (service.volumes.length > 0) {
    out.volumes = service.volumes.map((volume) => {
      const rendered: JsonObject = { type: volume.type, target: volume.target };
      if (volume.source !== undefined) rendered.source = volume.source;
      if (volume.read_only) rendered.read_only = true;
      const o = volume.options;
      if (o?.propagation !== undefined || o?.selinux !== undefined) {
        rendered.bind = {
          ...(o.propagation !== undefined ? { propagation: o.propagation } : {}),
          ...(o.selinux !== undefined ? { selinux: o.selinux } : {}),
        };
      }
      if (o?.nocopy !== undefined || o?.subpath !== undefined) {
        rendered.volume = {
          ...(o.nocopy !== undefined ? { nocopy: o.nocopy } : {}),
          ...(o.subpath !== undefined ? { subpath: o.subpath } : {}),
        };
      }
      if (o?.tmpfs_size_bytes !== undefined || o?.tmpfs_mode !== undefined) {
        rendered.tmpfs = {
          ...(o.tmpfs_size_bytes !== undefined ? { size: String(o.tmpfs_size_bytes) } : {}),
          ...(o.tmpfs_mode !== undefined ? { mode: o.tmpfs_mode.toString(8) } : {}),
        };
      }
      return rendered;
    });
  }
  if (Object.keys(service.depends_on).length > 0) {
    const deps: JsonObject = {};
    for (const [name, dep] of Object.entries(service.depends_on)) {
      // Compose prints `required` always and `restart` only when true.
      deps[name] = {
        condition: dep.condition,
        required: dep.required,
        ...(dep.restart ? { restart: true } : {}),
      };
    }
    out.depends_on = deps;
  }
  if (service.healthcheck) {
    const { test, disable, interval_ms, timeout_ms, start_period_ms, start_interval_ms, retries } =
      service.healthcheck;
    const check: JsonObject = { test: [...test] };
    if (disable) check.disable = true;
    if (interval_ms !== undefined) check.interval = formatDuration(interval_ms);
    if (timeout_ms !== undefined) check.timeout = formatDuration(timeout_ms);
    if (start_period_ms !== undefined) check.start_period = formatDuration(start_period_ms);
    if (start_interval_ms !== undefined) check.start_interval = formatDuration(start_interval_ms);
    if (retries !== undefined) check.retries = retries;
    out.healthcheck = check;
  }
  const deploy: JsonObject = { replicas: service.replicas };
  if (service.constraints.length > 0) {
    deploy.placement = { constraints: service.constraints.map(formatConstraint) };
  }
  const resources: JsonObject = {};
  if (service.limits) resources.limits = renderResources(service.limits);
  if (service.reservations) resources.reservations = renderResources(service.reservations);
  if (Object.keys(resources).length > 0) deploy.resources = resources;
  out.deploy = deploy;
  if (service.stop_grace_period_ms !== undefined) {
    out.stop_grace_period = formatDuration(service.stop_grace_period_ms);
  }
  for (const key of ['stop_signal', 'network_mode', 'user', 'working_dir', 'hostname'] as const) {
    const value = service[key];
    if (value !== undefined) out[key] = value;
  }
  if (Object.keys(service.labels).length > 0) out.labels = { ...service.labels };
  if (service.networks !== undefined) {
    const networks: JsonObject = {};
    for (const [key, entry] of Object.entries(service.networks)) {
      const { definition: _definition, ...endpoint } = entry;
      networks[key] = JSON.parse(JSON.stringify(endpoint)) as JsonObject;
    }
    out.networks = networks;
  }
  for (const kind of ['secrets', 'configs'] as const) {
    const uses = service[kind];
    if (uses === undefined) continue;
    out[kind] = uses.map((use) => {
      const rendered: JsonObject = {
        source: use.source,
        target: use.target,
        mode: use.mode.toString(8).padStart(4, '0'),
      };
      if (use.uid !== undefined) rendered.uid = use.uid;
      if (use.gid !== undefined) rendered.gid = use.gid;
      return rendered;
    });
  }
  if (service.runtime !== undefined) Object.assign(out, renderRuntime(service.runtime));
  if (service.privileged) out.privileged = true;
  if (service.cap_add.length > 0) out.cap_add = [...service.cap_add];
  if (service.cap_drop.length > 0) out.cap_drop = [...service.cap_drop];
  out['x-alicia'] = renderXAlicia(service.x_alicia);
  return out;
}

function renderNetwork(network: StackNetwork): JsonObject {
  // The model's fields are Compose's own names: written back as they are.
  return JSON.parse(JSON.stringify(network)) as JsonObject;
}

/** A secret's source, never its content (except content the file itself spelled out). */
function renderFileSource(use: ServiceFile): JsonObject {
  switch (use.from.kind) {
    case 'file':
      return { file: use.from.path };
    case 'environment':
      return { environment: use.from.variable };
    case 'content':
      return { content: Buffer.from(use.content_base64, 'base64').toString('utf8') };
  }
}

/** Docker's terms back to Compose's keys. */
function renderRuntime(runtime: NonNullable<ServiceSpec['runtime']>): JsonObject {
  const out: JsonObject = {};
  const {
    devices,
    device_requests,
    ulimits,
    shm_size_bytes,
    pid_mode,
    ipc_mode,
    uts_mode,
    cgroupns_mode,
    tmpfs,
    log_config,
    cpu_period_us,
    cpu_quota_us,
    cpu_rt_period_us,
    cpu_rt_runtime_us,
    cpuset_cpus,
    memswap_limit_bytes,
    blkio_weight,
    volumes_from,
    ...same
  } = runtime;
  Object.assign(out, JSON.parse(JSON.stringify(same)) as JsonObject);
  if (devices)
    out.devices = devices.map((d) => `${d.path_on_host}:${d.path_in_container}:${d.cgroup_permissions}`);
  if (device_requests)
    out.gpus = JSON.parse(
      JSON.stringify(
        device_requests.map(({ capabilities, count, ...rest }) => ({
          ...rest,
          ...(count !== undefined ? { count: count === -1 ? 'all' : count } : {}),
          capabilities: capabilities[0] ?? [],
        })),
      ),
    ) as Json;
  if (ulimits) out.ulimits = Object.fromEntries(ulimits.map((u) => [u.name, { soft: u.soft, hard: u.hard }]));
  if (shm_size_bytes !== undefined) out.shm_size = String(shm_size_bytes);
  if (pid_mode !== undefined) out.pid = pid_mode;
  if (ipc_mode !== undefined) out.ipc = ipc_mode;
  if (uts_mode !== undefined) out.uts = uts_mode;
  if (cgroupns_mode !== undefined) out.cgroup = cgroupns_mode;
  if (tmpfs)
    out.tmpfs = Object.entries(tmpfs).map(([path, options]) =>
      options === '' ? path : `${path}:${options}`,
    );
  if (log_config) out.logging = { driver: log_config.driver, options: { ...log_config.options } };
  if (cpu_period_us !== undefined) out.cpu_period = cpu_period_us;
  if (cpu_quota_us !== undefined) out.cpu_quota = cpu_quota_us;
  if (cpu_rt_period_us !== undefined) out.cpu_rt_period = cpu_rt_period_us;
  if (cpu_rt_runtime_us !== undefined) out.cpu_rt_runtime = cpu_rt_runtime_us;
  if (cpuset_cpus !== undefined) out.cpuset = cpuset_cpus;
  if (memswap_limit_bytes !== undefined) out.memswap_limit = String(memswap_limit_bytes);
  if (blkio_weight !== undefined) out.blkio_config = { weight: blkio_weight };
  if (volumes_from)
    out.volumes_from = volumes_from.map(
      (v) => `${v.service ?? `container:${v.container ?? ''}`}${v.read_only ? ':ro' : ''}`,
    );
  return out;
}

function renderResources(resources: Resources): JsonObject {
  const out: JsonObject = {};
  if (resources.cpus !== undefined) out.cpus = resources.cpus;
  // Compose prints memory as a string of bytes.
  if (resources.memory_bytes !== undefined) out.memory = String(resources.memory_bytes);
  if (resources.pids !== undefined) out.pids = resources.pids;
  return out;
}

function renderXAlicia(x: ServiceXAlicia): JsonObject {
  const out: JsonObject = { backoff: renderBackoff(x.backoff) };
  if (x.hosts) out.hosts = [...x.hosts];
  if (x.unhealthy_threshold !== undefined) out.unhealthy_threshold = x.unhealthy_threshold;
  if (x.start_probe !== undefined) out.start_probe = x.start_probe;
  if (x.priority !== undefined) out.priority = x.priority;
  if (x.category !== undefined) out.category = x.category;
  if (x.movable !== undefined) out.movable = x.movable;
  const probe: JsonObject = {};
  if (x.probe?.http) {
    const { url, interval_ms, timeout_ms, expect_status, degraded_after_ms, start_period_ms } = x.probe.http;
    const http: JsonObject = {
      url,
      interval: formatDuration(interval_ms),
      timeout: formatDuration(timeout_ms),
    };
    if (expect_status) http.expect_status = [...expect_status];
    if (degraded_after_ms !== undefined) http.degraded_after = formatDuration(degraded_after_ms);
    if (start_period_ms !== undefined) http.start_period = formatDuration(start_period_ms);
    probe.http = http;
  }
  if (x.probe?.tcp) {
    const { host, port, interval_ms, timeout_ms, start_period_ms } = x.probe.tcp;
    const tcp: JsonObject = {
      host,
      port,
      interval: formatDuration(interval_ms),
      timeout: formatDuration(timeout_ms),
    };
    if (start_period_ms !== undefined) tcp.start_period = formatDuration(start_period_ms);
    probe.tcp = tcp;
  }
  if (Object.keys(probe).length > 0) out.probe = probe;
  return out;
}

function renderBackoff(backoff: Backoff): JsonObject {
  return {
    min: formatDuration(backoff.min_ms),
    max: formatDuration(backoff.max_ms),
    reset_after: formatDuration(backoff.reset_after_ms),
    max_attempts: backoff.max_attempts,
  };
}

/**
 * Sorts object keys, as Go's encoding/json does for maps (stable output for diffs and
 * tests), and writes "$" as "$$" in strings, as Compose does, so the output loads again
 * without being interpolated a second time.
 */
function sortKeys(value: Json): Json {
  if (typeof value === 'string') return value.replaceAll('$', () => '$$');
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key] ?? null)]),
    );
  }
  return value;
}
