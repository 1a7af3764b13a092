// Fuzz through the secured embedded broker (aedes, port 0): 10,000+ hostile payloads
// published with orchestrator credentials on every topic family reach a subscriber that
// uses the real MQTT transport; each one is counted as rejected, none takes anything down.
// Packets beyond the broker's limit are refused by the broker itself (counted there).
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { hashPassword } from '../../broker/users.js';
import { silentLogger } from '../../src/logging/logger.js';
import { parseIncoming } from '../../src/protocol/messages.js';
import { createMqttTransport, type Transport } from '../../src/transport/index.js';
import { connectAs, MATRIX_USERS, nextMessage } from '../helpers/acl-matrix.js';
import { SAMPLES } from '../helpers/samples.js';
import { until } from '../helpers/wait.js';
import { hostilePayloads, oversizedPayloads } from './fuzz-payloads.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

const TOPICS = [...Object.keys(SAMPLES), 'alicia/agents/pi-1/cmd/bogus', 'alicia/orchestrator/request/bogus'];

describe('fuzz: through the broker to a transport', () => {
  it('counts every one of 10,000+ hostile payloads as rejected and stays up', {
    timeout: 120_000,
  }, async () => {
    const users = await Promise.all(
      [MATRIX_USERS.orchestrator, MATRIX_USERS.operator].map(async (u) => ({
        name: u.name,
        role: u.role,
        password_hash: await hashPassword(u.password, { N: 1024, r: 8, p: 1 }),
      })),
    );
    const broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0, security: { users } });
    open.push(broker);
    const subscriber: Transport = createMqttTransport({
      url: broker.url,
      clientId: 'fuzz-subscriber',
      username: 'operator',
      password: 'operator-secret',
      prefix: 'alicia',
      log: silentLogger(),
    });
    open.push(subscriber);
    await subscriber.ready();
    await subscriber.subscribe(['alicia/#'], 1);

    const fuzzer: MqttClient = await connectAs(broker.url, {
      ...MATRIX_USERS.orchestrator,
      clientId: 'alicia-orchestrator-fuzz',
    });
    open.push({ close: () => fuzzer.endAsync(true) });

    // Only payloads the protocol refuses: the odd mutation that stayed valid is left out, so
    // "every one rejected" is exact.
    const batch: { topic: string; payload: Buffer }[] = [];
    for (const [i, topic] of TOPICS.entries()) {
      for (const { payload } of [
        ...hostilePayloads(topic, 360, 7000 + i),
        ...oversizedPayloads(i < 3 ? 1 : 0),
      ]) {
        if (!parseIncoming(topic, payload).ok) batch.push({ topic, payload });
      }
    }
    expect(batch.length).toBeGreaterThanOrEqual(10_000);
    for (let i = 0; i < batch.length; i += 500) {
      await Promise.all(
        batch.slice(i, i + 500).map((m) => fuzzer.publishAsync(m.topic, m.payload, { qos: 1 })),
      );
    }
    await until(() => subscriber.stats.received >= batch.length, {
      what: 'every fuzz message received',
      timeoutMs: 60_000,
    });
    expect(subscriber.stats).toMatchObject({ received: batch.length, rejected: batch.length });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();

    // Beyond the broker's packet limit: the broker closes the publisher, nothing is delivered.
    const big = await connectAs(broker.url, {
      ...MATRIX_USERS.orchestrator,
      clientId: 'alicia-orchestrator-big',
    });
    const closed = new Promise<void>((resolve) => big.once('close', () => resolve()));
    big.publish('alicia/agents/pi-1/cmd/start', Buffer.alloc(2 * 1024 * 1024, 0x20), { qos: 1 });
    await closed;
    big.end(true);
    expect(broker.stats.refused.oversized).toBe(1);

    // Still up: a valid message after all that is delivered and accepted.
    const watcher = await connectAs(broker.url, MATRIX_USERS.operator);
    open.push({ close: () => watcher.endAsync(true) });
    await watcher.subscribeAsync('alicia/agents/pi-1/state', { qos: 1 });
    const got = nextMessage(watcher, (t) => t === 'alicia/agents/pi-1/state');
    await fuzzer.publishAsync(
      'alicia/agents/pi-1/state',
      JSON.stringify(SAMPLES['alicia/agents/pi-1/state']),
      { qos: 1 },
    );
    await got;
    await until(() => subscriber.stats.received === batch.length + 1, {
      what: 'the valid message',
      timeoutMs: 60_000,
    });
    expect(subscriber.stats.rejected).toBe(batch.length);
    expect(subscriber.connected).toBe(true);
  });
});
