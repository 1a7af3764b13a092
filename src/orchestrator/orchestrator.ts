// The orchestrator's composition root: builds the adapters (MQTT transport, state store,
// clock: every timer of the control plane goes through it), wires the registry, the
// desired state (its one writer), agent client, events, watcher, status and request API,
// announces presence (retained online, will offline, a session counter so a late will is ignored).

import { type Clock, systemClock } from '../clock/index.js';
import type { Logger } from '../logging/logger.js';
import { silentLogger } from '../logging/logger.js';
import {
  type AgentRow,
  createTopics,
  type DeployBundle,
  type DeployReport,
  type DownResult,
  type HistoryEntry,
  type Incoming,
  PROTOCOL_VERSION,
  type Presence,
  type ReplyData,
  type RequestBody,
  type RequestMethod,
  type RestartResult,
  type ScaleResult,
  type ServiceState,
  type StopResult,
  type SystemHealth,
} from '../protocol/index.js';
import { createMqttTransport, type Transport } from '../transport/index.js';
import { ALICIA_VERSION } from '../version.js';
import { createAgentClient } from './agent-client.js';
import { type ApiContext, requestInProcess } from './api.js';
import type { Context, Settings } from './context.js';
import { createDesiredState } from './desired-state.js';
import { createEventPublisher, type EventPublisher } from './events.js';
import { createHealing } from './healing.js';
import { createHealingStore } from './healing-store.js';
import { createLinkKeeper } from './host-links.js';
import { resumeIntents } from './intents.js';
import { clearLegacyServiceStates } from './migrate-topics.js';
import { createRegistry } from './registry.js';
import { createRequestHandler, type RequestStats } from './requests.js';
import { createStatusPublisher } from './status.js';
import { createStore } from './store.js';
import { createWatcher } from './watch.js';

