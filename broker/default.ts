// `alicia up`'s embedded default: a broker on loopback with generated credentials for its
// own orchestrator, agents and the local CLI (written to ~/.alicia/operator.json, 0600, the
// way k3s writes a kubeconfig). Anonymous loopback clients are viewers, so
// `mosquitto_sub -t alicia/services/events` works out of the box and nothing else does.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAgentId } from '../src/core/acl/index.js';
import { aliciaError } from '../src/core/errors.js';
import { type Logger, silentLogger } from '../src/logging/logger.js';
import { writeFileAtomic } from '../src/store/atomic-file.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded.js';
import type { WebSocketListenerOptions } from './listeners.js';
import { hashPassword, type UserRecord } from './users.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface EmbeddedDefaultOptions {
  /** 127.0.0.1 by default. */
  host?: string;
  /** 1883 by default; 0 picks a free port. */
  port?: number;
  /** Retained messages are kept in `<stateDir>/broker`. */
  stateDir: string;
  agentIds: string[];
  /** Where operator.json goes; default `$ALICIA_HOME`, else `~/.alicia`. */
  home?: string;
  /** An MQTT-over-WebSocket listener too (the dashboard's), on the same host. */
  websocket?: WebSocketListenerOptions;
  log?: Logger;
}

export interface EmbeddedDefault {
  broker: EmbeddedBroker;
  credentials: {
    orchestrator: Credentials;
    agents: Record<string, Credentials>;
    operator: Credentials;
  };
  /** Path of the operator credentials file. */
  operatorFile: string;
}

export const ORCHESTRATOR_USER = 'orchestrator';
export const OPERATOR_USER = 'operator';

/** `$ALICIA_HOME`, else `~/.alicia`. */
export function aliciaHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.ALICIA_HOME;
  return home !== undefined && home !== '' ? home : path.join(os.homedir(), '.alicia');
}

/**
 * Generated passwords carry 192 random bits: no guessing attack needs key stretching to
 * fail, so their hashes use a light scrypt cost (~1 ms instead of ~50 ms per check) and
 * `alicia up` does not wait on it. Human-chosen passwords (`alicia broker passwd`) keep the
 * full cost.
 */
const GENERATED_SCRYPT = { N: 1024, r: 8, p: 1 } as const;

/** 24 random bytes: 192 bits, base64url so it pastes anywhere. */
function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Writes `<home>/operator.json` = {url, username, password}, readable by its owner only. */
export async function writeOperatorFile(
  home: string,
  content: { url: string; username: string; password: string },
): Promise<string> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = path.join(home, 'operator.json');
  await writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`, 0o600);
  // The mode given to open() is masked by umask and ignored for an existing file.
  await chmod(file, 0o600);
  return file;
}

export async function startEmbeddedDefault(options: EmbeddedDefaultOptions): Promise<EmbeddedDefault> {
  const log = options.log ?? silentLogger();
  const reserved = new Set([ORCHESTRATOR_USER, OPERATOR_USER]);
  for (const id of options.agentIds) {
    if (!isAgentId(id)) {
      throw aliciaError('ALICIA_ERR_ID_INVALID', `agent id ${JSON.stringify(id)} cannot be a topic level`);
    }
    if (reserved.has(id)) {
      throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `agent id ${id} is reserved for the ${id} user`);
    }
  }
  const orchestrator = { username: ORCHESTRATOR_USER, password: generatePassword() };
  const operator = { username: OPERATOR_USER, password: generatePassword() };
  const agents: Record<string, Credentials> = {};
  for (const id of new Set(options.agentIds)) agents[id] = { username: id, password: generatePassword() };

  const users: UserRecord[] = await Promise.all([
    hashPassword(orchestrator.password, GENERATED_SCRYPT).then((h) => ({
      name: orchestrator.username,
      role: 'orchestrator' as const,
      password_hash: h,
    })),
    hashPassword(operator.password, GENERATED_SCRYPT).then((h) => ({
      name: operator.username,
      role: 'operator' as const,
      password_hash: h,
    })),
    ...Object.values(agents).map((a) =>
      hashPassword(a.password, GENERATED_SCRYPT).then((h) => ({
        name: a.username,
        role: 'agent' as const,
        password_hash: h,
      })),
    ),
  ]);

  const host = options.host ?? '127.0.0.1';
  const broker = await startEmbeddedBroker({
    host,
    port: options.port ?? 1883,
    security: { users },
    persistenceDir: path.join(options.stateDir, 'broker'),
    ...(options.websocket ? { websocket: options.websocket } : {}),
    log,
  });
  let operatorFile: string;
  try {
    operatorFile = await writeOperatorFile(options.home ?? aliciaHome(), { url: broker.url, ...operator });
  } catch (err) {
    await broker.close();
    throw err;
  }
  log.child({ component: 'broker' }).info({ operatorFile, url: broker.url }, 'operator credentials written');
  return { broker, credentials: { orchestrator, agents, operator }, operatorFile };
}
