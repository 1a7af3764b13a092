// The normalized, validated Stack: what a Compose file means once loaded.
// The CLI and the orchestrator speak this model; agents never see it: src/compose/compile.ts
// turns each service into the protocol's ContainerSpec (src/protocol/container-spec.ts).
// Durations are integers in milliseconds (`_ms`), sizes in bytes (`_bytes`).
import { z } from 'zod';
import {
  BackoffSchema,
  DEFAULT_BACKOFF,
  HealthTestSchema,
  MountOptionsSchema,
  NetworkIpamSchema,
  RUNTIME_SHAPE,
} from '../protocol/container-spec.js';
import { NameSchema } from '../protocol/ids.js';

export type { Backoff } from '../protocol/container-spec.js';
// One definition each: the agent's backoff and the healthcheck test forms are the protocol's.
export { BackoffSchema, DEFAULT_BACKOFF, NameSchema };

export const DependencyConditionSchema = z.enum([
  'service_started',
  'service_healthy',
  'service_completed_successfully',
]);
export type DependencyCondition = z.infer<typeof DependencyConditionSchema>;

export const DependencySchema = z.strictObject({
  condition: DependencyConditionSchema,
  /** false: the dependency may be absent from the stack (Compose `required: false`). */
  required: z.boolean(),
  /** Compose `restart: true`: restart this service when the dependency is updated. */
  restart: z.boolean(),
});
export type Dependency = z.infer<typeof DependencySchema>;

/** Docker's own healthcheck, with Compose's `test` forms made explicit. */
export const HealthcheckSchema = z.strictObject({
  /** ['CMD', exe, ...args] | ['CMD-SHELL', script] | ['NONE'] */
  test: HealthTestSchema,
  interval_ms: z.number().int().positive().optional(),
  timeout_ms: z.number().int().positive().optional(),
  start_period_ms: z.number().int().nonnegative().optional(),
  start_interval_ms: z.number().int().positive().optional(),
  retries: z.number().int().positive().optional(),
  disable: z.boolean(),
});
export type Healthcheck = z.infer<typeof HealthcheckSchema>;

export const RestartPolicySchema = z.union([
  z.literal('no'),
  z.literal('always'),
  z.literal('unless-stopped'),
  z.literal('on-failure'),
  z.string().regex(/^on-failure:\d+$/, 'must be no, always, unless-stopped, on-failure or on-failure:N'),
]);
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

/** Ports in Compose's long form. */
export const PortSchema = z.strictObject({
  target: z.number().int().min(1).max(65535),
  published: z
    .string()
    .regex(/^\d+(-\d+)?$/)
    .optional(),
  host_ip: z.string().optional(),
  protocol: z.enum(['tcp', 'udp', 'sctp']),
  mode: z.enum(['ingress', 'host']),
  /**
   * A `ports` entry without a host port (`"8080"`): Compose publishes it on a free host port
   * the engine picks (`docker run -p 8080`); an `expose` entry has no such flag.
   */
  ephemeral: z.literal(true).optional(),
});
export type Port = z.infer<typeof PortSchema>;

/** Volumes in Compose's long form. */
export const VolumeSchema = z.strictObject({
  type: z.enum(['bind', 'volume', 'tmpfs']),
  source: z.string().optional(),
  target: z.string().min(1),
  read_only: z.boolean(),
  /** Mount options (bind propagation, SELinux label, volume nocopy/subpath, tmpfs size/mode). */
  options: MountOptionsSchema.optional(),
});
export type Volume = z.infer<typeof VolumeSchema>;

/** Swarm placement constraint: `node.labels.zone == garage`. */
export const ConstraintSchema = z.strictObject({
  /** node.hostname | node.role | node.id | node.platform.arch | node.platform.os | node.labels.<key> */
  field: z.string().regex(/^node\.(hostname|role|id|platform\.(arch|os)|labels\.[^\s=!]+)$/),
  op: z.enum(['==', '!=']),
  value: z.string(),
});
export type Constraint = z.infer<typeof ConstraintSchema>;

export const ResourcesSchema = z.strictObject({
  /** CPUs, fractional (0.5 = half a core). */
  cpus: z.number().positive().optional(),
  memory_bytes: z.number().int().positive().optional(),
  pids: z.number().int().positive().optional(),
});
export type Resources = z.infer<typeof ResourcesSchema>;

export const HttpProbeSchema = z.strictObject({
  /** Full URL (loopback or host-reachable), e.g. http://127.0.0.1:8080/healthz */
  url: z.string().url(),
  interval_ms: z.number().int().positive(),
  timeout_ms: z.number().int().positive(),
  /** Accepted status codes; default 200–399. */
  expect_status: z.array(z.number().int().min(100).max(599)).optional(),
  /** A reply slower than this marks the instance degraded. */
  degraded_after_ms: z.number().int().positive().optional(),
  /** Failures before the first pass count only after this (Compose healthcheck's start_period). */
  start_period_ms: z.number().int().nonnegative().optional(),
});
export const TcpProbeSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  interval_ms: z.number().int().positive(),
  timeout_ms: z.number().int().positive(),
  start_period_ms: z.number().int().nonnegative().optional(),
});

