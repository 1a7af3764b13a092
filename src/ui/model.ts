// The dashboard's view of the cluster, folded from what arrives on the bus. Pure: messages
// and the time in, a new state out (no DOM, no MQTT), so it is unit-tested in Node and the
// page only renders it.
import { describeProgress, progressOf } from '../cli/event-view.js';
import { buildGraph } from '../core/graph/index.js';
import type { ContainersSnapshot } from '../protocol/containers.js';
import { HEALING_EVENT_TYPES, type HistoryEntry, toHistoryEntry } from '../protocol/event-categories.js';
import { type AliciaEvent, eventSubject, type ServiceState } from '../protocol/events.js';
import type { IncomingMessage } from '../protocol/messages.js';
import type { AgentInfo, Heartbeat, Presence } from '../protocol/presence.js';
import type { StackGraph } from '../protocol/requests.js';
import type { ParsedTopic } from '../protocol/topics.js';

export interface AgentView {
  readonly agent: string;
  readonly presence: Presence | null;
  readonly info: AgentInfo | null;
  readonly heartbeat: Heartbeat | null;
  /** When the last heartbeat arrived, by the page's clock (ms). */
  readonly heartbeatAt: number | null;
  readonly containers: ContainersSnapshot | null;
}

/** A service's row of `alicia up`'s progress display, while its stack deploys. */
export interface Progress {
  readonly status: string;
  /** ms since the deploy started. */
  readonly elapsedMs: number;
}

export interface DeployView {
  readonly stack: string;
  readonly startedAt: number;
  readonly phase: 'deploying' | 'completed' | 'failed';
  readonly services: Readonly<Record<string, Progress>>;
}

export interface DashboardState {
  readonly orchestrator: Presence | null;
  readonly agents: Readonly<Record<string, AgentView>>;
  /** Keyed `stack/service`. */
  readonly services: Readonly<Record<string, ServiceState>>;
  /** Newest first, at most MAX_EVENTS. */
  readonly events: readonly AliciaEvent[];
  readonly deploys: Readonly<Record<string, DeployView>>;
  readonly graphs: Readonly<Record<string, StackGraph>>;
}

export const MAX_EVENTS = 500;

export const emptyState: DashboardState = {
  orchestrator: null,
  agents: {},
  services: {},
  events: [],
  deploys: {},
  graphs: {},
};

export type HostStatus = 'online' | 'suspect' | 'offline' | 'unknown';

/**
 * Online with heartbeats, suspect when its heartbeats stopped for 3 periods while its
 * presence still says online (a partition: the will has not fired yet), offline when its
 * presence (or will) says so.
 */
export function hostStatus(agent: AgentView, nowMs: number, heartbeatMs = 1000): HostStatus {
  if (!agent.presence) return 'unknown';
  if (agent.presence.state === 'offline') return 'offline';
  if (agent.heartbeatAt !== null && nowMs - agent.heartbeatAt > 3 * heartbeatMs) return 'suspect';
  return 'online';
}

function agentView(state: DashboardState, agent: string): AgentView {
  return (
    state.agents[agent] ?? {
      agent,
      presence: null,
      info: null,
      heartbeat: null,
      heartbeatAt: null,
      containers: null,
    }
  );
}

function withAgent(state: DashboardState, agent: string, patch: Partial<AgentView>): DashboardState {
  return { ...state, agents: { ...state.agents, [agent]: { ...agentView(state, agent), ...patch } } };
}

/** Folds one parsed message into the state. Messages the page does not show leave it as it is. */
export function applyMessage(state: DashboardState, message: IncomingMessage, nowMs: number): DashboardState {
  switch (message.kind) {
    case 'orchestrator_state':
      return { ...state, orchestrator: message.payload };
    case 'agent_state':
      return withAgent(state, message.topic.agent, { presence: message.payload });
    case 'agent_info':
      return withAgent(state, message.topic.agent, { info: message.payload });
    case 'agent_heartbeat':
      return withAgent(state, message.topic.agent, { heartbeat: message.payload, heartbeatAt: nowMs });
    case 'agent_containers':
      return withAgent(state, message.topic.agent, { containers: message.payload });
    case 'service_state': {
      const key = `${message.topic.stack}/${message.topic.service}`;
      return { ...state, services: { ...state.services, [key]: message.payload } };
    }
    case 'services_events':
      return applyEvent(state, message.payload, nowMs);
    default:
      return state;
  }
}

/** A retained state cleared (empty payload): the service or agent is gone. */
export function applyCleared(state: DashboardState, topic: ParsedTopic): DashboardState {
  if (topic.kind === 'service_state') {
    const { [`${topic.stack}/${topic.service}`]: _gone, ...services } = state.services;
    return { ...state, services };
  }
  return state;
}

function dataOf(event: AliciaEvent): Record<string, unknown> {
  return event.event_data as Record<string, unknown>;
}

/** What an event means for its service's progress row: the same text `alicia up` prints. */
export function progressStatus(event: AliciaEvent): string | null {
  const progress = progressOf(event);
  return progress ? describeProgress(progress) : null;
}

