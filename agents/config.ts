// `alicia agent` settings: a YAML file (config/agent.example.yaml) validated once with a
// strict schema, then command-line flags on top. Errors name the file and the field.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { HOST_NAMESPACES, type HostNamespace } from '../src/core/agent-plan/policy.js';
import { aliciaError } from '../src/core/errors.js';
import { FeatureSchema } from '../src/protocol/container-spec.js';
import { TopicIdSchema } from '../src/protocol/ids.js';
import type { AgentOptions } from './options.js';

const PathSchema = z.string().min(1, 'must not be empty');

export const AgentConfigFileSchema = z.strictObject({
  id: TopicIdSchema.optional(),
  broker: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  /** Prefer password_file: a password in a config file is easy to leak. */
  password: z.string().optional(),
  password_file: PathSchema.optional(),
  tls: z
    .strictObject({ ca: PathSchema.optional(), cert: PathSchema.optional(), key: PathSchema.optional() })
    .optional(),
  prefix: z.string().min(1).optional(),
  labels: z.record(z.string().min(1), z.string()).optional(),
  role: z.enum(['worker', 'manager']).optional(),
  hostname: z.string().min(1).optional(),
  address: z.string().min(1).optional(),
  /** The same as `address` (the flag's name: --advertise-address). */
  advertise_address: z.string().min(1).optional(),
  state_dir: PathSchema.optional(),
  heartbeat_ms: z.number().int().positive().optional(),
  /** false: no start probes on this host (each is a `docker exec`). */
  start_probe: z.boolean().optional(),
  /**
   * For tests and rolling upgrades: speak (and announce) only these ContainerSpec features,
   * as an older agent would; default all this version knows. An unknown name is an error.
   */
  protocol_features: z.array(FeatureSchema).optional(),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  command_secret_file: PathSchema.optional(),
  policy: z
    .strictObject({
      allow_privileged: z.boolean().optional(),
      allowed_host_paths: z.array(z.string().startsWith('/', 'must be an absolute path')).optional(),
      allowed_images: z.array(z.string().min(1)).optional(),
      /** Host devices containers may map (`/dev/ttyACM0`, `/dev/dri/*`); default none. */
      allowed_devices: z.array(z.string().startsWith('/dev/', 'must be a path under /dev/')).optional(),
      /** Host namespaces containers may share (network_mode/pid/ipc/uts/userns_mode/cgroup: host); default none. */
      allowed_host_namespaces: z.array(z.enum(HOST_NAMESPACES)).optional(),
    })
    .optional(),
});
export type AgentConfigFile = z.infer<typeof AgentConfigFileSchema>;

/** Flags of `alicia agent`, as commander hands them over. */
export interface AgentFlags {
  broker?: string;
  id?: string;
  labels?: string;
  stateDir?: string;
  config?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  heartbeatMs?: string;
  logLevel?: string;
  prefix?: string;
  role?: string;
  hostname?: string;
  address?: string;
  advertiseAddress?: string;
  allowPrivileged?: boolean;
  allowHostPath?: string[];
  allowHostNamespace?: string[];
  allowImage?: string[];
  commandSecretFile?: string;
  /** commander's negatable --no-start-probe: false when given, else true (its default). */
  startProbe?: boolean;
  metricsPort?: string;
  metricsHost?: string;
}

export interface ResolvedAgentConfig {
  options: Omit<AgentOptions, 'log' | 'runtime'>;
  logLevel: string;
}

function invalid(where: string, message: string): never {
  throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${where}: ${message}`);
}

/** Reads and validates a YAML config file; relative paths in it are resolved against its directory. */
export async function loadAgentConfigFile(file: string): Promise<AgentConfigFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return invalid(file, `cannot read the file (${(err as { code?: string }).code ?? String(err)})`);
  }
  // Lazy: only agents started with --config pay for the YAML parser.
  const { parse } = await import('yaml');
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    return invalid(file, `not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = AgentConfigFileSchema.safeParse(raw);
  if (!parsed.success) return invalid(file, z.prettifyError(parsed.error).replaceAll('\n', '; '));
  const base = dirname(resolve(file));
  const at = (path: string | undefined) => (path === undefined || isAbsolute(path) ? path : join(base, path));
  const config = parsed.data;
  return {
    ...config,
    ...(config.password_file !== undefined ? { password_file: at(config.password_file) } : {}),
    ...(config.state_dir !== undefined ? { state_dir: at(config.state_dir) } : {}),
    ...(config.command_secret_file !== undefined
      ? { command_secret_file: at(config.command_secret_file) }
      : {}),
    ...(config.tls !== undefined
      ? {
          tls: {
            ...(config.tls.ca !== undefined ? { ca: at(config.tls.ca) } : {}),
            ...(config.tls.cert !== undefined ? { cert: at(config.tls.cert) } : {}),
            ...(config.tls.key !== undefined ? { key: at(config.tls.key) } : {}),
          },
        }
      : {}),
  };
}

/** `zone=garage,disk=ssd` -> { zone: 'garage', disk: 'ssd' } */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of text.split(',')) {
    const pair = item.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) invalid('--labels', `"${pair}" is not key=value (write --labels zone=garage,disk=ssd)`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

async function readSecret(where: string, file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    return invalid(where, `cannot read ${file} (${(err as { code?: string }).code ?? String(err)})`);
  }
}

