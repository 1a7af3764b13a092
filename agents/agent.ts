// The host agent's composition root: state on disk, the container runtime, the MQTT
// transport, and the wiring between them. One agent per host; `startAgent` is what both
// `alicia agent` and the orchestrator's embedded `alicia up` call.
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock, type TimerHandle } from '../src/clock/index.js';
import { aliciaError } from '../src/core/errors.js';
import { createLogger } from '../src/logging/logger.js';
import { FEATURES } from '../src/protocol/container-spec.js';
import type { ContainersSnapshot } from '../src/protocol/containers.js';
import { isTopicId } from '../src/protocol/ids.js';
import type { Presence } from '../src/protocol/presence.js';
import { createTopics, DEFAULT_PREFIX } from '../src/protocol/topics.js';
import { PROTOCOL_VERSION } from '../src/protocol/version.js';
import { createMqttTransport } from '../src/transport/mqtt.js';
import { ALICIA_VERSION } from '../src/version.js';
import { createActionHandler } from './action-handler.js';
import { createAgentStats } from './agent-stats.js';
import { buildHeartbeat, buildInfo, defaultAddress } from './host-info.js';
import { createInstanceManager } from './instance-manager.js';
import type { Agent, AgentOptions } from './options.js';
import { openStateStore } from './state-store.js';
import { createThrottle } from './throttle.js';
import { openTransactionLog } from './transactions.js';

const DEFAULT_HEARTBEAT_MS = 1_000;
/** startAgent waits this long for the broker before returning (ms); it keeps trying after. */
const CONNECT_WAIT_MS = 5_000;
/** A clean stop gives the offline message this long to reach the broker (ms). */
const OFFLINE_PUBLISH_MS = 2_000;

