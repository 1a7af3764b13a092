// Retained messages on disk: they survive a restart of the embedded broker, deletions too,
// and a corrupt store does not keep the broker down.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../broker/embedded.js';
import { nextMessage } from '../helpers/acl-matrix.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-retained-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function retainedOn(url: string, filter: string, expected: number): Promise<Map<string, string>> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  try {
    const got = new Map<string, string>();
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${got.size} of ${expected} retained messages`)),
        5_000,
      );
      client.on('message', (topic, payload, packet) => {
        if (packet.retain) got.set(topic, payload.toString());
        if (got.size === expected) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await client.subscribeAsync(filter, { qos: 1 });
    if (expected > 0) await done;
    // A sentinel proves no further retained message is on its way.
    const sentinel = nextMessage(client, (t) => t === 'sentinel/done');
    await client.subscribeAsync('sentinel/done', { qos: 1 });
    await client.publishAsync('sentinel/done', 'x', { qos: 1 });
    await sentinel;
    return got;
  } finally {
    await client.endAsync(true);
  }
}

describe('retained store', () => {
  it('restores retained messages after a restart, and forgets the ones cleared before it', async () => {
    const dir = await tmp();
    const first = await startEmbeddedBroker({ port: 0, persistenceDir: dir });
    const pub = await mqtt.connectAsync(first.url, { reconnectPeriod: 0 });
    await pub.publishAsync('alicia/agents/pi-1/state', '{"state":"online","session":3}', {
      qos: 1,
      retain: true,
    });
    await pub.publishAsync('alicia/agents/pi-1/containers', Buffer.from([0xff, 0x00, 0x7b]), {
      qos: 1,
      retain: true,
    });
    await pub.publishAsync('alicia/services/web/state', 'running', { qos: 1, retain: true });
    await pub.publishAsync('alicia/services/web/state', '', { qos: 1, retain: true }); // MQTT delete
    await pub.publishAsync('alicia/services/events', 'not retained', { qos: 1 });
    await pub.endAsync();
    await first.close();
    const file = path.join(dir, 'retained.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await startEmbeddedBroker({ port: 0, persistenceDir: dir });
    cleanup.push(() => second.close());
    const got = await retainedOn(second.url, 'alicia/#', 2);
    expect([...got.keys()].sort()).toEqual(['alicia/agents/pi-1/containers', 'alicia/agents/pi-1/state']);
    expect(got.get('alicia/agents/pi-1/state')).toBe('{"state":"online","session":3}');
    // Bytes that are not UTF-8 come back unchanged.
    const raw = JSON.parse(await readFile(file, 'utf8')) as {
      messages: { topic: string; payload: string }[];
    };
    const containers = raw.messages.find((m) => m.topic === 'alicia/agents/pi-1/containers');
    expect(Buffer.from(containers?.payload ?? '', 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x7b]));
  });

  it('starts empty and keeps a corrupt store aside', async () => {
    const dir = await tmp();
    await writeFile(path.join(dir, 'retained.json'), '{"v":1,"messages":[{"topic":');
    const broker = await startEmbeddedBroker({ port: 0, persistenceDir: dir });
    cleanup.push(() => broker.close());
    expect(await retainedOn(broker.url, '#', 0)).toEqual(new Map());
    expect((await readdir(dir)).some((f) => f.startsWith('retained.json.corrupt-'))).toBe(true);
  });
});
