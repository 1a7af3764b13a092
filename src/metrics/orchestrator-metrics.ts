// The orchestrator's Prometheus registry. Counters and histograms are fed by what happens
// (typed events through events.onEvent, agent actions and their responses seen on the
// transport); gauges are read at scrape time from the typed `ps`, `agents` and `health`
// requests, so the numbers are the ones `alicia ps` shows and nothing keeps a copy.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import type {
  AgentRow,
  AliciaEvent,
  ReplyData,
  RequestBody,
  RequestMethod,
  ServiceState,
  SystemHealth,
} from '../protocol/index.js';
import { parseTopic } from '../protocol/topics.js';
import type { Transport } from '../transport/index.js';
import { countsOf } from './event-counts.js';
import { registerProcessMetrics, registerTransportMetrics } from './transport-metrics.js';

export interface OrchestratorMetricsSource {
  events: { onEvent(listener: (event: AliciaEvent) => void): () => void };
  request<M extends RequestMethod>(method: M, body: RequestBody<M>): Promise<ReplyData<M>>;
  transport: Pick<Transport, 'stats' | 'connected' | 'protocolVersion' | 'onPublished' | 'onMessage'>;
  prefix: string;
  /** Monotonic-enough milliseconds for round trips (default performance.now). */
  nowMs?: () => number;
  log: Logger;
}

/** What /status answers: the same numbers as the gauges, as JSON. */
export interface OrchestratorStatus {
  health: SystemHealth;
  agents: AgentRow[];
  services: ServiceState[];
  mqtt: { connected: boolean; protocol_version: number | null; reconnects: number; rejected: number };
}

export interface OrchestratorMetrics {
  readonly registry: Registry;
  /** Reads the request API once; gauges then show this snapshot. */
  refresh(): Promise<OrchestratorStatus>;
  /** The exposition text (after a refresh). */
  metrics(): Promise<string>;
  healthy(): boolean;
  close(): void;
}

/** Seconds; a deploy takes from under a second to a few minutes (startup timeouts). */
const DEPLOY_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Seconds; an agent answers an action in milliseconds unless Docker is slow (pulls, stops). */
const ROUND_TRIP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Unanswered actions remembered at most (a lost agent must not grow the map forever). */
const MAX_PENDING = 10_000;

