// `alicia up -f compose.yaml`: without --broker, the embedded default — one process runs
// a broker on 127.0.0.1, the orchestrator and a local agent, deploys the stack showing
// progress per service, then stays in the foreground printing events until Ctrl-C, which
// stops the stack in reverse order, removes what it created and exits 0. With --broker,
// the deploy goes to a running orchestrator and the command exits when it is done.

import type { Command } from 'commander';
import type { Stack } from '../../compose/model.js';
import { LOCAL_COMPOSE_POLICY } from '../../core/agent-plan/policy.js';
import type { AliciaEvent } from '../../protocol/events.js';
import type { DeployBundle } from '../../protocol/requests.js';
import { addTlsOptions } from '../client.js';
import { addComposeFileOptions } from '../options.js';

interface UpFlags {
  file?: string[];
  project?: string;
  profile?: string[];
  port?: string;
  stateDir?: string;
  broker?: string;
  username?: string;
  password?: string;
  prefix?: string;
  json?: boolean;
  logLevel?: string;
  timeout?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  metricsPort?: string;
  homeassistant?: string | boolean;
  uiPort?: string;
  /** false with --no-ui. */
  ui?: boolean;
  dryRun?: boolean;
}

export function registerUp(program: Command): void {
  addComposeFileOptions(addTlsOptions(program.command('up'), 'with --broker: '))
    .description('Deploy a Compose stack in dependency order, healthy; without --broker runs everything here')
    .option('--port <n>', 'embedded broker port on 127.0.0.1 (default 1883)')
    .option('--state-dir <dir>', 'embedded mode state directory (default ~/.alicia/up/<project>)')
    .option('--broker <url>', 'send the deploy to the orchestrator behind this broker instead')
    .option('--username <user>', 'broker user (default: $ALICIA_USERNAME, else operator.json)')
    .option('--password <password>', 'broker password (default: $ALICIA_PASSWORD, else operator.json)')
    .option('--prefix <prefix>', 'topic prefix (default alicia)')
    .option('--timeout <seconds>', 'give up waiting for the deploy after this long (default 1800)')
    .option('--json', 'print events as JSON lines')
    .option('--log-level <level>', 'log level of the embedded processes, on stderr (default warn)')
    .option(
      '--metrics-port <n>',
      'embedded mode: serve Prometheus /metrics, /healthz, /status on 127.0.0.1:<n>',
    )
    .option(
      '--homeassistant [prefix]',
      'embedded mode: publish Home Assistant MQTT discovery (default prefix homeassistant)',
    )
    .option(
      '--ui-port <n>',
      'embedded mode: serve the dashboard on 127.0.0.1:N (default 7883, 0 = any free port)',
    )
    .option('--no-ui', 'embedded mode: no dashboard')
    .option('--dry-run', 'show what would be done (the same as `alicia plan`); run nothing')
    .action(async (flags: UpFlags) => {
      const { fail } = await import('../output.js');
      if (flags.dryRun === true) {
        const { printPlan } = await import('./plan.js');
        await printPlan(flags);
        return;
      }
      try {
        const { existsSync } = await import('node:fs');
        const { findComposeFiles, loadBundle } = await import('../../compose/index.js');
        const files = flags.file ?? findComposeFiles(process.cwd(), process.env, existsSync);
        // Parsed here too, to print errors and warnings before anything starts; what is
        // deployed, embedded or remote, is the bundle, parsed again by the orchestrator.
        const { stack, bundle } = await loadBundle({
          files,
          projectName: flags.project,
          profiles: flags.profile,
        });
        for (const w of stack.warnings)
          process.stderr.write(`alicia: warning: ${w.file}: ${w.path}: ${w.message}\n`);
        if (flags.broker !== undefined || process.env.ALICIA_BROKER !== undefined) {
          await remoteUp(stack, bundle, flags);
        } else {
          await embeddedUp(stack, bundle, flags);
        }
      } catch (err) {
        fail(err, flags.json);
      }
    });
}

/** Per-service progress lines: redrawn in place on a TTY, one line per change otherwise. */
type EventView = typeof import('../event-view.js');

function createProgress(
  services: readonly string[],
  options: { json: boolean; tty: boolean },
  view: Pick<EventView, 'progressOf' | 'describeProgress'>,
) {
  const started = Date.now();
  const rows = new Map<string, { status: string; at: number }>(
    services.map((s) => [s, { status: 'pending', at: 0 }]),
  );
  const width = Math.max(7, ...services.map((s) => s.length));
  let drawn = 0;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const line = (service: string) => {
    const row = rows.get(service);
    return `  ${service.padEnd(width)}  ${row?.status ?? ''}${row && row.at > 0 ? `  (${seconds(row.at)})` : ''}`;
  };
  const draw = (changed: string) => {
    if (options.json) return;
    if (!options.tty) {
      process.stdout.write(`${line(changed)}\n`);
      return;
    }
    if (drawn > 0) process.stdout.write(`\x1b[${drawn}A`);
    for (const s of services) process.stdout.write(`\x1b[2K${line(s)}\n`);
    drawn = services.length;
  };
  return {
    onEvent(event: AliciaEvent): void {
      if (options.json) {
        process.stdout.write(`${JSON.stringify(event)}\n`);
        return;
      }
      // One exhaustive switch over event types decides what a service's row shows.
      const progress = view.progressOf(event);
      if (progress === null || !rows.has(progress.service)) return;
      const service = progress.service;
      const status = view.describeProgress(progress);
      rows.set(service, { status, at: Date.now() - started });
      draw(service);
    },
    elapsed: () => seconds(Date.now() - started),
  };
}

