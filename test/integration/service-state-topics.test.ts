// The retained per-service state is keyed by stack (alicia/stacks/<stack>/services/<service>/state):
// two stacks with a `db` each keep their own, read back with the real mosquitto_sub; the
// state an older orchestrator retained on alicia/services/<service>/state is cleared at start.
// aedes on port 0, agents on the in-memory runtime (no Docker needed).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import { startOrchestrator } from '../../src/orchestrator/index.js';
import { mosquittoSub, mosquittoSubOnce } from '../helpers/mosquitto.js';
import { startMosquitto } from './mosquitto-harness.js';
import { closeHarnesses, stackFrom, startHarness } from './orchestrator-harness.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await closeHarnesses();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

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

  it('clears them on Mosquitto too, as the orchestrator user of the shipped ACL', async () => {
    const orchestratorUser = { name: 'orchestrator', password: 'migrate-orchestrator-pw' };
    const mosquitto = await startMosquitto({ users: [orchestratorUser] });
    cleanup.push(() => mosquitto.close());
    const auth = { username: orchestratorUser.name, password: orchestratorUser.password };
    const old = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 4, reconnectPeriod: 0, ...auth });
    try {
      await old.publishAsync('alicia/services/db/state', '{"v":1}', { qos: 1, retain: true });
    } finally {
      await old.endAsync();
    }
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'alicia-migrate-'));
    cleanup.push(() => rm(stateDir, { recursive: true, force: true }));
    const orchestrator = await startOrchestrator({
      brokerUrl: mosquitto.url,
      ...auth,
      stateDir,
      heartbeatMs: 500,
      log: silentLogger(),
    });
    cleanup.push(() => orchestrator.close());
    // Anonymous mosquitto_sub, a viewer under the shipped ACL.
    expect(await retainedOn(mosquitto.port, 'alicia/services/+/state')).toEqual([]);
  });
});
