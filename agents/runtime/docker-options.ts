// InstanceSpec -> Docker's container create options, faithfully: what Compose would ask
// Docker for, plus Alicia's labels. Docker itself then runs the healthcheck and applies the
// restart policy, so the data plane keeps its behaviour without the agent.
import type Docker from 'dockerode';
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import type {
  ContainerHealthcheck,
  ContainerRestart,
  ContainerSpec,
  NetworkAttachment,
} from '../../src/protocol/container-spec.js';
import { toEndpointSettings } from './docker-networks.js';
import { containerLabels, containerName } from './labels.js';

/** Docker's API counts healthcheck durations in nanoseconds. */
const NS_PER_MS = 1_000_000;

export interface DockerCreateContext {
  agent: string;
  /**
   * For a spec that names neither network_mode nor networks. Absent: Compose's default, the
   * stack's `<stack>_default` bridge network with the service name as alias.
   */
  defaultNetworkMode?: string | undefined;
  /** network_mode `service:x` resolved by the adapter to `container:<id>` on this host. */
  resolvedNetworkMode?: string | undefined;
  /**
   * `volumes_from` resolved by the adapter: the container id (or name) of each entry, in the
   * spec's order (a service's container on this host; a container name as given).
   */
  resolvedVolumesFrom?: readonly string[] | undefined;
  /** Host paths of the spec's `files`, in the same order (written by the adapter). */
  filePaths?: readonly string[] | undefined;
  /** Source of `KEY` entries without a value. */
  env: Readonly<Record<string, string | undefined>>;
}

export interface DockerCreatePlan {
  options: Docker.ContainerCreateOptions;
  networkMode: string;
  /** Every network the container joins (the first is in the create call, NetworkMode). */
  networks: NetworkAttachment[];
  /** Joined after create, before start: the Engine API (< 1.44) takes one network at create. */
  connect: NetworkAttachment[];
  /** Spec keys Docker cannot take as given (logged by the adapter). */
  warnings: string[];
}

export function toDockerHealthcheck(healthcheck: ContainerHealthcheck): Docker.HealthConfig {
  if (healthcheck.test[0] === 'NONE') return { Test: ['NONE'] };
  const config: Docker.HealthConfig = { Test: [...healthcheck.test] };
  if (healthcheck.interval_ms !== undefined) config.Interval = healthcheck.interval_ms * NS_PER_MS;
  if (healthcheck.timeout_ms !== undefined) config.Timeout = healthcheck.timeout_ms * NS_PER_MS;
  if (healthcheck.start_period_ms !== undefined) config.StartPeriod = healthcheck.start_period_ms * NS_PER_MS;
  // Docker ≥ 25 (API 1.44) honours StartInterval; older engines ignore the field.
  if (healthcheck.start_interval_ms !== undefined)
    config.StartInterval = healthcheck.start_interval_ms * NS_PER_MS;
  if (healthcheck.retries !== undefined) config.Retries = healthcheck.retries;
  return config;
}

export function toDockerRestartPolicy(restart: ContainerRestart): Docker.HostRestartPolicy {
  if (restart.name === 'on-failure')
    return { Name: 'on-failure', MaximumRetryCount: restart.max_retries ?? 0 };
  return { Name: restart.name };
}

export function toDockerEnv(
  environment: ContainerSpec['env'],
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(environment)) {
    if (value !== null) out.push(`${key}=${value}`);
    else {
      // Compose `- FOO`: taken from the host's environment if set there, else left out.
      const fromHost = env[key];
      if (fromHost !== undefined) out.push(`${key}=${fromHost}`);
    }
  }
  return out;
}

/**
 * The runtime keys (the protocol's RUNTIME_SHAPE) onto Docker's Config and HostConfig, field
 * by field as `docker create` would set them.
 */
