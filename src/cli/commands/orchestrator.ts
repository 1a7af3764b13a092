// `alicia orchestrator`: runs the orchestrator on its own, against any broker (the
// multi-host layout: agents elsewhere run `alicia agent`). Foreground until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { addTlsOptions } from '../client.js';

interface Flags {
  broker?: string;
  username?: string;
  password?: string;
  prefix?: string;
  stateDir?: string;
  heartbeatMs?: string;
  rescheduleGraceMs?: string;
  commandSecretFile?: string;
  logLevel?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPort?: string;
  metricsHost?: string;
  /** true (flag alone: the default prefix) or Home Assistant's discovery prefix. */
  homeassistant?: string | boolean;
  uiPort?: string;
  uiHost?: string;
  uiBrokerWs?: string;
}

export function registerOrchestrator(program: Command): void {
  addTlsOptions(program.command('orchestrator'))
    .description(
      'Run the orchestrator: desired state, placement, ordered deploys, events and the request API',
    )
    .option('--broker <url>', 'broker URL (default: $ALICIA_BROKER, else mqtt://127.0.0.1:1883)')
    .option('--username <user>', 'broker user (default: $ALICIA_USERNAME)')
    .option('--password <password>', 'broker password (default: $ALICIA_PASSWORD)')
    .option('--prefix <prefix>', 'topic prefix (default alicia)')
    .option('--state-dir <dir>', 'desired state directory (default ~/.alicia/orchestrator)')
    .option('--heartbeat-ms <n>', "agents' heartbeat period in milliseconds (default 1000)")
    .option(
      '--reschedule-grace-ms <n>',
      "offline this long before a host's instances move (default 0: the will or the heartbeat TTL is the evidence)",
    )
    .option('--command-secret-file <file>', 'shared secret to sign commands with')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option(
      '--metrics-port <n>',
      'serve Prometheus /metrics, /healthz and /status on this port (default: $ALICIA_METRICS_PORT, else off)',
    )
    .option('--metrics-host <host>', 'address the metrics endpoint listens on (default 127.0.0.1)')
    .option(
      '--homeassistant [prefix]',
      'publish Home Assistant MQTT discovery under this prefix (default homeassistant; $ALICIA_HOMEASSISTANT)',
    )
    .option('--ui-port <n>', 'serve the dashboard on this port (0 = any free port); off when absent')
    .option('--ui-host <host>', 'dashboard address (default 127.0.0.1; others need broker users)')
    .option(
      '--ui-broker-ws <url>',
      "the broker's MQTT-over-WebSocket URL as browsers reach it (with --ui-port)",
    )
    .action(async (flags: Flags) => {
      const { fail } = await import('../output.js');
      try {
        const path = await import('node:path');
        const { readFile } = await import('node:fs/promises');
        const { aliciaHomeDir, tlsFromFlags } = await import('../client.js');
        const { aliciaError } = await import('../../core/errors.js');
        const { createLogger } = await import('../../logging/logger.js');
        const { startOrchestrator } = await import('../../orchestrator/index.js');
        const number = (name: string, value: string | undefined): number | undefined => {
          if (value === undefined) return undefined;
          const n = Number(value);
          if (!Number.isInteger(n) || n <= 0) {
            throw aliciaError(
              'ALICIA_ERR_CONFIG_INVALID',
              `--${name} must be a positive whole number, got ${value}`,
            );
          }
          return n;
        };
        const log = createLogger({ level: flags.logLevel });
        const secret = flags.commandSecretFile
          ? (await readFile(flags.commandSecretFile, 'utf8')).trim()
          : undefined;
        const orchestrator = await startOrchestrator({
          brokerUrl: flags.broker ?? process.env.ALICIA_BROKER ?? 'mqtt://127.0.0.1:1883',
          username: flags.username ?? process.env.ALICIA_USERNAME,
          password: flags.password ?? process.env.ALICIA_PASSWORD,
          prefix: flags.prefix,
          tls: tlsFromFlags(flags),
          stateDir: flags.stateDir ?? path.join(aliciaHomeDir(), 'orchestrator'),
          heartbeatMs: number('heartbeat-ms', flags.heartbeatMs),
          rescheduleGraceMs: number('reschedule-grace-ms', flags.rescheduleGraceMs),
          commandSecret: secret,
          log,
        });
        const { startIntegrations } = await import('../integrations.js');
        const integrations = await startIntegrations(orchestrator, {
          prefix: flags.prefix,
          metricsPort: flags.metricsPort ?? process.env.ALICIA_METRICS_PORT,
          metricsHost: flags.metricsHost,
          homeassistant: flags.homeassistant ?? process.env.ALICIA_HOMEASSISTANT,
          log,
        }).catch(async (err: unknown) => {
          await orchestrator.close();
          throw err;
        });
        const ui =
          flags.uiPort === undefined
            ? null
            : await (async () => {
                if (flags.uiBrokerWs === undefined || !/^wss?:\/\//.test(flags.uiBrokerWs)) {
                  throw aliciaError(
                    'ALICIA_ERR_CONFIG_INVALID',
                    `--ui-port needs --ui-broker-ws ws://… (or wss://…): the broker's WebSocket listener, which the page talks to`,
                  );
                }
                const { startDashboard } = await import('../../ui-server/index.js');
                return startDashboard({
                  host: flags.uiHost ?? '127.0.0.1',
                  port: flags.uiPort,
                  brokerWsUrl: flags.uiBrokerWs,
                  prefix: flags.prefix,
                  secured: (flags.username ?? process.env.ALICIA_USERNAME) !== undefined,
                  log,
                });
              })().catch(async (err: unknown) => {
                await integrations.close();
                await orchestrator.close();
                throw err;
              });
        if (ui) process.stdout.write(`Dashboard: ${ui.url}\n`);
        log.info(
          { session: orchestrator.session },
          'orchestrator running; Ctrl-C stops it (containers keep running)',
        );
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) process.exit(1);
          stopping = true;
          log.info({ signal }, 'stopping orchestrator');
          Promise.all([ui?.close(), integrations.close()])
            .then(() => orchestrator.close())
            .then(
              () => process.exit(0),
              (err: unknown) => {
                log.error({ err }, 'close failed');
                process.exit(1);
              },
            );
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      } catch (err) {
        fail(err);
      }
    });
}
