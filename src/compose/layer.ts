// One file's view of a service, after per-file normalization and before merging: every
// attribute in its expanded form (maps for environment/labels/depends_on, long-form ports
// and volumes, milliseconds), each optional because an override file sets only some.
import type { KeyPath } from './diagnostics.js';
import type {
  Backoff,
  Constraint,
  DependencyCondition,
  Healthcheck,
  Port,
  RestartPolicy,
  ServiceFile,
  StackNetwork,
  StackVolume,
  Volume,
} from './model.js';
import type { RuntimeOptions } from './runtime-keys.js';

/** Where a value was written, so errors found after merging still name the file. */
export interface Origin {
  file: string;
  path: KeyPath;
}

export interface DependencyLayer {
  condition?: DependencyCondition;
  required?: boolean;
  restart?: boolean;
  origin: Origin;
}

export interface HealthcheckLayer {
  test?: Healthcheck['test'];
  interval_ms?: number;
  timeout_ms?: number;
  start_period_ms?: number;
  start_interval_ms?: number;
  retries?: number;
  disable?: boolean;
}

export interface ResourcesLayer {
  cpus?: number;
  memory_bytes?: number;
  pids?: number;
}

export interface VolumeLayer {
  volume: Volume;
  /** The named volume this mount uses, which must be declared under top-level `volumes`. */
  named?: string;
  origin: Origin;
}

export interface HttpProbeLayer {
  url?: string;
  interval_ms?: number;
  timeout_ms?: number;
  expect_status?: number[];
  degraded_after_ms?: number;
  start_period_ms?: number;
}

export interface TcpProbeLayer {
  host?: string;
  port?: number;
  interval_ms?: number;
  timeout_ms?: number;
  start_period_ms?: number;
}

export interface ServiceXAliciaLayer {
  hosts?: string[];
  probe?: { http?: HttpProbeLayer; tcp?: TcpProbeLayer };
  backoff?: Partial<Backoff>;
  unhealthy_threshold?: number;
  start_probe?: boolean;
  priority?: number;
  category?: string;
  movable?: boolean;
}

export interface StackXAliciaLayer {
  backoff?: Partial<Backoff>;
  startup_timeout_ms?: number;
}

export interface ServiceLayer {
  image?: string;
  build?: boolean;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | null>;
  /** Variables read from `env_file`: lower precedence than `environment`. */
  env_file?: Record<string, string | null>;
  ports?: Port[];
  volumes?: VolumeLayer[];
  depends_on?: Record<string, DependencyLayer>;
  healthcheck?: HealthcheckLayer;
  restart?: RestartPolicy;
  /** `deploy.restart_policy` translated; used when `restart` is not set. */
  deploy_restart?: RestartPolicy;
  replicas?: number;
  scale?: number;
  constraints?: Constraint[];
  limits?: ResourcesLayer;
  reservations?: ResourcesLayer;
  /** Pre-deploy spellings of limits; each must agree with deploy.resources. */
  cpus?: number;
  mem_limit?: number;
  pids_limit?: number;
  mem_reservation?: number;
  stop_grace_period_ms?: number;
  stop_signal?: string;
  labels?: Record<string, string>;
  network_mode?: string;
  networks?: Record<string, ServiceNetworkLayer>;
  /** `links` entries as (service, alias). */
  links?: { service: string; alias: string }[];
  /** The runtime keys (devices, dns, sysctls, …) in Docker's terms. */
  runtime?: RuntimeOptions;
  /** Compose profiles: the service runs only when one of them is active. */
  profiles?: string[];
  /** Labels read from `label_file` (lower precedence than `labels`). */
  label_file?: Record<string, string>;
  secrets?: ServiceFileLayer[];
  configs?: ServiceFileLayer[];
  user?: string;
  working_dir?: string;
  hostname?: string;
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  x_alicia?: ServiceXAliciaLayer;
}

export type ServiceKey = keyof ServiceLayer;

export interface ServiceNetworkLayer {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  priority?: number;
  origin: Origin;
}

export interface ServiceFileLayer {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
  origin: Origin;
}

/** A top-level secret or config: where its content comes from. */
export interface FileSourceLayer {
  /** base64 content, already read (file, environment or content). */
  content_base64?: string;
  from?: ServiceFile['from'];
  /** external: Swarm's; refused. */
  origin: Origin;
}

export interface MergedService {
  layer: ServiceLayer;
  /** The file and path that last set each attribute. */
  origins: Partial<Record<ServiceKey, Origin>>;
}

/** One file, normalized. */
export interface FileLayer {
  file: string;
  name?: string;
  services: Record<string, { layer: ServiceLayer; origins: Partial<Record<ServiceKey, Origin>> }>;
  /** Attributes tagged `!reset` / `!override` per service. */
  tags: Record<string, Partial<Record<ServiceKey, 'reset' | 'override'>>>;
  /** Named volumes declared under top-level `volumes`. */
  volumes: string[];
  /** Settings of the named volumes declared with any. */
  volume_defs: Record<string, StackVolume>;
  /** Top-level networks declared in this file. */
  networks: Record<string, StackNetworkLayer>;
  secrets: Record<string, FileSourceLayer>;
  configs: Record<string, FileSourceLayer>;
  x_alicia?: StackXAliciaLayer;
}

export type StackNetworkLayer = StackNetwork & { origin: Origin };
