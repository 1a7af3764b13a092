// The agent registry: what the orchestrator knows of each agent, from its retained state,
// info and containers and its heartbeats. Liveness decisions are the pure functions of
// core/registry; this adapter feeds them and runs the tick on a timer.
import type { PlacementNode } from '../core/placement/index.js';
import {
  type AgentLiveness,
  type AgentStatus,
  applyHeartbeat,
  applyPresence,
  type LivenessEvent,
  restoreSight,
  tickLiveness,
} from '../core/registry/index.js';
import type {
  AgentInfo,
  ContainerReport,
  ContainersSnapshot,
  Heartbeat,
  Presence,
} from '../protocol/index.js';

export interface AgentEntry {
  readonly id: string;
  liveness: AgentLiveness | null;
  info: AgentInfo | null;
  containers: ContainersSnapshot | null;
  heartbeat: Heartbeat | null;
}

export type RegistryChange =
  | { kind: 'containers'; agent: string }
  | { kind: 'liveness'; agent: string; event: LivenessEvent }
  | { kind: 'info'; agent: string };

export interface ObservedReport extends ContainerReport {
  readonly agent: string;
}

export interface Registry {
  onPresence(agent: string, presence: Presence): void;
  onInfo(agent: string, info: AgentInfo): void;
  onHeartbeat(agent: string, heartbeat: Heartbeat): void;
  onContainers(agent: string, snapshot: ContainersSnapshot): void;
  tick(): void;
  /** After the orchestrator's own outage: what it did not hear while blind counts from `now`. */
  restoreSight(graceMs: number): void;
  onChange(listener: (change: RegistryChange) => void): () => void;
  get(agent: string): AgentEntry | undefined;
  list(): AgentEntry[];
  status(agent: string): AgentStatus | 'unknown';
  /** Online agents whose info we have: where new instances may go. */
  nodes(): PlacementNode[];
  /** Every container every agent reports (stale for agents that are not online). */
  reports(): ObservedReport[];
  /** The report of one instance on one agent. */
  report(agent: string, instance: string): ContainerReport | undefined;
  /** Agents that are not online (or never heard from) among `agents`. */
  unreachable(agents: Iterable<string>): Set<string>;
}

export function createRegistry(options: { heartbeatMs: number; now: () => number }): Registry {
  const agents = new Map<string, AgentEntry>();
  const reportIndex = new Map<string, Map<string, ContainerReport>>();
  const listeners = new Set<(change: RegistryChange) => void>();

  const entry = (id: string): AgentEntry => {
    let found = agents.get(id);
    if (found === undefined) {
      found = { id, liveness: null, info: null, containers: null, heartbeat: null };
      agents.set(id, found);
    }
    return found;
  };
  const notify = (change: RegistryChange): void => {
    for (const listener of listeners) listener(change);
  };
  const applyLiveness = (
    e: AgentEntry,
    result: { record: AgentLiveness; events: readonly LivenessEvent[] },
  ) => {
    e.liveness = result.record;
    for (const event of result.events) notify({ kind: 'liveness', agent: e.id, event });
  };

  return {
    onPresence(agent, presence) {
      const e = entry(agent);
      applyLiveness(e, applyPresence(e.liveness ?? undefined, agent, presence, options.now()));
    },
    onInfo(agent, info) {
      entry(agent).info = info;
      notify({ kind: 'info', agent });
    },
    onHeartbeat(agent, heartbeat) {
      const e = entry(agent);
      e.heartbeat = heartbeat;
      applyLiveness(e, applyHeartbeat(e.liveness ?? undefined, agent, heartbeat, options.now()));
    },
    onContainers(agent, snapshot) {
      const e = entry(agent);
      // Snapshots are retained and published in order; one from an older session than the
      // newest we know is a stale retained copy.
      if (e.containers !== null && snapshot.session < e.containers.session) return;
      e.containers = snapshot;
      reportIndex.set(agent, new Map(snapshot.containers.map((c) => [c.instance, c])));
      notify({ kind: 'containers', agent });
    },
    tick() {
      const now = options.now();
      for (const e of agents.values()) {
        if (e.liveness === null) continue;
        applyLiveness(e, tickLiveness(e.liveness, now, { heartbeatMs: options.heartbeatMs }));
      }
    },
    restoreSight(graceMs) {
      const now = options.now();
      for (const e of agents.values())
        if (e.liveness !== null) e.liveness = restoreSight(e.liveness, now, graceMs);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get: (agent) => agents.get(agent),
    list: () => [...agents.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    status: (agent) => agents.get(agent)?.liveness?.status ?? 'unknown',
    nodes() {
      const out: PlacementNode[] = [];
      for (const e of agents.values()) {
        if (e.liveness?.status !== 'online' || e.info === null) continue;
        out.push({
          id: e.id,
          hostname: e.info.hostname,
          labels: e.info.labels,
          arch: e.info.arch,
          os: e.info.os,
          role: e.info.role,
          protocol: e.info.protocol,
          features: e.info.features,
        });
      }
      return out;
    },
    reports() {
      const out: ObservedReport[] = [];
      for (const e of agents.values()) {
        for (const c of e.containers?.containers ?? []) out.push({ ...c, agent: e.id });
      }
      return out;
    },
    report: (agent, instance) => reportIndex.get(agent)?.get(instance),
    unreachable(ids) {
      const out = new Set<string>();
      for (const id of ids) if (agents.get(id)?.liveness?.status !== 'online') out.add(id);
      return out;
    },
  };
}