/** Flags over file over defaults; reads password and secret files. */
export async function resolveAgentConfig(
  flags: AgentFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ResolvedAgentConfig> {
  const file: AgentConfigFile = flags.config !== undefined ? await loadAgentConfigFile(flags.config) : {};
  const source = flags.config ?? 'command line';
  const id = flags.id ?? file.id;
  if (id === undefined) invalid(source, 'the agent id is required (--id or id:)');
  if (!TopicIdSchema.safeParse(id).success) {
    invalid(
      flags.id !== undefined ? '--id' : `${source}: id`,
      `${JSON.stringify(id)} may hold only letters, digits, "_", "." and "-"`,
    );
  }
  const broker = flags.broker ?? file.broker;
  if (broker === undefined) invalid(source, 'the broker URL is required (--broker or broker:)');
  if (!/^(mqtts?|wss?|tcp|ssl):\/\/./.test(broker)) {
    invalid(
      flags.broker !== undefined ? '--broker' : `${source}: broker`,
      `${JSON.stringify(broker)} is not an mqtt://, mqtts://, ws:// or wss:// URL`,
    );
  }

  if (flags.password !== undefined && flags.passwordFile !== undefined) {
    invalid('--password', 'give either --password or --password-file, not both');
  }
  let password: string | undefined;
  if (flags.password !== undefined) password = flags.password;
  else if (flags.passwordFile !== undefined)
    password = await readSecret('--password-file', flags.passwordFile);
  else if (file.password_file !== undefined)
    password = await readSecret(`${source}: password_file`, file.password_file);
  else password = file.password ?? env.ALICIA_PASSWORD;
  const username = flags.username ?? file.username ?? env.ALICIA_USERNAME;

  let heartbeatMs = file.heartbeat_ms;
  if (flags.heartbeatMs !== undefined) {
    heartbeatMs = Number(flags.heartbeatMs);
    if (!Number.isInteger(heartbeatMs) || heartbeatMs <= 0)
      invalid('--heartbeat-ms', `"${flags.heartbeatMs}" is not a positive number of milliseconds`);
  }
  const role = flags.role ?? file.role;
  const advertised = flags.advertiseAddress ?? flags.address ?? file.advertise_address ?? file.address;
  if (role !== undefined && role !== 'worker' && role !== 'manager')
    invalid('--role', `"${role}" is not worker or manager`);
  const logLevel = flags.logLevel ?? file.log_level ?? env.ALICIA_LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    invalid('--log-level', `"${logLevel}" is not one of fatal, error, warn, info, debug, trace, silent`);
  }
  for (const path of flags.allowHostPath ?? []) {
    if (!path.startsWith('/')) invalid('--allow-host-path', `"${path}" must be an absolute path`);
  }
  const flagNamespaces: HostNamespace[] = (flags.allowHostNamespace ?? []).map((name) =>
    (HOST_NAMESPACES as readonly string[]).includes(name)
      ? (name as HostNamespace)
      : invalid('--allow-host-namespace', `"${name}" is not one of ${HOST_NAMESPACES.join(', ')}`),
  );

  const tls = {
    ...file.tls,
    ...(flags.tlsCa !== undefined ? { ca: flags.tlsCa } : {}),
    ...(flags.tlsCert !== undefined ? { cert: flags.tlsCert } : {}),
    ...(flags.tlsKey !== undefined ? { key: flags.tlsKey } : {}),
  };
  const secretFile = flags.commandSecretFile ?? file.command_secret_file;
  const commandSecret =
    secretFile !== undefined
      ? await readSecret(
          flags.commandSecretFile !== undefined ? '--command-secret-file' : `${source}: command_secret_file`,
          secretFile,
        )
      : undefined;
  const allowedImages = flags.allowImage?.length ? flags.allowImage : file.policy?.allowed_images;
  const home = env.ALICIA_HOME ?? join(os.homedir(), '.alicia');

  return {
    logLevel,
    options: {
      id,
      brokerUrl: broker,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
      ...((flags.prefix ?? file.prefix) !== undefined ? { prefix: flags.prefix ?? file.prefix } : {}),
      labels: { ...file.labels, ...(flags.labels !== undefined ? parseLabels(flags.labels) : {}) },
      ...(role !== undefined ? { role } : {}),
      ...((flags.hostname ?? file.hostname) !== undefined
        ? { hostname: flags.hostname ?? file.hostname }
        : {}),
      ...(advertised !== undefined ? { address: advertised } : {}),
      stateDir: flags.stateDir ?? file.state_dir ?? join(home, `agent-${id}`),
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      // The flag can only turn it off (commander defaults a --no-… option to true).
      ...(flags.startProbe === false || file.start_probe === false ? { startProbe: false } : {}),
      ...(file.protocol_features !== undefined ? { protocolFeatures: [...file.protocol_features] } : {}),
      ...(commandSecret !== undefined ? { commandSecret } : {}),
      policy: {
        allowPrivileged: flags.allowPrivileged === true || file.policy?.allow_privileged === true,
        allowedHostPaths: [...(file.policy?.allowed_host_paths ?? []), ...(flags.allowHostPath ?? [])],
        ...(allowedImages !== undefined ? { allowedImages } : {}),
        ...(file.policy?.allowed_devices !== undefined
          ? { allowedDevices: [...file.policy.allowed_devices] }
          : {}),
        // Always a list here: a networked agent refuses host namespaces unless told.
        allowedHostNamespaces: [
          ...new Set([...(file.policy?.allowed_host_namespaces ?? []), ...flagNamespaces]),
        ],
      },
    },
  };
}