function within<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: TimerHandle | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = clock.setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clock.clearTimeout(timer));
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const id = options.id;
  if (!isTopicId(id)) {
    throw aliciaError(
      'ALICIA_ERR_ID_INVALID',
      `agent id ${JSON.stringify(id)} must be one topic level of letters, digits, "_", "." and "-"`,
    );
  }
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!Number.isInteger(heartbeatMs) || heartbeatMs <= 0) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `heartbeatMs must be a positive whole number of milliseconds, got ${heartbeatMs}`,
    );
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const topics = createTopics(prefix);
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const features = [...(options.protocolFeatures ?? FEATURES)].sort();
  const rootLog = options.log ?? createLogger();
  const log = rootLog.child({ component: 'agent', agent: id });
  const startedAt = now();
  const hostname = options.hostname ?? os.hostname();
  const labels = { ...options.labels };
  const role = options.role ?? 'worker';
  const address = options.address ?? defaultAddress(options.brokerUrl);
  // What other hosts reach this one at: given, else our end of the broker connection (the
  // interface that routes to the broker is the one the other hosts share), else the guess above.
  const advertisedAddress = (): string => options.address ?? transportRef.current?.localAddress ?? address;

  try {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `state dir ${options.stateDir} cannot be created (${(err as { code?: string }).code ?? String(err)})`,
      { cause: err },
    );
  }
  const store = await openStateStore(options.stateDir, log);
  const transactions = await openTransactionLog(options.stateDir, log);
  const ownsRuntime = options.runtime === undefined;
  // Lazy: dockerode is loaded only when no runtime is injected (memory runtime, simulations).
  const runtime =
    options.runtime ??
    (await import('./runtime/docker-runtime.js')).createDockerRuntime({
      log: rootLog.child({ agent: id }),
      filesDir: join(options.stateDir, 'files'),
      clock,
    });
  const stats = createAgentStats();
  let closing = false;
  let dockerVersion: string | null = null;

  // The transport is created last (it connects at once) but the closures below need it.
  const transportRef: { current: ReturnType<typeof createMqttTransport> | null } = { current: null };
  const connected = () => transportRef.current?.connected === true;

  const publishContainers = async () => {
    const transport = transportRef.current;
    if (!transport?.connected) return;
    const snapshot: ContainersSnapshot = {
      v: PROTOCOL_VERSION,
      agent: id,
      session: store.session,
      ts: now(),
      containers: manager.reports(),
    };
    await transport.publish(topics.agentContainers(id), snapshot, { qos: 1, retain: true });
    stats.snapshots_published += 1;
  };
  const snapshots = createThrottle(
    options.snapshotDebounceMs ?? 100,
    () => {
      publishContainers().catch((err: unknown) =>
        log.warn({ err }, 'could not publish the containers snapshot'),
      );
    },
    clock,
  );

  const manager = createInstanceManager({
    agent: id,
    runtime,
    store,
    policy: options.policy ?? {},
    address,
    env: process.env,
    clock,
    stats,
    startProbe: options.startProbe !== false,
    onChange: (urgent) => snapshots.schedule(urgent),
    log,
  });

  const publishInfo = async () => {
    const transport = transportRef.current;
    dockerVersion = (await runtime.version()) ?? dockerVersion;
    if (!transport?.connected) return;
    const info = buildInfo({
      agent: id,
      hostname,
      labels,
      role,
      dockerVersion,
      agentVersion: ALICIA_VERSION,
      features,
      address: advertisedAddress(),
      now: now(),
    });
    await transport.publish(topics.agentInfo(id), info, { qos: 1, retain: true });
  };
  const resync = async () => {
    await publishInfo();
    snapshots.now();
  };

  const presence = (state: Presence['state'], session: number): Presence => ({
    v: PROTOCOL_VERSION,
    state,
    session,
    ts: now(),
    version: ALICIA_VERSION,
  });

  const transport = createMqttTransport({
    url: options.brokerUrl,
    // Pinned by the broker's ACLs: agent <id> may only connect as alicia-agent-<id>.
    clientId: `alicia-agent-${id}`,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    prefix,
    // Evaluated before every connect: each connection gets the next session number, so a
    // late will from an older connection (lower session) can be told apart and ignored.
    will: () => ({
      topic: topics.agentState(id),
      payload: presence('offline', store.nextSession()),
      qos: 1,
      retain: true,
    }),
    // Persistent session: commands published while the agent is briefly away are queued.
    clean: false,
    keepaliveS: options.keepaliveS ?? 5,
    reconnectMs: options.reconnectMs ?? 500,
    maxReconnectMs: options.maxReconnectMs ?? 5_000,
    log: rootLog.child({ component: 'mqtt', agent: id }),
  });
  transportRef.current = transport;

  const commands = createActionHandler({
    agent: id,
    prefix,
    manager,
    transactions,
    ...(options.commandSecret !== undefined ? { commandSecret: options.commandSecret } : {}),
    features,
    clock,
    stats,
    respond: (topic, response) => transport.publish(topic, response, { qos: 1 }),
    resync,
    log,
  });

  let seq = 0;
  let wasConnected = false;
  let orchestratorSession: number | null = null;
  let announced: () => void = () => undefined;
  const firstAnnounce = new Promise<void>((resolve) => {
    announced = resolve;
  });

  transport.onConnect(({ sessionPresent }) => {
    seq = 0;
    wasConnected = true;
    const session = store.session;
    log.info({ session, sessionPresent }, 'connected to broker');
    void (async () => {
      try {
        // Subscribed before saying online: whoever sees `online` may send commands at once.
        await transport.subscribe([topics.filters.agentCmds(id), topics.orchestratorState], 1);
        await transport.publish(topics.agentState(id), presence('online', session), { qos: 1, retain: true });
        await resync();
        announced();
      } catch (err) {
        log.warn({ err }, 'could not announce the agent after connecting');
      }
    })();
  });
  transport.onDisconnect(() => {
    if (closing || !wasConnected) return;
    wasConnected = false;
    log.warn('broker connection lost; containers keep running and healing goes on, reconnecting');
  });
  transport.onMessage((message, raw) => {
    if (closing) return;
    if (message.topic?.kind === 'orchestrator_state') {
      if (!message.ok) {
        stats.rejected_other += 1;
        return;
      }
      const state = message.payload as Presence;
      // A new orchestrator session: it may have lost what it knew, tell it again.
      if (state.state === 'online' && state.session !== orchestratorSession) {
        const first = orchestratorSession === null;
        orchestratorSession = state.session;
        if (!first) resync().catch((err: unknown) => log.warn({ err }, 'resync for the orchestrator failed'));
      }
      return;
    }
    commands.handle(message, raw);
  });

  const heartbeat = clock.setInterval(() => {
    if (!connected()) return;
    const beat = buildHeartbeat({
      seq,
      session: store.session,
      running: manager.running(),
      startedAt,
      now: now(),
    });
    seq += 1;
    // QoS 0: a lost heartbeat is exactly what the orchestrator's TTL is there to notice.
    transport.publish(topics.agentHeartbeat(id), beat, { qos: 0 }).catch(() => undefined);
  }, heartbeatMs);

  manager.start();
  const ready = await within(
    clock,
    firstAnnounce.then(() => true),
    CONNECT_WAIT_MS,
  );
  if (!ready)
    log.warn(
      { broker: options.brokerUrl },
      'broker not reachable yet; running containers locally and retrying',
    );
  log.info({ hostname, role, labels, stateDir: options.stateDir, version: ALICIA_VERSION }, 'agent started');

  let closed: Promise<void> | null = null;
  return {
    id,
    get session() {
      return store.session;
    },
    stats,
    transport,
    containers: () => manager.reports(),
    close() {
      closed ??= (async () => {
        closing = true;
        clock.clearInterval(heartbeat);
        await within(clock, commands.idle(), 5_000);
        await manager.close();
        snapshots.close();
        if (transport.connected) {
          await within(
            clock,
            transport
              .publish(topics.agentState(id), presence('offline', store.session), { qos: 1, retain: true })
              .catch((err: unknown) => log.warn({ err }, 'could not publish offline')),
            OFFLINE_PUBLISH_MS,
          );
        }
        await within(clock, transport.close(), 3_000);
        await store.flush();
        await transactions.flush();
        if (ownsRuntime) await runtime.close();
        log.info('agent stopped; containers keep running');
      })();
      return closed;
    },
  };
}
