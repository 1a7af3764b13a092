// The orchestrator's composition root: builds the adapters (MQTT transport, state store,
// clock: every timer of the control plane goes through it), wires the registry, the
// desired state (its one writer), agent client, events, watcher, status and request API,
// announces presence (retained online, will offline, a session counter so a late will is ignored).

import { type Clock, systemClock } from '../clock/index.js';
import type { Stack } from '../compose/model.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger } from '../logging/logger.js';
import {
  type ActionResponse,
  type AgentInfo,
  type ContainersSnapshot,
  createTopics,
  type Heartbeat,
  type Incoming,
  PROTOCOL_VERSION,
  type Presence,
  type ServiceState,
  type SystemHealth,
} from '../protocol/index.js';
import { createMqttTransport } from '../transport/index.js';
import { ALICIA_VERSION } from '../version.js';
import { createAgentClient } from './agent-client.js';
import type { Context, Settings } from './context.js';
import { type DeployReport, runDeploy } from './deploy-runner.js';
import { createDesiredState } from './desired-state.js';
import { createEventPublisher, type EventPublisher } from './events.js';
import {
  type DownResult,
  downStack,
  type RestartResult,
  restartService,
  type ScaleResult,
  type StopResult,
  scaleService,
  stopService,
} from './operations.js';
import { createRegistry } from './registry.js';
import { createRequestHandler, type RequestStats } from './requests.js';
import { agentRows, allServiceStates, createStatusPublisher, systemHealth } from './status.js';
import { createStore } from './store.js';
import { createWatcher } from './watch.js';

export interface OrchestratorOptions {
  brokerUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  tls?: { ca?: string; cert?: string; key?: string } | undefined;
  prefix?: string | undefined;
  /** Desired state and the session counter live here. */
  stateDir: string;
  /** Interval the agents heartbeat at (ms, default 1000). */
  heartbeatMs?: number | undefined;
  /** Offline this long before a host's instances move elsewhere (ms, default 1000: with the 3-heartbeat TTL, a lost host is rescheduled ~4 s after it went silent). */
  rescheduleGraceMs?: number | undefined;
  /** Startup timeout of stacks that set none (`x-alicia.startup_timeout`) (ms, default 120000). */
  startupTimeoutMs?: number | undefined;
  /** Shared secret to sign commands with (agents verify it when they have one). */
  commandSecret?: string | undefined;
  /** Re-send an unanswered command after this long (ms, default 2000). */
  commandRetryMs?: number | undefined;
  log?: Logger | undefined;
  /** Time and timers (default: the system clock). */
  clock?: Clock | undefined;
}