export function applyEvent(state: DashboardState, event: AliciaEvent, nowMs: number): DashboardState {
  if (state.events.some((e) => e.id === event.id)) return state;
  const events = [event, ...state.events].slice(0, MAX_EVENTS);
  const { stack, service } = eventSubject(event);
  let deploys = state.deploys;
  if (event.event_type === 'deploy_started' && stack !== undefined) {
    const services = Array.isArray(dataOf(event).services) ? (dataOf(event).services as string[]) : [];
    deploys = {
      ...deploys,
      [stack]: {
        stack,
        startedAt: nowMs,
        phase: 'deploying',
        services: Object.fromEntries(services.map((s) => [s, { status: 'pending', elapsedMs: 0 }])),
      },
    };
  } else if (stack !== undefined && deploys[stack] !== undefined) {
    const deploy = deploys[stack];
    if (event.event_type === 'deploy_completed' || event.event_type === 'deploy_failed') {
      deploys = {
        ...deploys,
        [stack]: { ...deploy, phase: event.event_type === 'deploy_completed' ? 'completed' : 'failed' },
      };
    } else if (deploy.phase === 'deploying' && service !== undefined) {
      const status = progressStatus(event);
      if (status !== null) {
        deploys = {
          ...deploys,
          [stack]: {
            ...deploy,
            services: { ...deploy.services, [service]: { status, elapsedMs: nowMs - deploy.startedAt } },
          },
        };
      }
    }
  }
  if (event.event_type === 'stack_removed' && stack !== undefined) {
    // Its retained service states are cleared by the orchestrator; its graph and deploy go here.
    const { [stack]: _deploy, ...otherDeploys } = deploys;
    const { [stack]: _graph, ...graphs } = state.graphs;
    return { ...state, events, deploys: otherDeploys, graphs };
  }
  return { ...state, events, deploys };
}

export function withGraphs(state: DashboardState, graphs: readonly StackGraph[]): DashboardState {
  return { ...state, graphs: { ...state.graphs, ...Object.fromEntries(graphs.map((g) => [g.stack, g])) } };
}

/** Every stack the page knows of (from service states, deploys and graphs), sorted. */
export function stacksOf(state: DashboardState): string[] {
  const names = new Set<string>();
  for (const s of Object.values(state.services)) names.add(s.stack);
  for (const name of Object.keys(state.deploys)) names.add(name);
  for (const name of Object.keys(state.graphs)) names.add(name);
  return [...names].sort();
}

/**
 * The layers to draw a stack in: the orchestrator's graph when the page has it (operators),
 * else the layers of the `depends_on` its retained service states carry (viewers may not
 * send requests), else one layer of the services it sees.
 */
export function layersOf(state: DashboardState, stack: string): string[][] {
  const graph = state.graphs[stack];
  const states = Object.values(state.services).filter((s) => s.stack === stack);
  const seen = states.map((s) => s.service).sort();
  if (!graph) return seen.length > 0 ? layersFromStates(states) : [];
  const placed = new Set(graph.layers.flat());
  const extra = seen.filter((s) => !placed.has(s));
  return extra.length > 0 ? [...graph.layers, extra] : graph.layers;
}

/** Start layers from the services' own `depends_on` (a dependency not seen yet is left out). */
function layersFromStates(states: readonly ServiceState[]): string[][] {
  const seen = new Set(states.map((s) => s.service));
  const input = Object.fromEntries(
    states.map((s) => [
      s.service,
      {
        depends_on: Object.fromEntries(
          (s.depends_on ?? [])
            .filter((d) => seen.has(d))
            .map((d) => [d, { condition: 'service_started', required: true }]),
        ),
      },
    ]),
  );
  const built = buildGraph(input);
  return built.ok ? built.graph.layers.map((layer) => [...layer]) : [[...seen].sort()];
}

export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

/** The colour a service is drawn in: its live state and health. */
export function serviceTone(s: ServiceState | undefined): Tone {
  if (!s) return 'idle';
  if (s.state === 'failed' || s.health === 'unhealthy') return 'bad';
  if (s.desired_replicas === 0) return 'idle';
  if (
    s.health === 'degraded' ||
    s.health === 'recovering' ||
    s.state === 'starting' ||
    s.running_replicas + s.completed_replicas < s.desired_replicas
  )
    return 'warn';
  return 'ok';
}

/** Events matching the filters: a type prefix or exact type, a stack, a free text on the service or agent. */
export function filterEvents(
  events: readonly AliciaEvent[],
  filter: { type?: string; stack?: string; text?: string },
): AliciaEvent[] {
  const text = filter.text?.trim().toLowerCase() ?? '';
  return events.filter((e) => {
    if (filter.type && filter.type !== 'all' && !e.event_type.startsWith(filter.type)) return false;
    const subject = eventSubject(e);
    if (filter.stack && filter.stack !== 'all' && subject.stack !== filter.stack) return false;
    if (text !== '') {
      const hay = `${e.event_type} ${subject.stack ?? ''} ${subject.service ?? ''} ${subject.agent ?? ''}`;
      if (!hay.toLowerCase().includes(text)) return false;
    }
    return true;
  });
}

/**
 * A service's healing history from the events seen on the bus, newest first: what a viewer
 * gets (viewers may not send the `history` request), in the history request's entries.
 */
export function historyFromEvents(
  events: readonly AliciaEvent[],
  stack: string,
  service: string,
): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const event of events) {
    if (!HEALING_EVENT_TYPES.has(event.event_type)) continue;
    const subject = eventSubject(event);
    if (subject.stack !== stack || subject.service !== service) continue;
    const entry = toHistoryEntry(event);
    if (entry) entries.push(entry);
  }
  return entries;
}