export function applyRuntimeOptions(
  spec: ContainerSpec,
  options: Docker.ContainerCreateOptions,
  host: Docker.HostConfig,
): void {
  const h = host as Record<string, unknown>;
  if (spec.devices) {
    host.Devices = spec.devices.map((d) => ({
      PathOnHost: d.path_on_host,
      PathInContainer: d.path_in_container,
      CgroupPermissions: d.cgroup_permissions,
    }));
  }
  if (spec.device_cgroup_rules) h.DeviceCgroupRules = [...spec.device_cgroup_rules];
  if (spec.device_requests) {
    h.DeviceRequests = spec.device_requests.map((r) => ({
      Driver: r.driver ?? '',
      Count: r.count ?? (r.device_ids ? 0 : -1),
      DeviceIDs: r.device_ids ?? null,
      Capabilities: r.capabilities,
      Options: r.options ?? {},
    }));
  }
  if (spec.group_add) host.GroupAdd = [...spec.group_add];
  if (spec.extra_hosts) host.ExtraHosts = [...spec.extra_hosts];
  if (spec.dns) host.Dns = [...spec.dns];
  if (spec.dns_search) host.DnsSearch = [...spec.dns_search];
  if (spec.dns_opt) host.DnsOptions = [...spec.dns_opt];
  if (spec.sysctls) host.Sysctls = { ...spec.sysctls };
  if (spec.ulimits) host.Ulimits = spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (spec.shm_size_bytes !== undefined) host.ShmSize = spec.shm_size_bytes;
  if (spec.init !== undefined) h.Init = spec.init;
  if (spec.tty !== undefined) options.Tty = spec.tty;
  if (spec.stdin_open !== undefined) options.OpenStdin = spec.stdin_open;
  if (spec.pid_mode !== undefined) host.PidMode = spec.pid_mode;
  if (spec.ipc_mode !== undefined) host.IpcMode = spec.ipc_mode;
  if (spec.uts_mode !== undefined) h.UTSMode = spec.uts_mode;
  if (spec.cgroupns_mode !== undefined) h.CgroupnsMode = spec.cgroupns_mode;
  if (spec.security_opt) host.SecurityOpt = [...spec.security_opt];
  if (spec.read_only !== undefined) host.ReadonlyRootfs = spec.read_only;
  if (spec.tmpfs) h.Tmpfs = { ...spec.tmpfs };
  if (spec.oom_score_adj !== undefined) host.OomScoreAdj = spec.oom_score_adj;
  if (spec.oom_kill_disable !== undefined) host.OomKillDisable = spec.oom_kill_disable;
  if (spec.log_config)
    host.LogConfig = { Type: spec.log_config.driver, Config: { ...spec.log_config.options } };
  if (spec.domainname !== undefined) options.Domainname = spec.domainname;
  if (spec.mac_address !== undefined) options.MacAddress = spec.mac_address;
  if (spec.cgroup_parent !== undefined) host.CgroupParent = spec.cgroup_parent;
  if (spec.userns_mode !== undefined) host.UsernsMode = spec.userns_mode;
  if (spec.runtime !== undefined) h.Runtime = spec.runtime;
  if (spec.isolation !== undefined) h.Isolation = spec.isolation;
  if (spec.storage_opt) h.StorageOpt = { ...spec.storage_opt };
  if (spec.cpu_shares !== undefined) host.CpuShares = spec.cpu_shares;
  if (spec.cpu_period_us !== undefined) host.CpuPeriod = spec.cpu_period_us;
  if (spec.cpu_quota_us !== undefined) host.CpuQuota = spec.cpu_quota_us;
  if (spec.cpu_rt_period_us !== undefined) h.CpuRealtimePeriod = spec.cpu_rt_period_us;
  if (spec.cpu_rt_runtime_us !== undefined) h.CpuRealtimeRuntime = spec.cpu_rt_runtime_us;
  if (spec.cpuset_cpus !== undefined) host.CpusetCpus = spec.cpuset_cpus;
  if (spec.cpuset_mems !== undefined) host.CpusetMems = spec.cpuset_mems;
  if (spec.cpu_count !== undefined) h.CpuCount = spec.cpu_count;
  if (spec.cpu_percent !== undefined) h.CpuPercent = spec.cpu_percent;
  if (spec.memswap_limit_bytes !== undefined) host.MemorySwap = spec.memswap_limit_bytes;
  if (spec.mem_swappiness !== undefined) host.MemorySwappiness = spec.mem_swappiness;
  if (spec.blkio_weight !== undefined) host.BlkioWeight = spec.blkio_weight;
  // Docker's create takes the platform as a query parameter; dockerode sends every option
  // of createContainer in the query string too.
  if (spec.platform !== undefined) (options as Record<string, unknown>).platform = spec.platform;
  if (spec.external_links) host.Links = [...spec.external_links];
}

