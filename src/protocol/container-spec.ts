// The container an agent is asked to run, in Docker's terms: what `docker create` needs,
// plus the agent's own healing settings. It belongs to the protocol, not to the Compose
// model: the compile step (compile.ts, next to the Compose loader) turns a Compose service into one of these per instance, and
// agents never see Compose names. Durations are integer milliseconds (`_ms`), sizes bytes.
//
// Growing it: a new capability (devices, networks and aliases, extra_hosts, secret files,
// dns, sysctls, ulimits, tmpfs, logging, …) is a new *optional top-level field* and a new
// FEATURE of the same name (see features below), so an older agent is never sent a field it
// does not know: the orchestrator only places a spec on agents that announce every feature
// it uses (`requiredFeatures`), and an agent that still receives one answers
// ALICIA_ERR_UNSUPPORTED naming the field (`unsupportedFields`).
import { z } from 'zod';

/** A healthcheck test: `['CMD', exe, ...args]`, `['CMD-SHELL', script]` or `['NONE']` (disabled). */
export const HealthTestSchema = z.union([
  z.tuple([z.literal('CMD'), z.string()], z.string()),
  z.tuple([z.literal('CMD-SHELL'), z.string()]),
  z.tuple([z.literal('NONE')]),
]);
export type HealthTest = z.infer<typeof HealthTestSchema>;
/** A healthcheck test that runs something (not `['NONE']`). */
export type ProbeTest = Exclude<HealthTest, ['NONE']>;

/** Docker's HealthConfig; a disabled healthcheck is `test: ['NONE']`. */
export const ContainerHealthcheckSchema = z.strictObject({
  test: HealthTestSchema,
  interval_ms: z.number().int().positive().optional(),
  timeout_ms: z.number().int().positive().optional(),
  start_period_ms: z.number().int().nonnegative().optional(),
  start_interval_ms: z.number().int().positive().optional(),
  retries: z.number().int().positive().optional(),
});
export type ContainerHealthcheck = z.infer<typeof ContainerHealthcheckSchema>;

/** Docker's RestartPolicy. */
export const ContainerRestartSchema = z.strictObject({
  name: z.enum(['no', 'always', 'unless-stopped', 'on-failure']),
  /** With on-failure: retries before Docker gives up; 0 = no limit. */
  max_retries: z.number().int().nonnegative().optional(),
});
export type ContainerRestart = z.infer<typeof ContainerRestartSchema>;

/** One exposed container port and, when `host_port` is set, its binding on the host. */
export const PortBindingSchema = z.strictObject({
  container_port: z.number().int().min(1).max(65535),
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  /** A port or a range (`8000-8010`); empty: a free port the engine picks; absent: exposed only. */
  host_port: z
    .string()
    .regex(/^(\d+(-\d+)?)?$/)
    .optional(),
  host_ip: z.string().optional(),
});
export type PortBinding = z.infer<typeof PortBindingSchema>;

/** A mount: a host path (bind), a Docker volume by its engine name, or a tmpfs. */
export const MountSchema = z.strictObject({
  type: z.enum(['bind', 'volume', 'tmpfs']),
  /** bind: absolute host path; volume: the engine's volume name (absent = anonymous). */
  source: z.string().optional(),
  target: z.string().min(1),
  read_only: z.boolean(),
});
export type Mount = z.infer<typeof MountSchema>;