/** The transport's reconnect backoff cap (ms, src/transport/mqtt.ts maxReconnectMs default). */
const AGENT_RECONNECT_CAP_MS = 10_000;
/** How long a will waits to see whether the broker drops us too (a stopping broker sends every will). */
const WILL_WAIT_MS = 200;

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
  /**
   * Offline this long before a host's instances move elsewhere (ms, default 0: offline already
   * means the broker saw the agent's connection die — its will — or a 3-heartbeat TTL of
   * silence; raise it when agents are restarted often and their services should not move).
   */
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
  /** Its MQTT connection, for observers (metrics, Home Assistant discovery) wired beside it. */
  readonly transport: Transport;
  /**
   * The in-process API: runs `method` through the same handler table as a request over
   * MQTT (embedded `alicia up` deploys this way). `signal` cancels a deploy where it is
   * (a later down removes what started).
   */
  request<M extends RequestMethod>(
    method: M,
    body: RequestBody<M>,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<ReplyData<M>>;
  /** Shorthands for `request`, for tests and embedding. */
  deploy(bundle: DeployBundle, options?: { signal?: AbortSignal | undefined }): Promise<DeployReport>;
  scale(service: string, replicas: number, stack?: string): Promise<ScaleResult>;
  stop(service: string, stack?: string): Promise<StopResult>;
  restart(service: string, stack?: string): Promise<RestartResult>;
  heal(service: string, stack?: string): Promise<RestartResult>;
  down(stack: string): Promise<DownResult>;
  ps(stack?: string): Promise<ServiceState[]>;
  agents(): Promise<AgentRow[]>;
  health(): Promise<SystemHealth>;
  history(service?: string, limit?: number): Promise<HistoryEntry[]>;
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
    rescheduleGraceMs: options.rescheduleGraceMs ?? 0,
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
    now,
    log,
  });

  const locks = new Map<string, Promise<unknown>>();
  let onUnlocked: () => void = () => undefined;
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
  const events = createEventPublisher({
    transport,
    topics,
    log: log.child({ component: 'events' }),
    now,
    session: () => session,
    seq: { start: state.seq_reserved, reserve: (upTo) => desired.reserveSeq(upTo) },
  });
  const healingStore = createHealingStore(options.stateDir);
  let watcherRef: { scheduleReconcile(delayMs?: number): void } | null = null;
  // ctx is read only when a failure or request arrives, after it is built below.
  const healing = createHealing(healingStore, await healingStore.load(), () => ctx, {
    kick: () => watcherRef?.scheduleReconcile(0),
  });
  events.onEvent((event) => healing.record(event));
  const ctx: Context = {
    log,
    healing,
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
        if (locks.get(stack) !== settled) return;
        locks.delete(stack);
        onUnlocked();
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
  watcherRef = watcher;
  const links = createLinkKeeper(ctx);
  // The keeper leaves a locked stack alone (a move, a deploy): it looks again as soon as the
  // lock is let go, not a tick later — a moved service's dependents elsewhere get its new
  // address right after it is up (the partition failover's last step).
  onUnlocked = () => void links.refresh();
  const api = (signal?: AbortSignal): ApiContext => ({
    orchestrator: ctx,
    startedMs,
    onStackRemoved: (record) => status.clear(record),
    signal,
  });
  const requests = createRequestHandler(api());
  // Before the transport delivers anything: an interrupted deploy or down holds its stack's
  // lock from the start, so no reconcile acts on a half-done stack before the resume does.
  const intents = resumeIntents(ctx, (record) => status.clear(record));
  const request: Orchestrator['request'] = (method, body, options = {}) =>
    requestInProcess(method, body, api(options.signal));

  let closing = false;
  registry.onChange((change) => {
    if (closing) return;
    if (change.kind === 'containers') watcher.onContainers(change.agent);
    if (change.kind === 'liveness') {
      const e = change.event;
      events.emit(e.type, { agent: e.agent, session: e.session, reason: e.reason });
    }
    watcher.scheduleReconcile();
    if (change.kind === 'containers') intents.checkPendingDowns();
    status.refresh();
  });

  transport.onMessage((message: Incoming, raw) => {
    // Closing: what arrives now (the agents noticing we leave) is not acted on.
    if (closing) return;
    if (!message.ok) {
      const t = message.topic;
      if (t?.kind === 'orchestrator_request') requests.refuse(t.method, message, raw);
      return;
    }
    switch (message.kind) {
      case 'agent_state':
        // A retained `offline` handed to us by our own resubscription after an outage is
        // news from the outage, not evidence: its silence after the grace decides (the tick).
        if (raw.retain && message.payload.state === 'offline' && now() < staleWillsUntil) return;
        // A live `offline` (a will) waits a moment: a broker that stops publishes every will
        // (Mosquitto does) and then drops us too; a will followed by our own loss is that.
        if (message.payload.state === 'offline' && !raw.retain) {
          pendingWills.set(message.topic.agent, { presence: message.payload, at: now() });
          clock.setTimeout(applyDueWills, WILL_WAIT_MS);
          return;
        }
        pendingWills.delete(message.topic.agent);
        registry.onPresence(message.topic.agent, message.payload);
        return;
      case 'agent_info':
        registry.onInfo(message.topic.agent, message.payload);
        return;
      case 'agent_heartbeat':
        registry.onHeartbeat(message.topic.agent, message.payload);
        return;
      case 'agent_containers':
        registry.onContainers(message.topic.agent, message.payload);
        return;
      case 'agent_response':
        agentClient.onResponse(message.topic.agent, message.payload);
        return;
      case 'orchestrator_request':
        requests.serve(message);
        return;
      default:
        return;
    }
  });

  transport.onDisconnect(() => {
    pendingWills.clear();
    if (!closing) log.warn('broker connection lost: no judgement about agents until it is back');
  });
  transport.onConnect(() => {
    // Whatever the agents did while we were cut off, we did not see: fresh sight starts now.
    // The agents lost the broker too and come back on their own reconnect backoff (capped
    // at 10 s by the transport): that long plus a TTL before any of them is judged.
    registry.restoreSight(AGENT_RECONNECT_CAP_MS);
    if (subscribed) staleWillsUntil = now() + AGENT_RECONNECT_CAP_MS;
    session = nextSession;
    desired.setSession(session).catch((err: unknown) => log.error({ err }, 'session not persisted'));
    // Online only once requests can be heard: on the first connect after the subscriptions
    // below; on a reconnect MQTT.js re-subscribes before this handler runs (its packets go first).
    if (subscribed) announceOnline();
  });
  let subscribed = false;
  /** Cut off without knowing it (a frozen link): see the ticker below. */
  let blind = false;
  /** Wills heard, applied once the link outlived them by WILL_WAIT_MS: agent -> presence. */
  const pendingWills = new Map<string, { presence: Presence; at: number }>();
  /**
   * Applies the wills the link outlived and moves the lost hosts' work at once: a will is
   * the broker's word that the agent's connection died, so its services need not wait for
   * the next tick (the tick applies them too, should this timer run while we are blind).
   */
  function applyDueWills(): void {
    if (closing || !transport.connected || blind) return;
    let applied = false;
    for (const [agent, will] of pendingWills) {
      if (now() - will.at < WILL_WAIT_MS) continue;
      pendingWills.delete(agent);
      registry.onPresence(agent, will.presence);
      applied = true;
    }
    if (applied) void watcher.reschedule();
  }
  /** Until then (after a reconnect) a retained `offline` presence is the outage's, not news. */
  let staleWillsUntil = 0;
  function announceOnline(): void {
    transport
      .publish(topics.orchestratorState, presence('online', session), { qos: 1, retain: true })
      .catch((err: unknown) => log.warn({ err }, 'presence not published'));
    log.info({ session }, 'orchestrator online');
  }

  await transport.ready();
  await transport.subscribe([
    topics.filters.allAgents,
    topics.filters.agentResponses,
    topics.filters.requests,
  ]);
  subscribed = true;
  announceOnline();
  await clearLegacyServiceStates(transport, topics, log);

  // Sight: a link frozen without a FIN (a partition, a stalled broker) stays "connected"
  // until the keepalive runs out (7.5 s); the agents' heartbeats stop reaching us long before,
  // and that silence is ours, not theirs. So the link must have carried something from the
  // broker within a heartbeat (we PINGREQ it when nothing else came) for the tick to judge;
  // once it carries traffic again every agent gets a fresh TTL before it can be called lost.
  const tickMs = Math.max(50, Math.floor(heartbeatMs / 2));
  let lastTickAt = now();
  const ticker = clock.setInterval(() => {
    // Cut off from the broker, silence is ours, not the agents': nobody is judged.
    if (!transport.connected) return;
    // A late tick means this process was stalled (a busy machine): what the broker sent
    // meanwhile is still unread in the socket (timers run before I/O). Judge on the next
    // tick, after it is read — neither silence nor a lost agent is real yet.
    const late = now() - lastTickAt > tickMs * 2;
    lastTickAt = now();
    if (late) return;
    const silentMs = now() - transport.lastHeardMs();
    if (silentMs >= tickMs) transport.ping();
    // Two heartbeats of silence despite a PINGREQ each tick: a live broker answers a ping in
    // milliseconds, while agents heartbeating in step leave ~1 s gaps that are no blindness
    // (one heartbeat was too tight: sight flapped and every TTL restarted, so a partitioned
    // host was never called offline). Below the TTL (3 heartbeats), so no one is judged blind.
    if (silentMs > 2 * heartbeatMs) {
      if (!blind)
        log.warn({ silentMs }, 'nothing from the broker: no judgement about agents until it speaks');
      blind = true;
      return;
    }
    if (blind) {
      blind = false;
      registry.restoreSight(0);
      log.info('the broker link carries traffic again: agents judged after a fresh heartbeat TTL');
    }
    applyDueWills();
    registry.tick();
    void watcher.reschedule();
    void links.refresh();
  }, tickMs);
  // A slow sweep retries whatever a lost command left undone.
  const sweeper = clock.setInterval(() => {
    if (transport.connected) watcher.scheduleReconcile(0);
  }, 5_000);

  return {
    get session() {
      return session;
    },
    events,
    requestStats: requests.stats,
    transport,
    request,
    deploy: (bundle, options) => request('deploy', bundle, options),
    scale: (service, replicas, stack) => request('scale', { stack, service, replicas }),
    stop: (service, stack) => request('stop', { stack, service }),
    restart: (service, stack) => request('restart', { stack, service }),
    heal: (service, stack) => request('heal', { stack, service }),
    down: (stack) => request('down', { stack }),
    ps: async (stack) => (await request('ps', { stack })).services,
    agents: async () => (await request('agents', {})).agents,
    health: () => request('health', {}),
    history: async (service, limit) => (await request('history', { service, limit })).entries,
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
      healing.close();
      status.close();
      agentClient.close();
      await events.flush();
      await transport
        .publish(topics.orchestratorState, presence('offline', session), { qos: 1, retain: true })
        .catch(() => undefined);
      await desired.flush();
      await healing.flush();
      await transport.close();
    },
  };
}
