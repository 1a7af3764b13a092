// The broker's config file (config/broker.example.yaml) and command-line flags, validated
// with one zod schema: errors name the file (or "flags") and the field. Relative paths in a
// file are relative to that file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { aliciaError } from '../src/core/errors.js';
import type { Logger } from '../src/logging/logger.js';
import { createTopics } from '../src/protocol/topics.js';
import type { EmbeddedBrokerOptions } from './embedded.js';
import { loadUsersFile } from './users-file.js';

const Port = z.number().int().min(0).max(65_535);
const Host = z.string().min(1);

export const BrokerConfigSchema = z.strictObject({
  host: Host.optional(),
  port: Port.optional(),
  /** Topic prefix the ACLs guard. */
  prefix: z.string().min(1).optional(),
  /** Users file (`alicia broker passwd` writes it). */
  users: z.string().min(1).optional(),
  /** refuse | loopback | any; default loopback when every listener is on loopback, else refuse. */
  anonymous: z.enum(['refuse', 'loopback', 'any']).optional(),
  /** [MQTT-2.2.3] a remaining length is at most 268,435,455 bytes. */
  max_packet_bytes: z.number().int().min(1024).max(268_435_460).optional(),
  connect_timeout_ms: z.number().int().min(100).max(600_000).optional(),
  /** Directory for retained messages that survive a restart. */
  persistence: z.string().min(1).optional(),
  tls: z
    .strictObject({
      host: Host.optional(),
      port: Port,
      cert: z.string().min(1),
      key: z.string().min(1),
      ca: z.string().min(1).optional(),
      require_client_cert: z.boolean().optional(),
    })
    .optional(),
  websocket: z
    .strictObject({ host: Host.optional(), port: Port, path: z.string().startsWith('/').optional() })
    .optional(),
});

export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

function invalid(source: string, detail: string, cause?: unknown): Error {
  return aliciaError('ALICIA_ERR_CONFIG_INVALID', `${source}: ${detail}`, { cause, details: { source } });
}

/** Validates a config object; `source` names where it came from in errors. */
export function parseBrokerConfig(value: unknown, source: string): BrokerConfig {
  const result = BrokerConfigSchema.safeParse(value ?? {});
  if (!result.success) throw invalid(source, z.prettifyError(result.error).replaceAll('\n', ' '));
  if (result.data.prefix !== undefined) {
    try {
      createTopics(result.data.prefix);
    } catch (err) {
      throw invalid(source, `prefix: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
  return result.data;
}

/** Reads a YAML config file and resolves its relative paths against the file's folder. */
export async function loadBrokerConfig(file: string): Promise<BrokerConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw invalid(file, 'cannot be read', err);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw invalid(file, `not valid YAML: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const config = parseBrokerConfig(value, file);
  const dir = path.dirname(path.resolve(file));
  const at = (p: string): string => path.resolve(dir, p);
  return {
    ...config,
    ...(config.users ? { users: at(config.users) } : {}),
    ...(config.persistence ? { persistence: at(config.persistence) } : {}),
    ...(config.tls
      ? {
          tls: {
            ...config.tls,
            cert: at(config.tls.cert),
            key: at(config.tls.key),
            ...(config.tls.ca ? { ca: at(config.tls.ca) } : {}),
          },
        }
      : {}),
  };
}

async function readPem(file: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw invalid(field, `${file} cannot be read`, err);
  }
}

/** Turns a validated config into broker options: reads the users file and TLS material. */
export async function brokerOptionsFrom(config: BrokerConfig, log: Logger): Promise<EmbeddedBrokerOptions> {
  if (config.users === undefined) {
    throw invalid(
      'users',
      'no users file: pass --users FILE (create one with `alicia broker passwd --users FILE NAME --role ROLE`)',
    );
  }
  const users = await loadUsersFile(config.users);
  if (users.length === 0) log.warn({ file: config.users }, 'users file holds no users');
  return {
    ...(config.host !== undefined ? { host: config.host } : {}),
    ...(config.port !== undefined ? { port: config.port } : {}),
    ...(config.max_packet_bytes !== undefined ? { maxPacketBytes: config.max_packet_bytes } : {}),
    ...(config.connect_timeout_ms !== undefined ? { connectTimeoutMs: config.connect_timeout_ms } : {}),
    ...(config.persistence !== undefined ? { persistenceDir: config.persistence } : {}),
    security: {
      users,
      ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
      ...(config.anonymous !== undefined ? { anonymous: config.anonymous } : {}),
    },
    ...(config.tls
      ? {
          tls: {
            port: config.tls.port,
            ...(config.tls.host !== undefined ? { host: config.tls.host } : {}),
            cert: await readPem(config.tls.cert, 'tls.cert'),
            key: await readPem(config.tls.key, 'tls.key'),
            ...(config.tls.ca ? { ca: await readPem(config.tls.ca, 'tls.ca') } : {}),
            ...(config.tls.require_client_cert !== undefined
              ? { requireClientCert: config.tls.require_client_cert }
              : {}),
          },
        }
      : {}),
    ...(config.websocket
      ? {
          websocket: {
            port: config.websocket.port,
            ...(config.websocket.host !== undefined ? { host: config.websocket.host } : {}),
            ...(config.websocket.path !== undefined ? { path: config.websocket.path } : {}),
          },
        }
      : {}),
    log,
  };
}
