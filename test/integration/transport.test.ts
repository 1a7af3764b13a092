// Real broker (aedes in-process on port 0), real MQTT.js client.
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { Incoming } from '../../src/protocol/index.js';
import { createMqttTransport, type Transport } from '../../src/transport/index.js';
import { SAMPLES } from '../helpers/samples.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function broker(): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ port: 0 });
  open.push(b);
  return b;
}

function transport(
  url: string,
  clientId: string,
  extra: Partial<Parameters<typeof createMqttTransport>[0]> = {},
): Transport {
  const t = createMqttTransport({ url, clientId, prefix: 'alicia', log: silentLogger(), ...extra });
  open.push(t);
  return t;
}

function nextMessage(t: Transport): Promise<Incoming> {
  return new Promise((resolve) => {
    const off = t.onMessage((m) => {
      off();
      resolve(m);
    });
  });
}

describe('MQTT transport', () => {
  it('delivers a valid message parsed and typed, and counts a malformed one as rejected', async () => {
    const b = await broker();
    const sub = transport(b.url, 'sub');
    const pub = transport(b.url, 'pub');
    await Promise.all([sub.ready(), pub.ready()]);
    await sub.subscribe(['alicia/agents/+/state']);

    const first = nextMessage(sub);
    await pub.publish('alicia/agents/pi-1/state', SAMPLES['alicia/agents/pi-1/state'], { qos: 1 });
    expect(await first).toMatchObject({
      ok: true,
      topic: { kind: 'agent_state', agent: 'pi-1' },
      payload: { state: 'offline' },
    });

    const second = nextMessage(sub);
    await pub.publish('alicia/agents/pi-1/state', { v: 1, state: 'bogus' }, { qos: 1 });
    expect(await second).toMatchObject({ ok: false, error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' } });
    expect(sub.stats).toEqual({
      received: 2,
      rejected: 1,
      published: 0,
      rejectedByReason: { ALICIA_ERR_PAYLOAD_SCHEMA: 1 },
      reconnects: 0,
    });
  });

  it('has the broker publish its will, with the session the provider gave, when the connection dies', async () => {
    const b = await broker();
    const watcher = transport(b.url, 'watcher');
    await watcher.ready();
    await watcher.subscribe(['alicia/agents/+/state']);
    const willPayload = { ...(SAMPLES['alicia/agents/pi-1/state'] as object), session: 42 };
    const dying = transport(b.url, 'dying', {
      will: () => ({ topic: 'alicia/agents/pi-1/state', payload: willPayload, qos: 1, retain: true }),
      keepaliveS: 1,
    });
    await dying.ready();
    const will = nextMessage(watcher);
    // Kill the client's socket without a DISCONNECT: [MQTT-3.1.2-8] the will is published.
    expect(b.dropClient('dying')).toBe(true);
    expect(await will).toMatchObject({ ok: true, payload: { state: 'offline', session: 42 } });
  });

  it('refuses to publish a payload above the limit', async () => {
    const b = await broker();
    const pub = transport(b.url, 'pub', { maxPayloadBytes: 100 });
    await pub.ready();
    await expect(
      pub.publish('alicia/services/events', { big: 'x'.repeat(200) }, { qos: 1 }),
    ).rejects.toMatchObject({
      code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE',
    });
  });
});