/** Options of one mount beyond type/source/target/read_only (the `mount_options` feature). */
export const MountOptionsSchema = z.strictObject({
  propagation: z.enum(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']).optional(),
  selinux: z.enum(['z', 'Z']).optional(),
  nocopy: z.boolean().optional(),
  subpath: z.string().optional(),
  tmpfs_size_bytes: z.number().int().positive().optional(),
  tmpfs_mode: z.number().int().min(0).max(0o7777).optional(),
});
export type MountOptions = z.infer<typeof MountOptionsSchema>;

/** A named volume the agent makes before the container (Compose's top-level `volumes`). */
export const VolumeDefinitionSchema = z.strictObject({
  /** The engine's name: `<stack>_<key>`, the `name:` given, or the key when external. */
  name: z.string().min(1),
  key: z.string().min(1),
  external: z.boolean(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type VolumeDefinition = z.infer<typeof VolumeDefinitionSchema>;

/** HostConfig resources. */
export const ContainerResourcesSchema = z.strictObject({
  /** CPUs, fractional (0.5 = half a core): Docker's NanoCpus / 1e9. */
  cpus: z.number().positive().optional(),
  memory_bytes: z.number().int().positive().optional(),
  memory_reservation_bytes: z.number().int().positive().optional(),
  pids_limit: z.number().int().positive().optional(),
});
export type ContainerResources = z.infer<typeof ContainerResourcesSchema>;

/** The agent's restart backoff for unhealthy or dead containers. */
export const BackoffSchema = z.strictObject({
  /** First restart delay. */
  min_ms: z.number().int().nonnegative(),
  /** Ceiling of the exponential delay. */
  max_ms: z.number().int().positive(),
  /** Healthy this long → the attempt counter resets. */
  reset_after_ms: z.number().int().positive(),
  /** Restarts before the instance is left stopped and reported failed. */
  max_attempts: z.number().int().positive(),
});
export type Backoff = z.infer<typeof BackoffSchema>;

export const DEFAULT_BACKOFF: Backoff = Object.freeze({
  min_ms: 1_000,
  max_ms: 60_000,
  reset_after_ms: 300_000,
  max_attempts: 5,
});

/** How the agent heals the container locally. */
export const HealingSchema = z.strictObject({ backoff: BackoffSchema });
export type Healing = z.infer<typeof HealingSchema>;

/** The agent's own probing of the container (beyond Docker's healthcheck). */
export const ProbeSettingsSchema = z.strictObject({
  /**
   * The start probe: while Docker has no health verdict yet, the agent runs the healthcheck
   * test itself so dependents start as soon as it first passes. false: leave it to Docker.
   */
  start: z.boolean(),
});
export type ProbeSettings = z.infer<typeof ProbeSettingsSchema>;

const NetProbeTiming = {
  interval_ms: z.number().int().positive(),
  timeout_ms: z.number().int().positive(),
  /** An answer slower than this (ms) reads degraded; absent: never. */
  degraded_after_ms: z.number().int().positive().optional(),
  /** Failures in a row that make the container unhealthy (and healed like a Docker-unhealthy one). */
  unhealthy_threshold: z.number().int().positive(),
  /**
   * Failures before a run's first pass count only after this long (ms), as Docker's
   * start_period; absent: the agent's default (30 s).
   */
  start_period_ms: z.number().int().nonnegative().optional(),
};

/**
 * The agent's own HTTP or TCP probe of the container (Compose `x-alicia.probe`), run from
 * the agent's host with a socket (no `docker exec`): the URL or host:port must be reachable
 * from there (a published port, or network_mode host).
 */
export const HealthProbeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('http'),
    url: z.string().url(),
    /** Accepted status codes; absent: 200–399. */
    expect_status: z.array(z.number().int().min(100).max(599)).optional(),
    ...NetProbeTiming,
  }),
  z.strictObject({
    kind: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    ...NetProbeTiming,
  }),
]);
export type HealthProbe = z.infer<typeof HealthProbeSchema>;

/** IPAM of a network: Docker's IPAM (driver, pools, options). */
export const NetworkIpamSchema = z.strictObject({
  driver: z.string().optional(),
  config: z.array(
    z.strictObject({
      subnet: z.string().optional(),
      ip_range: z.string().optional(),
      gateway: z.string().optional(),
      aux_addresses: z.record(z.string(), z.string()).optional(),
    }),
  ),
  options: z.record(z.string(), z.string()).optional(),
});
export type NetworkIpam = z.infer<typeof NetworkIpamSchema>;

