// MQTT connection metrics, shared by the orchestrator's and the agent's registries: read
// from the transport's own counters at scrape time.
import { Counter, collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import type { Transport } from '../transport/index.js';

export type TransportView = Pick<Transport, 'stats' | 'connected' | 'protocolVersion'>;

/** A counter that mirrors a running total kept elsewhere (reset, then set, at each scrape). */
function mirror(counter: Counter<string>, labels: Record<string, string>, total: number): void {
  counter.inc(labels, total);
}

export function registerTransportMetrics(registry: Registry, transport: TransportView): void {
  new Gauge({
    name: 'alicia_mqtt_connected',
    help: '1 while the connection to the broker is up',
    registers: [registry],
    collect() {
      this.set(transport.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'alicia_mqtt_protocol_version',
    help: 'MQTT protocol level of the connection: 5 (MQTT 5.0) or 4 (MQTT 3.1.1); 0 before the first',
    registers: [registry],
    collect() {
      this.set(transport.protocolVersion ?? 0);
    },
  });
  new Counter({
    name: 'alicia_mqtt_reconnects_total',
    help: 'Connections to the broker made after the first one',
    registers: [registry],
    collect() {
      this.reset();
      mirror(this, {}, transport.stats.reconnects);
    },
  });
  new Counter({
    name: 'alicia_mqtt_messages_received_total',
    help: 'Messages received on Alicia topics',
    registers: [registry],
    collect() {
      this.reset();
      mirror(this, {}, transport.stats.received);
    },
  });
  new Counter({
    name: 'alicia_mqtt_messages_published_total',
    help: 'Messages published and accepted by the broker',
    registers: [registry],
    collect() {
      this.reset();
      mirror(this, {}, transport.stats.published);
    },
  });
  new Counter({
    name: 'alicia_rejected_messages_total',
    help: 'Incoming messages refused at the edge, by reason (ALICIA_ERR_* code)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, total] of Object.entries(transport.stats.rejectedByReason)) {
        mirror(this, { reason }, total);
      }
    },
  });
}

/**
 * prom-client's process and Node.js metrics, less the three gauges it names `*_total`
 * (`nodejs_active_{handles,requests,resources}_total`), which `promtool check metrics`
 * rejects ("non-counter metrics should not have _total suffix"); the same numbers stay
 * under `nodejs_active_handles` and `nodejs_active_resources`.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of [
    'nodejs_active_handles_total',
    'nodejs_active_requests_total',
    'nodejs_active_resources_total',
  ]) {
    registry.removeSingleMetric(name);
  }
}