const isTty = (): boolean => process.stdout.isTTY === true;

async function embeddedUp(stack: Stack, bundle: DeployBundle, flags: UpFlags): Promise<void> {
  // Loaded together: the module reads overlap, and nothing waits on one before the next.
  const [
    os,
    path,
    { aliciaError },
    { aliciaHomeDir, formatEvent },
    { createLogger },
    broker_,
    orch_,
    agents_,
  ] = await Promise.all([
    import('node:os'),
    import('node:path'),
    import('../../core/errors.js'),
    import('../client.js'),
    import('../../logging/logger.js'),
    import('../../../broker/index.js'),
    import('../../orchestrator/index.js'),
    import('../../../agents/index.js'),
  ]);
  const { startEmbeddedDefault } = broker_;
  const { startOrchestrator } = orch_;
  const { startAgent } = agents_;

  const port = flags.port === undefined ? 1883 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `--port must be a TCP port, got ${flags.port}`);
  }
  const stateDir = flags.stateDir ?? path.join(aliciaHomeDir(), 'up', stack.name);
  const agentId =
    os
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64) || 'local';
  const log = createLogger({ level: flags.logLevel ?? 'warn' });
  const json = flags.json === true;
  const say = (text: string) => {
    if (!json) process.stdout.write(`${text}\n`);
  };

  let embedded: Awaited<ReturnType<typeof startEmbeddedDefault>>;
  try {
    embedded = await startEmbeddedDefault({
      host: '127.0.0.1',
      port,
      stateDir,
      agentIds: [agentId],
      // The dashboard talks MQTT over WebSocket; any free port, the page is told which.
      ...(flags.ui !== false ? { websocket: { port: 0, path: '/mqtt' } } : {}),
      log,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw aliciaError(
        'ALICIA_ERR_CONFIG_INVALID',
        `port ${port} on 127.0.0.1 is in use: pass --port N, or --broker URL to use the broker running there`,
        { cause: err },
      );
    }
    throw err;
  }
  const { broker, credentials } = embedded;
  const agentCredentials = credentials.agents[agentId];
  // The orchestrator and the local agent only need the broker: start them side by side.
  const [orchestrator, agent] = await Promise.all([
    startOrchestrator({
      brokerUrl: broker.url,
      ...credentials.orchestrator,
      stateDir: path.join(stateDir, 'orchestrator'),
      log,
    }),
    startAgent({
      id: agentId,
      brokerUrl: broker.url,
      ...(agentCredentials ?? {}),
      stateDir: path.join(stateDir, `agent-${agentId}`),
      // The user's own file on the user's own machine: allow what docker-compose allows.
      policy: LOCAL_COMPOSE_POLICY,
      // One host, one process: report container changes within 25 ms rather than 100 ms,
      // so each dependency's health gates its dependents sooner.
      snapshotDebounceMs: 25,
      log,
    }),
  ]);

  const { startIntegrations } = await import('../integrations.js');
  const integrations = await startIntegrations(orchestrator, {
    metricsPort: flags.metricsPort,
    homeassistant: flags.homeassistant,
    log,
  });
  if (integrations.metricsUrl !== null) say(`Metrics at ${integrations.metricsUrl}/metrics`);
  // The dashboard: the URL carries a one-time token that logs the page in as the operator.
  const ui =
    flags.ui !== false && broker.websocket
      ? await (await import('../../ui-server/index.js')).startDashboard({
          host: '127.0.0.1',
          port: flags.uiPort,
          brokerWsUrl: broker.websocket.url,
          secured: true,
          oneTime: credentials.operator,
          log,
        })
      : null;

  let phase: 'deploying' | 'up' | 'stopping' = 'deploying';
  const deploying = new AbortController();
  const shutdown = async (code: number): Promise<never> => {
    phase = 'stopping';
    // Ctrl-C in the middle of the deploy: start nothing more, then remove what started.
    deploying.abort();
    say(`Stopping ${stack.name} (dependents first)…`);
    try {
      await orchestrator.down(stack.name);
    } catch (err) {
      // Nothing deployed yet (interrupted early) is fine; anything else is reported.
      if ((err as { code?: string }).code !== 'ALICIA_ERR_NOT_FOUND') {
        process.stderr.write(`alicia: ${(err as Error).message}\n`);
        code = 1;
      }
    }
    await ui?.close();
    await agent.close().catch(() => undefined);
    await integrations.close().catch(() => undefined);
    await orchestrator.close().catch(() => undefined);
    await broker.close().catch(() => undefined);
    say(`Stack ${stack.name} removed.`);
    process.exit(code);
  };
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130); // a second Ctrl-C: leave now
    signalled = true;
    log.info({ signal }, 'stopping');
    void shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await orchestrator.waitForAgents(1, 15_000);
  const services = Object.keys(stack.services);
  say(`Deploying ${stack.name} (${services.length} services) on ${broker.url}, agent ${agentId}`);
  // Printed, not logged: the token in it is spent by the first page that opens it.
  if (ui) process[json ? 'stderr' : 'stdout'].write(`Dashboard: ${ui.loginUrl}\n`);
  const progress = createProgress(services, { json, tty: isTty() }, await import('../event-view.js'));
  orchestrator.events.onEvent((event) => {
    if (phase === 'deploying') progress.onEvent(event);
    else if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else process.stdout.write(`${formatEvent(event)}\n`);
  });
  try {
    await orchestrator.request('deploy', bundle, { signal: deploying.signal });
  } catch (err) {
    if (phase !== 'deploying') return;
    process.stderr.write(
      `alicia: ${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}\n`,
    );
    await shutdown(1);
  }
  if (phase !== 'deploying') return;
  phase = 'up';
  say(`Stack ${stack.name} is up in ${progress.elapsed()}. Following events; Ctrl-C stops and removes it.`);
}