export function createOrchestratorMetrics(source: OrchestratorMetricsSource): OrchestratorMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const nowMs = source.nowMs ?? (() => performance.now());
  let snapshot: OrchestratorStatus | null = null;

  const agents = new Gauge({
    name: 'alicia_agents',
    help: 'Agents by liveness state',
    labelNames: ['state'],
    registers: [registry],
  });
  const instances = new Gauge({
    name: 'alicia_instances',
    help: 'Instances by service, state and health',
    labelNames: ['stack', 'service', 'state', 'health'],
    registers: [registry],
  });
  const replicas = new Gauge({
    name: 'alicia_service_replicas',
    help: 'Replicas of a service: desired, running, healthy',
    labelNames: ['stack', 'service', 'kind'],
    registers: [registry],
  });
  const healthPercentage = new Gauge({
    name: 'alicia_health_percentage',
    help: 'Share of services that are healthy (system health summary), percent',
    registers: [registry],
  });
  const uptime = new Gauge({
    name: 'alicia_orchestrator_uptime_seconds',
    help: 'Seconds since the orchestrator started',
    registers: [registry],
  });
  registerTransportMetrics(registry, source.transport);

  const events = new Counter({
    name: 'alicia_events_total',
    help: 'Lifecycle events emitted, by type',
    labelNames: ['event_type'],
    registers: [registry],
  });
  const restarts = new Counter({
    name: 'alicia_restarts_total',
    help: 'Service restarts, by who restarted (agent: healing, operator: a request)',
    labelNames: ['stack', 'service', 'by'],
    registers: [registry],
  });
  const reschedules = new Counter({
    name: 'alicia_reschedules_total',
    help: 'Instances moved to another host',
    labelNames: ['stack', 'service'],
    registers: [registry],
  });
  const healing = new Counter({
    name: 'alicia_healing_actions_total',
    help: 'Healing actions (the healing history), by action and result',
    labelNames: ['action', 'result'],
    registers: [registry],
  });
  const deployDuration = new Histogram({
    name: 'alicia_deploy_duration_seconds',
    help: 'Duration of deploys, by result',
    labelNames: ['result'],
    buckets: DEPLOY_BUCKETS,
    registers: [registry],
  });
  const roundTrip = new Histogram({
    name: 'alicia_action_round_trip_seconds',
    help: 'From an action published to an agent to its response, by action and status',
    labelNames: ['action', 'status'],
    buckets: ROUND_TRIP_BUCKETS,
    registers: [registry],
  });

  const offEvents = source.events.onEvent((event) => {
    events.inc({ event_type: event.event_type });
    const counts = countsOf(event);
    if (counts.restart) restarts.inc(counts.restart);
    if (counts.reschedule) reschedules.inc(counts.reschedule);
    if (counts.healing) healing.inc(counts.healing);
    if (counts.deploy) deployDuration.observe({ result: counts.deploy.result }, counts.deploy.seconds);
  });

  // Round trips: an action is timed from its first publish (a retry re-sends the same
  // transaction and must not restart the clock) to the first response naming it.
  const pending = new Map<string, number>();
  const offPublished = source.transport.onPublished((topic, payload) => {
    const parsed = parseTopic(topic, source.prefix);
    if (parsed?.kind !== 'agent_cmd') return;
    const transaction = (payload as { transaction?: unknown } | null)?.transaction;
    if (typeof transaction !== 'string') return;
    const key = `${parsed.agent}/${transaction}`;
    if (pending.has(key)) return;
    if (pending.size >= MAX_PENDING) {
      const oldest = pending.keys().next().value;
      if (oldest !== undefined) pending.delete(oldest);
    }
    pending.set(key, nowMs());
  });
  const offMessages = source.transport.onMessage((message) => {
    if (!message.ok || message.kind !== 'agent_response') return;
    const { transaction, status } = message.payload;
    if (transaction === null) return;
    const key = `${message.topic.agent}/${transaction}`;
    const started = pending.get(key);
    if (started === undefined) return;
    pending.delete(key);
    roundTrip.observe({ action: message.topic.action, status }, (nowMs() - started) / 1000);
  });

  async function refresh(): Promise<OrchestratorStatus> {
    const [health, agentReply, ps] = await Promise.all([
      source.request('health', {}),
      source.request('agents', {}),
      source.request('ps', {}),
    ]);
    agents.reset();
    for (const state of ['online', 'suspect', 'offline', 'unknown'] as const) agents.set({ state }, 0);
    for (const row of agentReply.agents) agents.inc({ state: row.status });
    instances.reset();
    replicas.reset();
    for (const s of ps.services) {
      const service = { stack: s.stack, service: s.service };
      replicas.set({ ...service, kind: 'desired' }, s.desired_replicas);
      replicas.set({ ...service, kind: 'running' }, s.running_replicas);
      replicas.set({ ...service, kind: 'healthy' }, s.healthy_replicas);
      for (const i of s.instances) instances.inc({ ...service, state: i.state, health: i.health });
    }
    healthPercentage.set(health.health_percentage);
    uptime.set(health.uptime_s);
    const t = source.transport;
    snapshot = {
      health,
      agents: agentReply.agents,
      services: ps.services,
      mqtt: {
        connected: t.connected,
        protocol_version: t.protocolVersion,
        reconnects: t.stats.reconnects,
        rejected: t.stats.rejected,
      },
    };
    return snapshot;
  }

  return {
    registry,
    refresh,
    async metrics() {
      try {
        await refresh();
      } catch (err) {
        // A scrape still gets the counters (and the last gauges) when a request fails.
        source.log.warn({ err }, 'metrics: could not read the orchestrator state');
      }
      return registry.metrics();
    },
    healthy: () => source.transport.connected,
    close() {
      offEvents();
      offPublished();
      offMessages();
      pending.clear();
    },
  };
}
