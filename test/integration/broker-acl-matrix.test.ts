// The allow/deny matrix (test/helpers/acl-matrix.ts) through real MQTT.js clients on the
// embedded aedes broker (port 0) with users, roles and ACLs. A refused subscription must
// get SUBACK 0x80; a refused publish must not reach an authorized subscriber (proved by a
// sentinel published after it) and aedes closes the publisher's connection.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { hashPassword } from '../../broker/users.js';
import {
  ACL_MATRIX,
  connectAs,
  MATRIX_USERS,
  OTHER_AGENT,
  observeRow,
  SENTINEL_TOPIC,
} from '../helpers/acl-matrix.js';

let broker: EmbeddedBroker;
let orchestrator: MqttClient;
const leaked: string[] = [];

beforeAll(async () => {
  const users = await Promise.all(
    [...Object.values(MATRIX_USERS), OTHER_AGENT].map(async (u) => ({
      name: u.name,
      role: u.role,
      password_hash: await hashPassword(u.password, { N: 1024, r: 8, p: 1 }),
    })),
  );
  broker = await startEmbeddedBroker({ port: 0, security: { users } });
  orchestrator = await connectAs(broker.url, MATRIX_USERS.orchestrator);
  // The observer of publish rows: Alicia's topics and Home Assistant's discovery prefix.
  await orchestrator.subscribeAsync(['alicia/#', 'homeassistant/#'], { qos: 1 });
  // Every probe a refused publish carried must never show up, even late.
  orchestrator.on('message', (topic, payload) => {
    const text = payload.toString('utf8');
    if (text.startsWith('probe:') && topic !== SENTINEL_TOPIC) leaked.push(`${topic} ${text}`);
  });
});

afterAll(async () => {
  await orchestrator?.endAsync(true);
  await broker?.close();
});

describe('embedded broker: ACL matrix', () => {
  const rows = ACL_MATRIX.map((row) => [row.name, row] as const);
  it.each(rows)('%s', async (_name, row) => {
    const seen = await observeRow(broker.url, row, orchestrator);
    expect(seen.delivered).toBe(row.allowed);
    if (row.action === 'subscribe') {
      expect(seen.granted).toBe(row.suback === 'granted' ? 1 : 128);
    } else {
      // aedes answers a refused publish by closing the connection [MQTT-3.3.5-2].
      expect(seen.publishOutcome).toBe(row.allowed ? 'acked' : 'closed');
    }
  });

  it('counted every refusal', () => {
    const refusedPublishes = ACL_MATRIX.filter((r) => r.action === 'publish' && !r.allowed).length;
    const refusedSubscribes = ACL_MATRIX.filter(
      (r) => r.action === 'subscribe' && r.suback === 'refused',
    ).length;
    expect(broker.stats.refused.publish).toBe(refusedPublishes);
    expect(broker.stats.refused.subscribe).toBe(refusedSubscribes);
    expect(broker.stats.refused.connect).toBe(0);
    // Filtered grants held back at least the probes of the held-back wildcard rows.
    expect(broker.stats.filtered).toBeGreaterThan(0);
  });

  it('delivered only allowed probes to the observer', () => {
    const allowedTopics = new Set(
      ACL_MATRIX.filter((r) => r.action === 'publish' && r.allowed).map((r) => r.topic),
    );
    const subscribeProbes = new Set(ACL_MATRIX.filter((r) => r.action === 'subscribe').map((r) => r.probe));
    for (const line of leaked) {
      const topic = line.split(' ')[0] ?? '';
      // The observer sees the orchestrator's own subscribe-row probes and allowed publishes.
      expect(allowedTopics.has(topic) || subscribeProbes.has(topic)).toBe(true);
    }
  });
});