async function remoteUp(stack: Stack, bundle: DeployBundle, flags: UpFlags): Promise<void> {
  const { clientFromFlags } = await import('../client.js');
  const json = flags.json === true;
  const timeoutS = flags.timeout === undefined ? 1800 : Number(flags.timeout);
  const client = await clientFromFlags(flags);
  const errorsModule = await import('../../core/errors.js');
  try {
    // Said before the header: with no orchestrator online nothing is deployed.
    await client.orchestratorOnline('deploy');
    // Before anything runs: a dependent placed where it cannot reach its dependency is said now.
    const plan = await client.request('plan', bundle);
    for (const w of plan.warnings)
      if (w.dependent !== undefined) process.stderr.write(`alicia: warning: ${w.message}\n`);
    const services = Object.keys(stack.services);
    if (!json)
      process.stdout.write(
        `Deploying ${stack.name} (${services.length} services) via ${flags.broker ?? process.env.ALICIA_BROKER}\n`,
      );
    const view = await import('../event-view.js');
    const progress = createProgress(services, { json, tty: isTty() }, view);
    // The deploy's own id: if the orchestrator restarts while we wait, the answer to our
    // request is lost, but the resumed deploy carries this id on its deploy_* events, and
    // the bundle re-sent with it queues behind the resumed deploy (docs/protocol.md).
    const { nanoid } = await import('nanoid');
    const deployId = nanoid();
    const deadline = Date.now() + timeoutS * 1000;
    let settle: ((error: Error | null) => void) | undefined;
    const outcome = new Promise<Error | null>((resolve) => {
      settle = resolve;
    });
    await client.followEvents((event) => {
      if (view.eventSubject(event).stack === stack.name) progress.onEvent(event);
      if (event.event_type === 'deploy_completed' && event.event_data.deploy === deployId) settle?.(null);
      if (event.event_type === 'deploy_failed' && event.event_data.deploy === deployId) {
        const { aliciaError } = errorsModule;
        settle?.(
          aliciaError('ALICIA_ERR_DEPLOY_FAILED', `stack "${stack.name}": ${event.event_data.reason}`),
        );
      }
    });
    const body = { ...bundle, deploy_id: deployId };
    for (;;) {
      const answered = client.request('deploy', body, { timeoutMs: Math.max(1, deadline - Date.now()) }).then(
        () => null,
        (err: unknown) => err as Error,
      );
      const error = await Promise.race([answered, outcome]);
      if (error === null) break;
      if ((error as { code?: string }).code !== 'ALICIA_ERR_ORCHESTRATOR_OFFLINE') throw error;
      if (!json) process.stdout.write('The orchestrator went offline; waiting for it to resume the deploy\n');
      const back = client.whenOrchestratorOnline(Math.max(1, deadline - Date.now())).then(
        () => 'back' as const,
        (err: unknown) => err as Error,
      );
      const ended = await Promise.race([back, outcome]);
      if (ended === null) break;
      if (ended instanceof Error) throw ended;
    }
    if (!json) process.stdout.write(`Stack ${stack.name} is up in ${progress.elapsed()}.\n`);
  } finally {
    await client.close();
  }
}
