// Commands to agents over a real broker (aedes on port 0): an unanswered command is sent
// again with the same transaction, the first answer wins, and a silent agent makes the
// command fail with ALICIA_ERR_TIMEOUT. A raw MQTT client plays the agent.
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { systemClock } from '../../src/clock/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createAgentClient } from '../../src/orchestrator/agent-client.js';
import { type ActionResponse, createTopics, parseIncoming } from '../../src/protocol/index.js';
import { createMqttTransport, type Transport } from '../../src/transport/index.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function setup(options: { retryMs: number; ttlMs: number; answerTimeoutMs: number }) {
  const broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0 });
  open.push(broker);
  const topics = createTopics('alicia');
  const transport: Transport = createMqttTransport({
    url: broker.url,
    clientId: 'orch',
    prefix: 'alicia',
    log: silentLogger(),
  });
  open.push(transport);
  await transport.ready();
  await transport.subscribe([topics.filters.agentResponses]);
  const commands = createAgentClient({
    transport,
    topics,
    log: silentLogger(),
    clock: systemClock,
    session: () => 7,
    ...options,
  });
  open.push({ close: async () => commands.close() });
  transport.onMessage((m) => {
    if (m.ok && m.topic.kind === 'agent_response')
      commands.onResponse(m.topic.agent, m.payload as ActionResponse);
  });
  const agent = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: 'fake-agent' });
  open.push({ close: () => agent.endAsync() });
  await agent.subscribeAsync('alicia/agents/pi-1/cmd/+', { qos: 1 });
  return { commands, agent };
}

describe('command retries', () => {
  it('sends an unanswered command again with the same transaction, and resolves with the first answer', async () => {
    const { commands, agent } = await setup({ retryMs: 100, ttlMs: 10_000, answerTimeoutMs: 5_000 });
    const received: { transaction: string; session: number; expires_at: number }[] = [];
    const valid: boolean[] = [];
    agent.on('message', (topic, payload) => {
      valid.push(parseIncoming(topic, payload).ok);
      const command = JSON.parse(payload.toString()) as {
        transaction: string;
        session: number;
        expires_at: number;
      };
      received.push(command);
      // The first delivery is "lost": no answer. The second is answered (twice, as a
      // duplicate answer to a retried command would be).
      if (received.length === 2) {
        const answer = {
          v: 1,
          transaction: command.transaction,
          status: 'ok',
          ts: Date.now(),
          data: { results: [] },
        };
        void agent.publishAsync('alicia/agents/pi-1/response/remove', JSON.stringify(answer), { qos: 1 });
        void agent.publishAsync('alicia/agents/pi-1/response/remove', JSON.stringify(answer), { qos: 1 });
      }
    });
    const response = await commands.send('pi-1', 'remove', { instances: ['demo_web_1'] });
    expect(response).toMatchObject({ status: 'ok' });
    expect(received.length).toBeGreaterThanOrEqual(2);
    // Every delivery is a valid command of the protocol.
    expect(valid.every(Boolean)).toBe(true);
    expect(new Set(received.map((c) => c.transaction)).size).toBe(1);
    expect(received[0]).toMatchObject({ session: 7 });
    expect(received[1]?.expires_at).toBe(received[0]?.expires_at);
    expect(commands.pending()).toBe(0);
  });

  it('stops re-sending once the command would be stale, and fails with ALICIA_ERR_TIMEOUT when nobody answers', async () => {
    const { commands, agent } = await setup({ retryMs: 50, ttlMs: 200, answerTimeoutMs: 600 });
    let deliveries = 0;
    agent.on('message', () => {
      deliveries += 1;
    });
    await expect(commands.send('pi-1', 'stop', { instances: ['demo_web_1'] })).rejects.toMatchObject({
      code: 'ALICIA_ERR_TIMEOUT',
      message: 'Operation timed out: agent pi-1 did not answer stop within 600 ms',
    });
    // Sent every 50 ms while fresh (ttl 200 ms): a handful, not one per 50 ms for 600 ms.
    expect(deliveries).toBeGreaterThanOrEqual(2);
    expect(deliveries).toBeLessThanOrEqual(5);
  });
});
