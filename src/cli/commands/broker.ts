// `alicia broker` runs the embedded broker with users, roles, ACLs, TLS and WebSockets;
// `alicia broker passwd` adds or updates a user in a users file. Heavy modules load lazily.
import type { Command } from 'commander';
import { fail } from '../output.js';

interface BrokerFlags {
  config?: string;
  host?: string;
  port?: string;
  prefix?: string;
  users?: string;
  tlsPort?: string;
  tlsHost?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsRequireClientCert?: boolean;
  wsPort?: string;
  wsHost?: string;
  wsPath?: string;
  persistence?: string;
  maxPacketBytes?: string;
  connectTimeoutMs?: string;
  allowAnonymous?: boolean;
  anonymous?: string;
  logLevel?: string;
}

interface PasswdFlags {
  users: string;
  role: string;
  password?: string;
}

function int(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  // Non-numbers are passed through so the schema names the flag in its error.
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Flags as a config object (snake_case like the file), only the keys that were given. */
function flagsAsConfig(flags: BrokerFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) out[key] = value;
  };
  set('host', flags.host);
  set('port', int(flags.port));
  set('prefix', flags.prefix);
  set('users', flags.users);
  set('persistence', flags.persistence);
  set('max_packet_bytes', int(flags.maxPacketBytes));
  set('connect_timeout_ms', int(flags.connectTimeoutMs));
  set('anonymous', flags.allowAnonymous ? 'any' : flags.anonymous);
  if (flags.tlsPort !== undefined || flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    const tls: Record<string, unknown> = {};
    if (flags.tlsPort !== undefined) tls.port = int(flags.tlsPort);
    if (flags.tlsHost !== undefined) tls.host = flags.tlsHost;
    if (flags.tlsCert !== undefined) tls.cert = flags.tlsCert;
    if (flags.tlsKey !== undefined) tls.key = flags.tlsKey;
    if (flags.tlsCa !== undefined) tls.ca = flags.tlsCa;
    if (flags.tlsRequireClientCert) tls.require_client_cert = true;
    out.tls = tls;
  }
  if (flags.wsPort !== undefined) {
    const ws: Record<string, unknown> = { port: int(flags.wsPort) };
    if (flags.wsHost !== undefined) ws.host = flags.wsHost;
    if (flags.wsPath !== undefined) ws.path = flags.wsPath;
    out.websocket = ws;
  }
  return out;
}

