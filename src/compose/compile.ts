// Compose service -> the protocol's ContainerSpec: the one place where Compose names become
// Docker's terms for the agents. Pure (no I/O, no clock). It lives in src/compose, not in
// src/core, because it reads the Compose model and src/core imports only zod and itself.
//
// One spec per instance: it takes where the instance runs, although today's spec depends on
// the service alone (so every replica gets the same spec and hash); cross-host names will add
// extra hosts from the placement here.
import type {
  ContainerFile,
  ContainerHealthcheck,
  ContainerResources,
  ContainerRestart,
  ContainerSpec,
  HealthProbe,
  Mount,
  NetworkAttachment,
  NetworkDefinition,
  PortBinding,
  VolumeDefinition,
} from '../protocol/container-spec.js';
import type {
  Healthcheck,
  Port,
  Resources,
  RestartPolicy,
  ServiceSpec,
  ServiceXAlicia,
  StackNetwork,
  StackVolume,
  Volume,
} from './model.js';

/** Where the instance runs, when known. Unused yet: nothing in today's spec depends on it. */
export interface InstancePlacement {
  readonly agent?: string | undefined;
}

/** Named volumes belong to the stack, as Compose names them: <project>_<volume>. */
export function volumeName(stack: string, source: string): string {
  return `${stack}_${source}`;
}

/** The engine's name of a stack network, as Compose names it: `name:`, else <project>_<key> (external: the key). */
export function networkName(stack: string, key: string, network: StackNetwork): string {
  if (network.name !== undefined) return network.name;
  return network.external ? key : `${stack}_${key}`;
}

/** A stack network in the protocol's terms, for the agent that creates it. */
export function compileNetwork(stack: string, key: string, network: StackNetwork): NetworkDefinition {
  const out: NetworkDefinition = { name: networkName(stack, key, network), key, external: network.external };
  if (network.driver !== undefined) out.driver = network.driver;
  if (network.driver_opts !== undefined) out.driver_opts = { ...network.driver_opts };
  if (network.ipam !== undefined) out.ipam = structuredClone(network.ipam);
  if (network.internal !== undefined) out.internal = network.internal;
  if (network.attachable !== undefined) out.attachable = network.attachable;
  if (network.enable_ipv6 !== undefined) out.enable_ipv6 = network.enable_ipv6;
  if (network.labels !== undefined) out.labels = { ...network.labels };
  return out;
}

/**
 * The service's networks, highest priority first (it becomes the container's NetworkMode, as
 * in Compose), then by key. The service name is the first alias on each, so `db` resolves.
 */
function compileNetworks(stack: string, service: ServiceSpec): NetworkAttachment[] {
  const entries = Object.entries(service.networks ?? {});
  entries.sort(([a, x], [b, y]) => (y.priority ?? 0) - (x.priority ?? 0) || a.localeCompare(b));
  return entries.map(([key, entry]) => {
    const aliases = [service.name, ...entry.aliases.filter((alias) => alias !== service.name)];
    const out: NetworkAttachment = { network: compileNetwork(stack, key, entry.definition), aliases };
    if (entry.ipv4_address !== undefined) out.ipv4_address = entry.ipv4_address;
    if (entry.ipv6_address !== undefined) out.ipv6_address = entry.ipv6_address;
    if (entry.link_local_ips !== undefined) out.link_local_ips = [...entry.link_local_ips];
    if (entry.mac_address !== undefined) out.mac_address = entry.mac_address;
    if (entry.priority !== undefined) out.priority = entry.priority;
    return out;
  });
}

function compileFiles(service: ServiceSpec): ContainerFile[] {
  const out: ContainerFile[] = [];
  for (const kind of ['secrets', 'configs'] as const) {
    for (const use of service[kind] ?? []) {
      const file: ContainerFile = {
        kind: kind === 'secrets' ? 'secret' : 'config',
        name: use.source,
        target: use.target,
        content_base64: use.content_base64,
        mode: use.mode,
      };
      if (use.uid !== undefined) file.uid = use.uid;
      if (use.gid !== undefined) file.gid = use.gid;
      out.push(file);
    }
  }
  return out;
}