/** The `<stack>_default` network Compose puts a service on when its file names none. */
export function defaultAttachment(instance: InstanceSpec): NetworkAttachment {
  return {
    network: { name: `${instance.stack}_default`, key: 'default', external: false },
    aliases: [instance.service],
  };
}

/** The networks the container joins: the spec's, Compose's default, or none (a network_mode). */
export function attachmentsOf(
  instance: InstanceSpec,
  defaultNetworkMode: string | undefined,
): NetworkAttachment[] {
  const spec = instance.spec;
  if (spec.network_mode !== undefined) return [];
  if (spec.networks !== undefined) return [...spec.networks];
  return defaultNetworkMode === undefined ? [defaultAttachment(instance)] : [];
}

export function toDockerCreateOptions(
  instance: InstanceSpec,
  context: DockerCreateContext,
): DockerCreatePlan {
  const spec = instance.spec;
  const warnings: string[] = [];
  const networks = attachmentsOf(instance, context.defaultNetworkMode);
  const [first, ...connect] = networks;
  const networkMode =
    first?.network.name ??
    context.resolvedNetworkMode ??
    spec.network_mode ??
    context.defaultNetworkMode ??
    'default';
  const hostNetwork = networkMode === 'host';

  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostPort?: string; HostIp?: string }[]> = {};
  for (const port of spec.ports) {
    const key = `${port.container_port}/${port.protocol}`;
    exposed[key] = {};
    if (port.host_port !== undefined) {
      const binding: { HostPort?: string; HostIp?: string } = { HostPort: port.host_port };
      if (port.host_ip !== undefined) binding.HostIp = port.host_ip;
      bindings[key] = [...(bindings[key] ?? []), binding];
    }
  }
  if (hostNetwork && Object.keys(bindings).length > 0) {
    warnings.push(
      'ports are published by the host network itself (network_mode host); bindings are kept but unused',
    );
  }

  const binds: string[] = [];
  const mounts: Docker.MountConfig = [];
  const optionsOf = (target: string) => spec.mount_options?.find((o) => o.target === target);
  for (const mount of spec.mounts) {
    const extra = optionsOf(mount.target);
    switch (mount.type) {
      case 'bind': {
        // Binds (not Mounts): Docker creates a missing host directory, as Compose does.
        const modes = [
          ...(mount.read_only ? ['ro'] : []),
          ...(extra?.propagation ? [extra.propagation] : []),
          ...(extra?.selinux ? [extra.selinux] : []),
        ];
        binds.push(`${mount.source ?? ''}:${mount.target}${modes.length > 0 ? `:${modes.join(',')}` : ''}`);
        break;
      }
      case 'volume': {
        const volume: Docker.MountSettings = {
          Type: 'volume',
          Target: mount.target,
          ReadOnly: mount.read_only,
          // An empty source makes an anonymous volume.
          Source: mount.source ?? '',
        };
        if (extra?.nocopy !== undefined || extra?.subpath !== undefined) {
          // Subpath needs Docker 26 (API 1.45); older engines ignore it.
          volume.VolumeOptions = {
            ...(extra.nocopy !== undefined ? { NoCopy: extra.nocopy } : {}),
            ...(extra.subpath !== undefined ? { Subpath: extra.subpath } : {}),
          } as Docker.MountSettings['VolumeOptions'];
          if (extra.subpath !== undefined)
            warnings.push(`volume subpath ${extra.subpath} needs Docker 26 or later`);
        }
        mounts.push(volume);
        break;
      }
      case 'tmpfs': {
        const tmpfs: Docker.MountSettings = {
          Type: 'tmpfs',
          Source: '',
          Target: mount.target,
          ReadOnly: mount.read_only,
        };
        if (extra?.tmpfs_size_bytes !== undefined || extra?.tmpfs_mode !== undefined) {
          tmpfs.TmpfsOptions = {
            ...(extra.tmpfs_size_bytes !== undefined ? { SizeBytes: extra.tmpfs_size_bytes } : {}),
            ...(extra.tmpfs_mode !== undefined ? { Mode: extra.tmpfs_mode } : {}),
            // dockerode's type wants both; the Engine API takes either alone.
          } as Docker.MountSettings['TmpfsOptions'];
        }
        mounts.push(tmpfs);
        break;
      }
    }
  }

  (spec.files ?? []).forEach((file, index) => {
    const path = context.filePaths?.[index];
    if (path !== undefined) binds.push(`${path}:${file.target}:ro`);
  });

  const hostConfig: Docker.HostConfig = {
    NetworkMode: networkMode,
    RestartPolicy: toDockerRestartPolicy(spec.restart),
    Privileged: spec.privileged,
  };
  if (Object.keys(bindings).length > 0) hostConfig.PortBindings = bindings;
  if (binds.length > 0) hostConfig.Binds = binds;
  if (mounts.length > 0) hostConfig.Mounts = mounts;
  if (spec.cap_add.length > 0) hostConfig.CapAdd = [...spec.cap_add];
  if (spec.cap_drop.length > 0) hostConfig.CapDrop = [...spec.cap_drop];
  const resources = spec.resources;
  if (resources?.cpus !== undefined) hostConfig.NanoCpus = Math.round(resources.cpus * 1e9);
  if (resources?.memory_bytes !== undefined) hostConfig.Memory = resources.memory_bytes;
  if (resources?.pids_limit !== undefined) hostConfig.PidsLimit = resources.pids_limit;
  if (resources?.memory_reservation_bytes !== undefined)
    hostConfig.MemoryReservation = resources.memory_reservation_bytes;

  const options: Docker.ContainerCreateOptions = {
    name: containerName(instance.instance),
    Image: spec.image,
    Labels: containerLabels(instance, context.agent),
    Env: toDockerEnv(spec.env, context.env),
    HostConfig: hostConfig,
  };
  if (spec.command !== undefined) options.Cmd = [...spec.command];
  if (spec.entrypoint !== undefined) options.Entrypoint = [...spec.entrypoint];
  if (Object.keys(exposed).length > 0) options.ExposedPorts = exposed;
  if (spec.user !== undefined) options.User = spec.user;
  if (spec.working_dir !== undefined) options.WorkingDir = spec.working_dir;
  if (spec.hostname !== undefined) {
    // Docker refuses a hostname together with the host's network namespace.
    if (hostNetwork)
      warnings.push(`hostname ${spec.hostname} is not set: the container shares the host's network and name`);
    else options.Hostname = spec.hostname;
  }
  if (spec.stop_signal !== undefined) options.StopSignal = spec.stop_signal;
  // StopTimeout is whole seconds; round up so the grace period is never shortened.
  if (spec.stop_grace_period_ms !== undefined)
    options.StopTimeout = Math.ceil(spec.stop_grace_period_ms / 1000);
  if (spec.healthcheck !== undefined) options.Healthcheck = toDockerHealthcheck(spec.healthcheck);
  applyRuntimeOptions(spec, options, hostConfig);
  if (spec.volumes_from && spec.volumes_from.length > 0) {
    hostConfig.VolumesFrom = spec.volumes_from.map((entry, index) => {
      const source = context.resolvedVolumesFrom?.[index] ?? entry.container ?? entry.service ?? '';
      return `${source}:${entry.read_only ? 'ro' : 'rw'}`;
    });
  }
  if (first !== undefined) {
    options.NetworkingConfig = { EndpointsConfig: { [first.network.name]: toEndpointSettings(first) } };
    // API 1.41 has the MAC address on the container, for its first network.
    if (first.mac_address !== undefined) options.MacAddress = first.mac_address;
  }
  return { options, networkMode, networks, connect, warnings };
}
