// `alicia agent`: runs the host agent in the foreground until SIGINT/SIGTERM. The agent's
// modules are imported inside the action, so other sub-commands never load them and the
// agent never loads theirs (it runs on Raspberry Pis: every megabyte counts).
import type { Command } from 'commander';
import type { AgentFlags } from '../../../agents/config.js';
import { addTlsOptions } from '../client.js';
import { collect } from '../options.js';

export function registerAgent(program: Command): void {
  addTlsOptions(program.command('agent'))
    .description("Run the host agent: this host's containers on its Docker engine, reported over MQTT")
    .option('--broker <url>', 'broker URL, e.g. mqtt://192.168.1.10:1883')
    .option('--id <id>', 'agent id (one topic level: letters, digits, "_", "." and "-")')
    .option('--labels <k=v,...>', 'node labels for placement, e.g. zone=garage,disk=ssd')
    .option(
      '--state-dir <dir>',
      'where desired instances and counters are kept (default ~/.alicia/agent-<id>)',
    )
    .option('--config <file>', 'YAML settings (see config/agent.example.yaml); flags override it')
    .option('--username <user>', 'broker user name (default: $ALICIA_USERNAME)')
    .option('--password <password>', 'broker password (prefer --password-file; default: $ALICIA_PASSWORD)')
    .option('--password-file <file>', 'file holding the broker password')
    .option('--heartbeat-ms <n>', 'heartbeat period in milliseconds (default 1000)')
    .option('--no-start-probe', "leave health to Docker's own probes: no start probe on this host")
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)')
    .option('--prefix <prefix>', 'topic prefix (default alicia)')
    .option('--role <role>', 'worker or manager (default worker)')
    .option('--hostname <name>', 'node.hostname for placement (default: this host name)')
    .option(
      '--advertise-address <address>',
      "address other hosts reach this host's published ports at (default: this side of the broker connection)",
    )
    .option('--address <address>', 'the same as --advertise-address (older name)')
    .option('--allow-privileged', 'allow privileged containers (refused by default)')
    .option('--allow-host-path <path>', 'allow bind mounts under this host path (repeatable)', collect)
    .option(
      '--allow-host-namespace <ns>',
      'allow containers to share this host namespace: network, pid, ipc, uts, userns, cgroup (repeatable)',
      collect,
    )
    .option(
      '--allow-image <pattern>',
      'run only images matching one of these (repeatable, * is a glob)',
      collect,
    )
    .option('--command-secret-file <file>', 'shared secret: refuse commands without a valid signature')
    .option(
      '--metrics-port <n>',
      'serve Prometheus /metrics, /healthz and /status on this port (default off)',
    )
    .option('--metrics-host <host>', 'address the metrics endpoint listens on (default 127.0.0.1)')
    .action(async (flags: AgentFlags) => {
      const { fail } = await import('../output.js');
      try {
        const { resolveAgentConfig } = await import('../../../agents/config.js');
        const config = await resolveAgentConfig(flags);
        const { createLogger } = await import('../../logging/logger.js');
        const { startAgent } = await import('../../../agents/agent.js');
        const log = createLogger({ level: config.logLevel });
        const agent = await startAgent({ ...config.options, log });
        // prom-client is loaded only when metrics are asked for (the agent's RSS budget).
        const metrics =
          flags.metricsPort === undefined
            ? null
            : await (async () => {
                const port = Number(flags.metricsPort);
                if (!Number.isInteger(port) || port < 0 || port > 65535) {
                  const { aliciaError } = await import('../../core/errors.js');
                  throw aliciaError(
                    'ALICIA_ERR_CONFIG_INVALID',
                    `--metrics-port must be a TCP port (0-65535), got ${flags.metricsPort}`,
                  );
                }
                const { serveAgentMetrics } = await import('../../metrics/serve.js');
                return serveAgentMetrics(
                  {
                    id: agent.id,
                    stats: () => ({ ...agent.stats }),
                    transport: agent.transport,
                    containers: agent.containers,
                  },
                  { port, host: flags.metricsHost, log },
                ).catch(async (err: unknown) => {
                  await agent.close();
                  throw err;
                });
              })();
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) process.exit(1); // a second signal: leave now
          stopping = true;
          log.info({ signal }, 'stopping agent');
          Promise.resolve(metrics?.close())
            .then(() => agent.close())
            .then(
              () => process.exit(0),
              (err: unknown) => {
                log.error({ err }, 'agent did not stop cleanly');
                process.exit(1);
              },
            );
        };
        // Last resort: a bug in one code path must not take the host's workloads' keeper
        // down; it is logged loudly instead (every known path already handles its errors).
        process.on('unhandledRejection', (err) =>
          log.error({ err }, 'unhandled rejection (a bug): agent keeps running'),
        );
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
      } catch (err) {
        fail(err);
      }
    });
}