async function runBroker(flags: BrokerFlags): Promise<void> {
  const [{ brokerOptionsFrom, loadBrokerConfig, parseBrokerConfig, startEmbeddedBroker }, { createLogger }] =
    await Promise.all([import('../../../broker/index.js'), import('../../logging/logger.js')]);
  const log = createLogger(flags.logLevel ? { level: flags.logLevel } : {});
  const fromFile = flags.config ? await loadBrokerConfig(flags.config) : {};
  const fromFlags = flagsAsConfig(flags);
  // Flags override the file; a TLS or WebSocket section given by flags overrides the file's
  // section key by key.
  const merged = {
    ...fromFile,
    ...fromFlags,
    ...(fromFile.tls || fromFlags.tls ? { tls: { ...fromFile.tls, ...(fromFlags.tls as object) } } : {}),
    ...(fromFile.websocket || fromFlags.websocket
      ? { websocket: { ...fromFile.websocket, ...(fromFlags.websocket as object) } }
      : {}),
  };
  const config = parseBrokerConfig(merged, flags.config ? `${flags.config} with flags` : 'flags');
  const broker = await startEmbeddedBroker(await brokerOptionsFrom(config, log));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, stats: broker.stats }, 'broker stopping');
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'broker close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** Reads a password without echoing it: from a TTY in raw mode, else all of stdin. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    // One trailing newline is the Enter of `echo pw |`, not part of the password.
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err: Error | null): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done(null);
          return;
        }
        if (ch === '\u0003') {
          done(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function runPasswd(name: string, flags: PasswdFlags): Promise<void> {
  const [{ hashPassword, upsertUser }, { RoleSchema, isAgentId }, { aliciaError }] = await Promise.all([
    import('../../../broker/index.js'),
    import('../../core/acl/index.js'),
    import('../../core/errors.js'),
  ]);
  const role = RoleSchema.safeParse(flags.role);
  if (!role.success) {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `--role: must be one of ${RoleSchema.options.join(', ')}`);
  }
  if (!isAgentId(name)) {
    throw aliciaError(
      'ALICIA_ERR_ID_INVALID',
      `user ${JSON.stringify(name)}: may hold only letters, digits, "_", "." and "-" (no "+", "#", "/")`,
    );
  }
  let password = flags.password;
  if (password === undefined) {
    password = await readPassword(`Password for ${name}: `);
    if (process.stdin.isTTY && password !== (await readPassword('Again: '))) {
      throw aliciaError('ALICIA_ERR_CONFIG_INVALID', 'the two passwords differ');
    }
  }
  if (password.length === 0) throw aliciaError('ALICIA_ERR_CONFIG_INVALID', 'the password is empty');
  const { updated } = await upsertUser(flags.users, {
    name,
    role: role.data,
    password_hash: await hashPassword(password),
  });
  // Never the password: only who was written where.
  process.stdout.write(`${updated ? 'updated' : 'added'} ${name} (${role.data}) in ${flags.users}\n`);
}

export function registerBroker(program: Command): void {
  // `alicia broker passwd --users F` must give --users to passwd, not to broker: options
  // belong to the command they follow. alicia's own options (-V, -h) come first anyway.
  program.enablePositionalOptions();
  const broker = program
    .command('broker')
    .description('Run the embedded MQTT broker with users, roles, topic ACLs, TLS and WebSockets')
    .enablePositionalOptions()
    .option('--config <file>', 'broker config file (YAML, see config/broker.example.yaml)')
    .option('--host <host>', 'TCP listen address (default 127.0.0.1)')
    .option('--port <n>', 'TCP port (default 1883; 0 picks a free one)')
    .option('--prefix <prefix>', 'topic prefix the ACLs guard (default alicia)')
    .option('--users <file>', 'users file (make it with `alicia broker passwd`)')
    .option('--tls-port <n>', 'TLS listener port')
    .option('--tls-host <host>', 'TLS listen address (default: --host)')
    .option('--tls-cert <file>', 'PEM server certificate')
    .option('--tls-key <file>', 'PEM server key')
    .option('--tls-ca <file>', 'PEM CA for client certificates')
    .option('--tls-require-client-cert', 'refuse TLS clients without a certificate signed by --tls-ca')
    .option('--ws-port <n>', 'MQTT over WebSocket port')
    .option('--ws-host <host>', 'WebSocket listen address (default: --host)')
    .option('--ws-path <path>', 'WebSocket URL path (default: any)')
    .option('--persistence <dir>', 'keep retained messages in this directory across restarts')
    .option('--max-packet-bytes <n>', 'largest MQTT packet accepted (bytes)')
    .option('--connect-timeout-ms <n>', 'close connections that send no CONNECT within this time')
    .option('--anonymous <policy>', 'anonymous viewers: refuse | loopback | any')
    .option('--allow-anonymous', 'let anonymous clients in as viewers from any address')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .action(async (flags: BrokerFlags) => {
      try {
        await runBroker(flags);
      } catch (err) {
        fail(err);
      }
    });
  broker
    .command('passwd')
    .description('Add or update a broker user (reads the password from stdin; never echoes it)')
    .argument('<user>', 'user name (for the agent role: the agent id)')
    .requiredOption('--users <file>', 'users file to create or update')
    .requiredOption('--role <role>', 'orchestrator | agent | operator | viewer | homeassistant')
    .option('--password <password>', 'the password (visible in `ps`: prefer stdin)')
    .action(async (name: string, flags: PasswdFlags) => {
      try {
        await runPasswd(name, flags);
      } catch (err) {
        fail(err);
      }
    });
}