/** Compose `restart` -> Docker's RestartPolicy (`on-failure` alone retries without limit: 0). */
export function compileRestart(restart: RestartPolicy): ContainerRestart {
  if (restart.startsWith('on-failure')) {
    const count = restart.includes(':') ? Number.parseInt(restart.split(':')[1] ?? '0', 10) : 0;
    return { name: 'on-failure', max_retries: count };
  }
  return { name: restart as Exclude<ContainerRestart['name'], 'on-failure'> };
}

/** A disabled healthcheck (`disable: true` or `test: [NONE]`) is Docker's `['NONE']`, nothing else. */
export function compileHealthcheck(healthcheck: Healthcheck): ContainerHealthcheck {
  if (healthcheck.disable || healthcheck.test[0] === 'NONE') return { test: ['NONE'] };
  const out: ContainerHealthcheck = { test: healthcheck.test };
  if (healthcheck.interval_ms !== undefined) out.interval_ms = healthcheck.interval_ms;
  if (healthcheck.timeout_ms !== undefined) out.timeout_ms = healthcheck.timeout_ms;
  if (healthcheck.start_period_ms !== undefined) out.start_period_ms = healthcheck.start_period_ms;
  if (healthcheck.start_interval_ms !== undefined) out.start_interval_ms = healthcheck.start_interval_ms;
  if (healthcheck.retries !== undefined) out.retries = healthcheck.retries;
  return out;
}

function compilePort(port: Port): PortBinding {
  // `mode` (ingress | host) is Swarm's routing mesh; a single engine binds on the host either way.
  const out: PortBinding = { container_port: port.target, protocol: port.protocol };
  if (port.published !== undefined) out.host_port = port.published;
  // Published on a port the engine picks: Docker's empty HostPort.
  else if (port.ephemeral) out.host_port = '';
  if (port.host_ip !== undefined) out.host_ip = port.host_ip;
  return out;
}

/** The engine's name of a named volume: `name:`, the key when external, else <project>_<key>. */
function engineVolumeName(stack: string, key: string, def: StackVolume | undefined): string {
  if (def?.name !== undefined) return def.name;
  return def?.external ? key : volumeName(stack, key);
}

function compileMount(stack: string, volume: Volume, defs: ServiceSpec['named_volumes']): Mount {
  const out: Mount = { type: volume.type, target: volume.target, read_only: volume.read_only };
  if (volume.type === 'volume' && volume.source !== undefined) {
    out.source = engineVolumeName(stack, volume.source, defs?.[volume.source]);
  } else if (volume.type === 'bind' && volume.source !== undefined) out.source = volume.source;
  return out;
}

/**
 * deploy.resources -> HostConfig resources. Only memory can be reserved on a single engine
 * (the loader warns about CPU reservations); null when nothing is set.
 */
function compileResources(
  limits: Resources | undefined,
  reservations: Resources | undefined,
): ContainerResources | null {
  const out: ContainerResources = {};
  if (limits?.cpus !== undefined) out.cpus = limits.cpus;
  if (limits?.memory_bytes !== undefined) out.memory_bytes = limits.memory_bytes;
  if (limits?.pids !== undefined) out.pids_limit = limits.pids;
  if (reservations?.memory_bytes !== undefined) out.memory_reservation_bytes = reservations.memory_bytes;
  return Object.keys(out).length > 0 ? out : null;
}

