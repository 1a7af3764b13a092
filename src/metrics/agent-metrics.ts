// An agent's Prometheus registry: its managed containers by state and health (the same
// reports it retains on <prefix>/agents/<id>/containers), its counters and its MQTT link.
import { Counter, Gauge, Registry } from 'prom-client';
import type { ContainerReport } from '../protocol/containers.js';
import { registerProcessMetrics, registerTransportMetrics, type TransportView } from './transport-metrics.js';

export interface AgentMetricsSource {
  readonly id: string;
  /** The agent's running totals (AgentStats): commands, duplicates, heal_restarts… */
  stats(): Readonly<Record<string, number>>;
  readonly transport: TransportView;
  containers(): ContainerReport[];
}

export interface AgentMetrics {
  readonly registry: Registry;
  metrics(): Promise<string>;
  healthy(): boolean;
  status(): { agent: string; containers: ContainerReport[]; mqtt: Record<string, unknown> };
}

export function createAgentMetrics(source: AgentMetricsSource): AgentMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ agent: source.id });
  registerProcessMetrics(registry);
  registerTransportMetrics(registry, source.transport);
  new Gauge({
    name: 'alicia_agent_containers',
    help: 'Managed containers on this host by stack, service, state and health',
    labelNames: ['stack', 'service', 'state', 'health'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of source.containers()) {
        this.inc({ stack: c.stack, service: c.service, state: c.state, health: c.health });
      }
    },
  });
  new Counter({
    name: 'alicia_agent_container_restarts_total',
    help: 'Restarts of the managed containers (Docker and the agent), as the agent reports them',
    labelNames: ['stack', 'service'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of source.containers()) {
        this.inc({ stack: c.stack, service: c.service }, c.restarts);
      }
    },
  });
  new Counter({
    name: 'alicia_agent_events_total',
    help: "The agent's own counters (AgentStats), by kind: commands, duplicates, heal_restarts, …",
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, total] of Object.entries(source.stats())) this.inc({ kind }, total);
    },
  });
  return {
    registry,
    metrics: () => registry.metrics(),
    healthy: () => source.transport.connected,
    status: () => ({
      agent: source.id,
      containers: source.containers(),
      mqtt: {
        connected: source.transport.connected,
        protocol_version: source.transport.protocolVersion,
        ...source.transport.stats,
      },
    }),
  };
}