export interface Orchestrator {
  readonly session: number;
  readonly events: EventPublisher;
  readonly requestStats: Readonly<RequestStats>;
  /** In-process API (what `alicia up` uses in embedded mode; the same code serves MQTT requests). */
  /** Deploys a stack; aborting `signal` cancels it where it is (a later down removes what started). */
  deploy(stack: Stack, options?: { signal?: AbortSignal }): Promise<DeployReport>;
  scale(service: string, replicas: number, stack?: string): Promise<ScaleResult>;
  stop(service: string, stack?: string): Promise<StopResult>;
  restart(service: string, stack?: string): Promise<RestartResult>;
  down(stack: string): Promise<DownResult>;
  ps(stack?: string): ServiceState[];
  agents(): ReturnType<typeof agentRows>;
  health(): SystemHealth;
  /** Resolves once at least `count` agents are online with their info and containers. */
  waitForAgents(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOrchestrator(options: OrchestratorOptions): Promise<Orchestrator> {
  const log = (options.log ?? silentLogger()).child({ component: 'orchestrator' });
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const prefix = options.prefix ?? 'alicia';
  const topics = createTopics(prefix);
  const store = createStore(options.stateDir);
  const desired = createDesiredState(store, await store.load());
  const { state } = desired;
  const startedMs = now();
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const settings: Settings = {
    heartbeatMs,
    rescheduleGraceMs: options.rescheduleGraceMs ?? 1_000,
    agentWaitMs: 10_000,
    startupTimeoutMs: options.startupTimeoutMs,
    pendingStartMs: 15_000,
  };

  let session = state.session;
  let nextSession = session + 1;
  const presence = (s: 'online' | 'offline', sess: number) => ({
    v: PROTOCOL_VERSION,
    state: s,
    session: sess,
    ts: now(),
    version: ALICIA_VERSION,
  });
  const transport = createMqttTransport({
    url: options.brokerUrl,
    clientId: `alicia-orchestrator`,
    username: options.username,
    password: options.password,
    ...(options.tls ? { tls: options.tls } : {}),
    prefix,
    // Evaluated before each connect: the will carries the session this connection will have.
    will: () => {
      nextSession = session + 1;
      return {
        topic: topics.orchestratorState,
        payload: presence('offline', nextSession),
        qos: 1,
        retain: true,
      };
    },
    keepaliveS: 5,
    log,
  });

  const locks = new Map<string, Promise<unknown>>();
  const tracked = new Set<Promise<unknown>>();
  const registry = createRegistry({ heartbeatMs, now });
  const agentClient = createAgentClient({
    transport,
    topics,
    log: log.child({ component: 'agent-client' }),
    clock,
    session: () => session,
    retryMs: options.commandRetryMs,
    commandSecret: options.commandSecret,
  });
  const events = createEventPublisher({ transport, topics, log: log.child({ component: 'events' }), now });
  const ctx: Context = {
    log,
    clock,
    now,
    topics,
    transport,
    registry,
    agentClient,
    events,
    settings,
    state,
    desired,
    withLock(stack, fn) {
      const before = locks.get(stack) ?? Promise.resolve();
      const run = before.then(fn, fn);
      const settled = run.catch(() => undefined);
      locks.set(stack, settled);
      void settled.then(() => {
        if (locks.get(stack) === settled) locks.delete(stack);
      });
      return run;
    },
    isLocked: (stack) => locks.has(stack),
    pendingStarts: new Map(),
    removing: new Map(),
    startErrors: new Map(),
    track(work) {
      const p = work.catch((err: unknown) => log.warn({ err }, 'background work failed'));
      tracked.add(p);
      void p.finally(() => tracked.delete(p));
    },
  };

  const status = createStatusPublisher(ctx, { startedMs });
  const watcher = createWatcher(ctx);
  const requests = createRequestHandler(ctx, { startedMs, onStackRemoved: (record) => status.clear(record) });

  let closing = false;
  registry.onChange((change) => {
    if (closing) return;
    if (change.kind === 'containers') watcher.onContainers(change.agent);
    if (change.kind === 'liveness') {
      const e = change.event;
      events.emit(e.type, { agent: e.agent, session: e.session, reason: e.reason });
    }
    watcher.scheduleReconcile();
    status.refresh();
  });

  transport.onMessage((message: Incoming, raw) => {
    // Closing: what arrives now (the agents noticing we leave) is not acted on.
    if (closing) return;
    if (!message.ok) {
      if (message.topic?.kind === 'orchestrator_request') requests.handle(message, raw);
      return;
    }
    const t = message.topic;
    switch (t.kind) {
      case 'agent_state':
        registry.onPresence(t.agent, message.payload as Presence);
        return;
      case 'agent_info':
        registry.onInfo(t.agent, message.payload as AgentInfo);
        return;
      case 'agent_heartbeat':
        registry.onHeartbeat(t.agent, message.payload as Heartbeat);
        return;
      case 'agent_containers':
        registry.onContainers(t.agent, message.payload as ContainersSnapshot);
        return;
      case 'agent_response':
        agentClient.onResponse(t.agent, message.payload as ActionResponse);
        return;
      case 'orchestrator_request':
        requests.handle(message, raw);
        return;
      default:
        return;
    }
  });

  transport.onConnect(() => {
    session = nextSession;
    desired.setSession(session).catch((err: unknown) => log.error({ err }, 'session not persisted'));
    transport
      .publish(topics.orchestratorState, presence('online', session), { qos: 1, retain: true })
      .catch((err: unknown) => log.warn({ err }, 'presence not published'));
    log.info({ session }, 'orchestrator online');
  });

  await transport.ready();
  await transport.subscribe([
    topics.filters.allAgents,
    topics.filters.agentResponses,
    topics.filters.requests,
  ]);

  const ticker = clock.setInterval(
    () => {
      registry.tick();
      void watcher.reschedule();
    },
    Math.max(50, Math.floor(heartbeatMs / 2)),
  );
  // A slow sweep retries whatever a lost command left undone.
  const sweeper = clock.setInterval(() => watcher.scheduleReconcile(0), 5_000);

  return {
    get session() {
      return session;
    },
    events,
    requestStats: requests.stats,
    deploy: (stack, options) =>
      ctx.withLock(stack.name, () => runDeploy(ctx, stack, { op: 'deploy', signal: options?.signal })),
    scale: (service, replicas, stack) => scaleService(ctx, { stack, service, replicas }),
    stop: (service, stack) => stopService(ctx, { stack, service }),
    restart: (service, stack) => restartService(ctx, { stack, service }),
    down: (stack) => downStack(ctx, { stack }, (record) => status.clear(record)),
    ps: (stack) => allServiceStates(ctx, stack),
    agents: () => agentRows(ctx),
    health: () => systemHealth(ctx, startedMs),
    waitForAgents(count, timeoutMs) {
      const enough = () =>
        registry.nodes().filter((n) => (registry.get(n.id)?.containers ?? null) !== null).length >= count;
      if (enough()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = clock.setTimeout(() => {
          off();
          reject(new Error(`fewer than ${count} agents online after ${timeoutMs} ms`));
        }, timeoutMs);
        const off = registry.onChange(() => {
          if (!enough()) return;
          clock.clearTimeout(timer);
          off();
          resolve();
        });
      });
    },
    async close() {
      closing = true;
      clock.clearInterval(ticker);
      clock.clearInterval(sweeper);
      watcher.close();
      status.close();
      agentClient.close();
      await events.flush();
      await transport
        .publish(topics.orchestratorState, presence('offline', session), { qos: 1, retain: true })
        .catch(() => undefined);
      await desired.flush();
      await transport.close();
    },
  };
}