/** The container one instance of `service` (of stack `stack`) runs as. */
export function compileContainerSpec(
  stack: string,
  service: ServiceSpec,
  _placement: InstancePlacement = {},
): ContainerSpec {
  const spec: ContainerSpec = {
    image: service.image,
    env: { ...service.environment },
    labels: { ...service.labels },
    ports: service.ports.map(compilePort),
    mounts: service.volumes.map((volume) => compileMount(stack, volume, service.named_volumes)),
    restart: compileRestart(service.restart),
    privileged: service.privileged,
    cap_add: [...service.cap_add],
    cap_drop: [...service.cap_drop],
    healing: { backoff: { ...service.x_alicia.backoff } },
  };
  if (service.command !== undefined) spec.command = [...service.command];
  if (service.entrypoint !== undefined) spec.entrypoint = [...service.entrypoint];
  if (service.user !== undefined) spec.user = service.user;
  if (service.working_dir !== undefined) spec.working_dir = service.working_dir;
  if (service.hostname !== undefined) spec.hostname = service.hostname;
  if (service.stop_signal !== undefined) spec.stop_signal = service.stop_signal;
  if (service.stop_grace_period_ms !== undefined) spec.stop_grace_period_ms = service.stop_grace_period_ms;
  if (service.network_mode !== undefined) spec.network_mode = service.network_mode;
  else if (service.networks !== undefined) spec.networks = compileNetworks(stack, service);
  const volumes = Object.entries(service.named_volumes ?? {}).map(([key, def]) => {
    const out: VolumeDefinition = { name: engineVolumeName(stack, key, def), key, external: def.external };
    if (def.driver !== undefined) out.driver = def.driver;
    if (def.driver_opts !== undefined) out.driver_opts = { ...def.driver_opts };
    if (def.labels !== undefined) out.labels = { ...def.labels };
    return out;
  });
  if (volumes.length > 0) spec.volumes = volumes;
  const mountOptions = service.volumes.flatMap((volume) =>
    volume.options === undefined ? [] : [{ target: volume.target, ...volume.options }],
  );
  if (mountOptions.length > 0) spec.mount_options = mountOptions;
  // The runtime keys are already in Docker's terms (the protocol's RUNTIME_SHAPE).
  if (service.runtime !== undefined) Object.assign(spec, structuredClone(service.runtime));
  const files = compileFiles(service);
  if (files.length > 0) spec.files = files;
  if (service.healthcheck !== undefined) spec.healthcheck = compileHealthcheck(service.healthcheck);
  const resources = compileResources(service.limits, service.reservations);
  if (resources !== null) spec.resources = resources;
  // Absent and `true` mean the same (the agent's default), so only `false` travels: a spec
  // asks for the `probe` feature only when it changes something.
  if (service.x_alicia.start_probe === false) spec.probe = { start: false };
  const healthProbe = compileHealthProbe(service.x_alicia);
  if (healthProbe !== null) spec.health_probe = healthProbe;
  return spec;
}

/** Failures in a row of the agent's own probe before the container is unhealthy (the specifications' default). */
export const DEFAULT_UNHEALTHY_THRESHOLD = 3;

/** `x-alicia.probe` (+ `unhealthy_threshold`) -> the spec's `health_probe`; null without one. */
function compileHealthProbe(x: ServiceXAlicia): HealthProbe | null {
  const unhealthy_threshold = x.unhealthy_threshold ?? DEFAULT_UNHEALTHY_THRESHOLD;
  const http = x.probe?.http;
  if (http !== undefined) {
    return {
      kind: 'http',
      url: http.url,
      ...(http.expect_status !== undefined ? { expect_status: [...http.expect_status] } : {}),
      interval_ms: http.interval_ms,
      timeout_ms: http.timeout_ms,
      ...(http.degraded_after_ms !== undefined ? { degraded_after_ms: http.degraded_after_ms } : {}),
      ...(http.start_period_ms !== undefined ? { start_period_ms: http.start_period_ms } : {}),
      unhealthy_threshold,
    };
  }
  const tcp = x.probe?.tcp;
  if (tcp !== undefined) {
    return {
      kind: 'tcp',
      host: tcp.host,
      port: tcp.port,
      interval_ms: tcp.interval_ms,
      timeout_ms: tcp.timeout_ms,
      ...(tcp.start_period_ms !== undefined ? { start_period_ms: tcp.start_period_ms } : {}),
      unhealthy_threshold,
    };
  }
  return null;
}