/**
 * A network as the agent makes it on its host, in Docker's terms. `external`: the agent
 * never creates nor removes it, and refuses to start a container when it is missing.
 */
export const NetworkDefinitionSchema = z.strictObject({
  /** The engine's name: `<stack>_<key>` as Compose names it, or the `name:` given. */
  name: z.string().min(1),
  /** The key under the Compose file's `networks:` (Compose's `com.docker.compose.network` label). */
  key: z.string().min(1),
  external: z.boolean(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.string()).optional(),
  ipam: NetworkIpamSchema.optional(),
  internal: z.boolean().optional(),
  attachable: z.boolean().optional(),
  enable_ipv6: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type NetworkDefinition = z.infer<typeof NetworkDefinitionSchema>;

/** One network the container joins, with its endpoint settings. */
export const NetworkAttachmentSchema = z.strictObject({
  network: NetworkDefinitionSchema,
  /** DNS names of the container on that network (the service name first, as Compose). */
  aliases: z.array(z.string()),
  ipv4_address: z.string().optional(),
  ipv6_address: z.string().optional(),
  link_local_ips: z.array(z.string()).optional(),
  mac_address: z.string().optional(),
  /** Compose's priority: the highest is joined first (it becomes the container's NetworkMode). */
  priority: z.number().int().optional(),
});
export type NetworkAttachment = z.infer<typeof NetworkAttachmentSchema>;

/**
 * A file the agent writes under its state dir and bind-mounts read-only: a Compose secret or
 * config. `content` travels only on the agent's own action topic and is never logged.
 */
export const ContainerFileSchema = z.strictObject({
  kind: z.enum(['secret', 'config']),
  /** The key under the Compose file's top-level `secrets:` / `configs:`. */
  name: z.string().min(1),
  /** Absolute path in the container. */
  target: z.string().startsWith('/'),
  /** base64: secrets may be binary. */
  content_base64: z.string(),
  uid: z.string().optional(),
  gid: z.string().optional(),
  /** File mode (Compose's default 0444). */
  mode: z.number().int().min(0).max(0o7777),
});
export type ContainerFile = z.infer<typeof ContainerFileSchema>;

/** A device mapped into the container (Docker's DeviceMapping). */
export const DeviceMappingSchema = z.strictObject({
  path_on_host: z.string().min(1),
  path_in_container: z.string().min(1),
  /** r, w, m in any combination. */
  cgroup_permissions: z.string().regex(/^[rwm]{1,3}$/),
});
export type DeviceMapping = z.infer<typeof DeviceMappingSchema>;

/** Docker's DeviceRequest (GPUs: `gpus:` and deploy.resources.reservations.devices). */
export const DeviceRequestSchema = z.strictObject({
  driver: z.string().optional(),
  /** -1: all devices. */
  count: z.number().int().optional(),
  device_ids: z.array(z.string()).optional(),
  capabilities: z.array(z.array(z.string())),
  options: z.record(z.string(), z.string()).optional(),
});
export type DeviceRequest = z.infer<typeof DeviceRequestSchema>;

export const UlimitSchema = z.strictObject({
  name: z.string().min(1),
  soft: z.number().int(),
  hard: z.number().int(),
});
export type Ulimit = z.infer<typeof UlimitSchema>;

/**
 * The runtime keys of a Compose service in Docker's terms (HostConfig and Config fields),
 * one optional field and one feature each. The Compose model reuses this shape.
 */
export const RUNTIME_SHAPE = {
  devices: z.array(DeviceMappingSchema).optional(),
  device_cgroup_rules: z.array(z.string()).optional(),
  device_requests: z.array(DeviceRequestSchema).optional(),
  group_add: z.array(z.string()).optional(),
  /** `host:ip` entries; `host-gateway` as the ip is resolved by the engine. */
  extra_hosts: z.array(z.string()).optional(),
  dns: z.array(z.string()).optional(),
  dns_search: z.array(z.string()).optional(),
  dns_opt: z.array(z.string()).optional(),
  sysctls: z.record(z.string(), z.string()).optional(),
  ulimits: z.array(UlimitSchema).optional(),
  shm_size_bytes: z.number().int().nonnegative().optional(),
  init: z.boolean().optional(),
  tty: z.boolean().optional(),
  stdin_open: z.boolean().optional(),
  pid_mode: z.string().optional(),
  ipc_mode: z.string().optional(),
  uts_mode: z.string().optional(),
  cgroupns_mode: z.enum(['host', 'private']).optional(),
  security_opt: z.array(z.string()).optional(),
  read_only: z.boolean().optional(),
  /** Mount path → tmpfs options (`size=64m,mode=1777`). */
  tmpfs: z.record(z.string(), z.string()).optional(),
  oom_score_adj: z.number().int().min(-1000).max(1000).optional(),
  oom_kill_disable: z.boolean().optional(),
  log_config: z.strictObject({ driver: z.string(), options: z.record(z.string(), z.string()) }).optional(),
  domainname: z.string().optional(),
  mac_address: z.string().optional(),
  cgroup_parent: z.string().optional(),
  userns_mode: z.string().optional(),
  runtime: z.string().optional(),
  isolation: z.string().optional(),
  storage_opt: z.record(z.string(), z.string()).optional(),
  cpu_shares: z.number().int().nonnegative().optional(),
  cpu_period_us: z.number().int().nonnegative().optional(),
  cpu_quota_us: z.number().int().optional(),
  cpu_rt_period_us: z.number().int().nonnegative().optional(),
  cpu_rt_runtime_us: z.number().int().optional(),
  cpuset_cpus: z.string().optional(),
  cpuset_mems: z.string().optional(),
  cpu_count: z.number().int().nonnegative().optional(),
  cpu_percent: z.number().int().min(0).max(100).optional(),
  /** -1: unlimited swap. */
  memswap_limit_bytes: z.number().int().min(-1).optional(),
  mem_swappiness: z.number().int().min(-1).max(100).optional(),
  blkio_weight: z.number().int().min(0).max(1000).optional(),
  /**
   * When the agent pulls the image: `missing` (the default: only when absent), `always`
   * (before every create), `never` (a missing image is an error naming the host).
   */
  pull_policy: z.enum(['always', 'never', 'missing']).optional(),
  /** Docker's `platform` of the create call (`linux/arm64`); placement also matches the arch. */
  platform: z.string().min(1).optional(),
  /**
   * Compose `volumes_from`: another service of the same stack (its container on this host,
   * co-placed by the orchestrator) or a container by name; Docker's VolumesFrom.
   */
  volumes_from: z
    .array(
      z.strictObject({
        service: z.string().min(1).optional(),
        container: z.string().min(1).optional(),
        read_only: z.boolean(),
      }),
    )
    .optional(),
  /** Compose `external_links`: `container:alias` legacy links to containers outside the stack. */
  external_links: z.array(z.string().min(1)).optional(),
} as const;

/** Fields every protocol-1 agent speaks. */
const BASE_SHAPE = {
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  /** Resolved environment; null: taken from the agent host's environment if set there (Compose `- FOO`). */
  env: z.record(z.string(), z.string().nullable()),
  user: z.string().optional(),
  working_dir: z.string().optional(),
  hostname: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  ports: z.array(PortBindingSchema),
  mounts: z.array(MountSchema),
  restart: ContainerRestartSchema,
  stop_signal: z.string().optional(),
  /** Rounded up to whole seconds for Docker's StopTimeout. */
  stop_grace_period_ms: z.number().int().nonnegative().optional(),
  privileged: z.boolean(),
  cap_add: z.array(z.string()),
  cap_drop: z.array(z.string()),
  /** Absent: the agent's default network mode. */
  network_mode: z.string().optional(),
  healing: HealingSchema,
} as const;

/**
 * Optional fields beyond the base set; each is a protocol feature of the same name. An agent
 * announces the features it speaks in its `info`; one that announces none speaks the base set.
 *
 * The rule: the base set is what running a process needs (`docker run` with its process,
 * mount, port, restart and privilege settings) plus the agent's own healing; a feature is a
 * capability the agent adds on top, which an older agent (or one pinned for a rolling
 * upgrade) may lack. A spec sets a feature field only when it uses it, so a plain service
 * needs no feature and runs on any protocol-1 agent. Every field added from now on (devices,
 * networks, extra_hosts, secrets, dns, sysctls, ulimits, tmpfs, logging, …) is a feature.
 */
const FEATURE_SHAPE = {
  healthcheck: ContainerHealthcheckSchema.optional(),
  resources: ContainerResourcesSchema.optional(),
  probe: ProbeSettingsSchema.optional(),
  /** The agent's own HTTP/TCP probe; its verdict is the container's health alongside Docker's. */
  health_probe: HealthProbeSchema.optional(),
  /**
   * The networks the container joins (Compose's per-stack networks); with it, network_mode is
   * absent. A spec with neither gets the agent's default (host, for hand-made specs).
   */
  networks: z.array(NetworkAttachmentSchema).min(1).optional(),
  /** Secret and config files mounted read-only. */
  files: z.array(ContainerFileSchema).optional(),
  /** Named volumes with a driver, options, a name or external: made (or checked) before create. */
  volumes: z.array(VolumeDefinitionSchema).optional(),
  /** Options of the mounts with the same target (absent: none). */
  mount_options: z.array(MountOptionsSchema.extend({ target: z.string().min(1) })).optional(),
  ...RUNTIME_SHAPE,
} as const;

export const ContainerSpecSchema = z.strictObject({ ...BASE_SHAPE, ...FEATURE_SHAPE });
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;

export type Feature = keyof typeof FEATURE_SHAPE;
/** Every feature this version of the protocol knows, in a stable order. */
export const FEATURES: readonly Feature[] = Object.freeze(Object.keys(FEATURE_SHAPE).sort() as Feature[]);
export const FeatureSchema = z.enum(Object.keys(FEATURE_SHAPE) as [Feature, ...Feature[]]);

/** Every top-level field of the spec this version knows (base and features). */
export const SPEC_FIELDS: readonly string[] = Object.freeze(
  [...Object.keys(BASE_SHAPE), ...Object.keys(FEATURE_SHAPE)].sort(),
);

export function isFeature(name: string): name is Feature {
  return Object.hasOwn(FEATURE_SHAPE, name);
}

/** The features a spec uses: the feature fields it sets. Pure; sorted. */
export function requiredFeatures(spec: ContainerSpec): Feature[] {
  return FEATURES.filter((feature) => spec[feature] !== undefined);
}

/** The features of `required` that `spoken` lacks; `spoken` undefined = the base set only. */
export function missingFeatures(
  required: readonly string[],
  spoken: readonly string[] | undefined,
): string[] {
  return required.filter((feature) => !(spoken ?? []).includes(feature));
}

/**
 * Top-level fields of a raw (unparsed) spec that an agent speaking `spoken` must refuse:
 * fields this version does not know at all, and feature fields outside `spoken`. Looked at
 * before the schema, so the answer names the field instead of a generic schema error.
 */
export function unsupportedFields(rawSpec: unknown, spoken: readonly string[]): string[] {
  if (rawSpec === null || typeof rawSpec !== 'object' || Array.isArray(rawSpec)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(rawSpec)) {
    if (value === undefined) continue;
    if (!SPEC_FIELDS.includes(key)) out.push(key);
    else if (isFeature(key) && !spoken.includes(key)) out.push(key);
  }
  return out.sort();
}