/** Alicia's own per-service settings (`x-alicia` under a service). */
export const ServiceXAliciaSchema = z.strictObject({
  /** Run only on these agent ids / host names. */
  hosts: z.array(z.string().min(1)).optional(),
  probe: z
    .strictObject({
      http: HttpProbeSchema.optional(),
      tcp: TcpProbeSchema.optional(),
    })
    .optional(),
  backoff: BackoffSchema,
  unhealthy_threshold: z.number().int().positive().optional(),
  /**
   * false: the agent leaves health to Docker's own probes. Default (absent): while Docker has
   * no verdict yet, the agent runs the healthcheck test itself (src/core/healing/start-probe.ts),
   * so dependents start as soon as the test first passes.
   */
  start_probe: z.boolean().optional(),
  priority: z.number().int().optional(),
  category: z.string().optional(),
  /**
   * true: the service may move to another host when its host is lost even though it has
   * volumes, bind mounts or devices (its data may be lost, or lives elsewhere: NFS). Absent:
   * such a service stays with its host (docs/hosts.md).
   */
  movable: z.boolean().optional(),
});
export type ServiceXAlicia = z.infer<typeof ServiceXAliciaSchema>;

/** A top-level network of the stack; `name` is the engine's (`<stack>_<key>` unless given). */
export const StackNetworkSchema = z.strictObject({
  name: z.string().optional(),
  external: z.boolean(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.string()).optional(),
  ipam: NetworkIpamSchema.optional(),
  internal: z.boolean().optional(),
  attachable: z.boolean().optional(),
  enable_ipv6: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type StackNetwork = z.infer<typeof StackNetworkSchema>;

/** A top-level named volume with settings (one declared `{}` needs none). */
export const StackVolumeSchema = z.strictObject({
  name: z.string().optional(),
  external: z.boolean(),
  driver: z.string().optional(),
  driver_opts: z.record(z.string(), z.string()).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});
export type StackVolume = z.infer<typeof StackVolumeSchema>;

/** A service's place on one network of the stack (Compose's per-service `networks` entry). */
export const ServiceNetworkSchema = z.strictObject({
  /** The network's top-level settings, copied in so a service compiles on its own. */
  definition: StackNetworkSchema,
  aliases: z.array(z.string()),
  ipv4_address: z.string().optional(),
  ipv6_address: z.string().optional(),
  link_local_ips: z.array(z.string()).optional(),
  mac_address: z.string().optional(),
  priority: z.number().int().optional(),
});
export type ServiceNetwork = z.infer<typeof ServiceNetworkSchema>;

/** A service's use of a secret or config (long form made explicit). */
export const ServiceFileSchema = z.strictObject({
  source: z.string().min(1),
  target: z.string().startsWith('/'),
  /** base64 of the content (file, environment variable or inline `content:`). */
  content_base64: z.string(),
  /** Where the content came from, so `alicia config` names it instead of printing it. */
  from: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('file'), path: z.string() }),
    z.strictObject({ kind: z.literal('environment'), variable: z.string() }),
    z.strictObject({ kind: z.literal('content') }),
  ]),
  uid: z.string().optional(),
  gid: z.string().optional(),
  mode: z.number().int().min(0).max(0o7777),
});
export type ServiceFile = z.infer<typeof ServiceFileSchema>;

export const ServiceSpecSchema = z.strictObject({
  name: NameSchema,
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  entrypoint: z.array(z.string()).optional(),
  /** null: passed through from the environment of the host if set there (Compose `- FOO`). */
  environment: z.record(z.string(), z.string().nullable()),
  ports: z.array(PortSchema),
  volumes: z.array(VolumeSchema),
  depends_on: z.record(z.string(), DependencySchema),
  healthcheck: HealthcheckSchema.optional(),
  restart: RestartPolicySchema,
  replicas: z.number().int().nonnegative(),
  constraints: z.array(ConstraintSchema),
  limits: ResourcesSchema.optional(),
  reservations: ResourcesSchema.optional(),
  stop_grace_period_ms: z.number().int().nonnegative().optional(),
  stop_signal: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  network_mode: z.string().optional(),
  /** Absent with network_mode; otherwise the networks joined (`default` when the file names none). */
  networks: z.record(z.string(), ServiceNetworkSchema).optional(),
  secrets: z.array(ServiceFileSchema).optional(),
  configs: z.array(ServiceFileSchema).optional(),
  /** Settings of the named volumes it mounts that have any (copied in to compile on its own). */
  named_volumes: z.record(z.string(), StackVolumeSchema).optional(),
  /** The runtime keys (devices, dns, sysctls, ulimits, …) in Docker's terms. */
  runtime: z.strictObject(RUNTIME_SHAPE).optional(),
  user: z.string().optional(),
  working_dir: z.string().optional(),
  hostname: z.string().optional(),
  privileged: z.boolean(),
  cap_add: z.array(z.string()),
  cap_drop: z.array(z.string()),
  x_alicia: ServiceXAliciaSchema,
});
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;

/** Alicia's stack-wide settings (top-level `x-alicia`). */
export const StackXAliciaSchema = z.strictObject({
  /** Default backoff for services that give none. */
  backoff: BackoffSchema.optional(),
  startup_timeout_ms: z.number().int().positive().optional(),
});

export const WarningSchema = z.strictObject({
  file: z.string(),
  /** Dotted path of the key, e.g. services.api.networks */
  path: z.string(),
  message: z.string(),
});
export type StackWarning = z.infer<typeof WarningSchema>;

export const StackSchema = z.strictObject({
  /** Compose project name. */
  name: NameSchema,
  services: z.record(NameSchema, ServiceSpecSchema),
  /** The networks services join (only those used, `default` included when used). */
  networks: z.record(z.string(), StackNetworkSchema).optional(),
  x_alicia: StackXAliciaSchema,
  warnings: z.array(WarningSchema),
});
export type Stack = z.infer<typeof StackSchema>;
