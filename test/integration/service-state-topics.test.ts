// The retained per-service state is keyed by stack (alicia/stacks/<stack>/services/<service>/state):
// two stacks with a `db` each keep their own, read back with the real mosquitto_sub; the
// state an older orchestrator retained on alicia/services/<service>/state is cleared at start.
// aedes on port 0, agents on the in-memory runtime (no Docker needed).
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mosquittoSub, mosquittoSubOnce } from '../helpers/mosquitto.js';
import { closeHarnesses, stackFrom, startHarness } from './orchestrator-harness.js';

afterEach(closeHarnesses);

const WITH_DB = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
`;

/**
 * The retained messages on `filter`, read with mosquitto_sub: the filter and then the
 * orchestrator's retained presence go into one SUBSCRIBE, so the presence arrives after
 * every retained message the filter matches — no waiting for silence.
 */
async function retainedOn(port: number, filter: string): Promise<string[]> {
  const lines: string[] = [];
  // One more line each round until the presence shows up.
  for (let count = 1; ; count += 1) {
    const got = await mosquittoSubOnce(port, [filter, 'alicia/orchestrator/state'], { verbose: true, count });
    if (got.at(-1)?.startsWith('alicia/orchestrator/state ')) {
      lines.push(...got.slice(0, -1));
      return lines;
    }
  }
}

describe('per-service state keyed by stack', () => {
  it('keeps one retained state per stack for two stacks that both have a db', async () => {
    const h = await startHarness({ runtime: 'memory', agents: [{ id: 'host-a' }] });
    const port = h.broker.port;
    await h.orchestrator.deploy(stackFrom(WITH_DB, 'shop'));
    await h.orchestrator.deploy(stackFrom(WITH_DB, 'blog'));

    const sub = await mosquittoSub(port, ['alicia/stacks/+/services/db/state']);
    try {
      for (const stack of ['shop', 'blog']) {
        const topic = `alicia/stacks/${stack}/services/db/state`;
        await sub.waitFor((l) => l.startsWith(`${topic} `), `${stack}'s db state`);
        expect(sub.payloads(topic).at(-1)).toMatchObject({ stack, service: 'db' });
      }
    } finally {
      await sub.close();
    }

    // Removing one stack clears its state only.
    await h.orchestrator.down('shop');
    const left = await retainedOn(port, 'alicia/stacks/+/services/+/state');
    expect(left.map((l) => l.split(' ')[0])).toEqual(['alicia/stacks/blog/services/db/state']);
  });

  it('clears the states an older orchestrator retained on alicia/services/<service>/state when it starts', async () => {
    const h = await startHarness({ runtime: 'memory', agents: [{ id: 'host-a' }] });
    const port = h.broker.port;
    const old = await mqtt.connectAsync(h.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const legacy = JSON.stringify({ v: 1, stack: 'shop', service: 'db', state: 'running' });
      await old.publishAsync('alicia/services/db/state', legacy, { qos: 1, retain: true });
      await old.publishAsync('alicia/services/web/state', legacy, { qos: 1, retain: true });
      // An event on a channel is not a state and stays untouched (not retained: nothing to clear).
      await old.publishAsync('alicia/services/events', '{}', { qos: 1 });
    } finally {
      await old.endAsync();
    }
    expect((await retainedOn(port, 'alicia/services/+/state')).map((l) => l.split(' ')[0]).sort()).toEqual([
      'alicia/services/db/state',
      'alicia/services/web/state',
    ]);

    await h.restartOrchestrator();
    expect(await retainedOn(port, 'alicia/services/+/state')).toEqual([]);
  });
});
