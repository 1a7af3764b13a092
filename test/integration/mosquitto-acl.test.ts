// The same allow/deny matrix (test/helpers/acl-matrix.ts) on Debian's real Mosquitto 2.0,
// configured with the shipped broker/mosquitto/{mosquitto.conf,acl} and a passwd file made
// by mosquitto_passwd. Where Mosquitto differs from the embedded broker the test says so:
// it grants every SUBSCRIBE (SUBACK 1) and filters deliveries by read ACL, acknowledges a
// refused PUBLISH and drops it, and answers a bad password with CONNACK 5.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ACL_MATRIX,
  connectAs,
  MATRIX_USERS,
  nextMessage,
  OTHER_AGENT,
  observeRow,
  SENTINEL_TOPIC,
  tryConnect,
} from '../helpers/acl-matrix.js';
import { type Mosquitto, startMosquitto } from './mosquitto-harness.js';

const run = promisify(execFile);
const USERS = [...Object.values(MATRIX_USERS), OTHER_AGENT];

describe('Mosquitto with the shipped ACL: the matrix', () => {
  let mosquitto: Mosquitto;
  let orchestrator: MqttClient;
  const leaked: string[] = [];

  beforeAll(async () => {
    mosquitto = await startMosquitto({ users: USERS });
    orchestrator = await connectAs(mosquitto.url, MATRIX_USERS.orchestrator);
    // The observer of publish rows: Alicia's topics and Home Assistant's discovery prefix.
    await orchestrator.subscribeAsync(['alicia/#', 'homeassistant/#'], { qos: 1 });
    orchestrator.on('message', (topic, payload) => {
      const text = payload.toString('utf8');
      if (text.startsWith('probe:') && topic !== SENTINEL_TOPIC) leaked.push(topic);
    });
  });
  afterAll(async () => {
    await orchestrator?.endAsync(true);
    await mosquitto?.close();
  });

  it.each(ACL_MATRIX.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
    const seen = await observeRow(mosquitto.url, row, orchestrator);
    expect(seen.delivered).toBe(row.allowed);
    if (row.action === 'subscribe') {
      // Mosquitto 2.0 grants the filter and checks read access per message.
      expect(seen.granted).toBe(1);
    } else {
      // Mosquitto acknowledges a refused publish and drops it; the connection stays.
      expect(seen.publishOutcome).toBe('acked');
    }
  });

  it('never delivered a refused probe, not even late', () => {
    const allowed = new Set(
      ACL_MATRIX.filter((r) => r.allowed || r.action === 'subscribe').map((r) => r.probe),
    );
    for (const topic of leaked) expect(allowed.has(topic)).toBe(true);
  });

  it('keeps non-agent users off the agent topics of their own name (the %u pattern gap)', async () => {
    for (const user of [MATRIX_USERS.viewer, MATRIX_USERS.operator]) {
      const row = {
        name: `${user.name} own-name state`,
        role: user.role,
        action: 'publish' as const,
        topic: `alicia/agents/${user.name}/state`,
        probe: `alicia/agents/${user.name}/state`,
        allowed: false,
        suback: 'refused' as const,
      };
      expect((await observeRow(mosquitto.url, row, orchestrator)).delivered).toBe(false);
      const cmd = { ...row, action: 'subscribe' as const, topic: `alicia/agents/${user.name}/cmd/+` };
      cmd.probe = `alicia/agents/${user.name}/cmd/start`;
      // Nor read commands addressed to "itself" (for the operator, the deny line costs
      // nothing: no agent can be named like an existing user).
      expect((await observeRow(mosquitto.url, cmd, orchestrator)).delivered).toBe(false);
    }
  });
});

describe('Mosquitto with the shipped ACL: connections and mosquitto_pub', () => {
  let mosquitto: Mosquitto | null = null;
  afterEach(async () => {
    await mosquitto?.close();
    mosquitto = null;
  });

  it('refuses another agent cmd/start from pi-1 and a request from a viewer (mosquitto_pub), delivering neither', async () => {
    mosquitto = await startMosquitto({ users: USERS });
    const pi2 = await connectAs(mosquitto.url, OTHER_AGENT);
    const orch = await connectAs(mosquitto.url, MATRIX_USERS.orchestrator);
    try {
      await pi2.subscribeAsync(['alicia/agents/pi-2/cmd/+', 'alicia/orchestrator/state'], { qos: 1 });
      await orch.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
      const received: string[] = [];
      pi2.on('message', (t) => received.push(t));
      orch.on('message', (t) => received.push(t));
      const port = String(mosquitto.port);
      const pi1 = MATRIX_USERS.agent;
      const viewer = MATRIX_USERS.viewer;
      await run('mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', port, '-q', '1', '-i', pi1.clientId, '-u', pi1.name, '-P', pi1.password],
        ...['-t', 'alicia/agents/pi-2/cmd/start', '-m', '{"instances":[]}'],
      ]);
      await run('mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', port, '-q', '1', '-u', viewer.name, '-P', viewer.password],
        ...['-t', 'alicia/orchestrator/request/down', '-m', '{}'],
      ]);
      const s1 = nextMessage(pi2, (t) => t === 'alicia/orchestrator/state');
      const s2 = nextMessage(orch, (t) => t === 'alicia/orchestrator/request/sentinel');
      await orch.publishAsync('alicia/orchestrator/state', 'sentinel', { qos: 1 });
      await orch.publishAsync('alicia/orchestrator/request/sentinel', 'sentinel', { qos: 1 });
      await Promise.all([s1, s2]);
      // Two subscribers: their deliveries interleave in any order.
      expect(received.sort()).toEqual(['alicia/orchestrator/request/sentinel', 'alicia/orchestrator/state']);
    } finally {
      await pi2.endAsync(true);
      await orch.endAsync(true);
    }
  });

  it('lets anonymous local viewers read events (mosquitto_sub) and refuses them with allow_anonymous false (CONNACK 5)', async () => {
    mosquitto = await startMosquitto({ users: USERS });
    const orch = await connectAs(mosquitto.url, MATRIX_USERS.orchestrator);
    try {
      const sub = run('mosquitto_sub', [
        ...[
          '-h',
          '127.0.0.1',
          '-p',
          String(mosquitto.port),
          '-t',
          'alicia/services/events',
          '-C',
          '1',
          '-W',
          '10',
        ],
      ]);
      const pump = setInterval(() => void orch.publishAsync('alicia/services/events', 'up', { qos: 1 }), 50);
      try {
        expect((await sub).stdout.trim()).toBe('up');
      } finally {
        clearInterval(pump);
      }
      // Anonymous publishes are refused like a viewer's.
      const anon = await connectAs(mosquitto.url, null);
      await anon.subscribeAsync(SENTINEL_TOPIC, { qos: 1 });
      const got: string[] = [];
      anon.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
      await orch.subscribeAsync('alicia/orchestrator/request/+', { qos: 1 });
      await anon.publishAsync('alicia/orchestrator/request/down', 'anon', { qos: 1 });
      const sentinel = nextMessage(orch, (t) => t === 'alicia/orchestrator/request/sentinel');
      const orchGot: string[] = [];
      orch.on('message', (t) => orchGot.push(t));
      await orch.publishAsync('alicia/orchestrator/request/sentinel', 's', { qos: 1 });
      await sentinel;
      expect(orchGot).toEqual(['alicia/orchestrator/request/sentinel']);
      await anon.endAsync(true);
    } finally {
      await orch.endAsync(true);
    }
    await mosquitto.close();
    mosquitto = await startMosquitto({ users: USERS, allowAnonymous: false });
    expect((await tryConnect(mosquitto.url, { clientId: 'anon' })).returnCode).toBe(5);
    // Mosquitto answers a bad password with 5 as well (the embedded broker says 4).
    expect(
      (await tryConnect(mosquitto.url, { username: 'operator', password: 'bad', clientId: 'x' })).returnCode,
    ).toBe(5);
  });

  it('does not publish a will an agent may not publish', async () => {
    mosquitto = await startMosquitto({ users: USERS });
    const viewer = await connectAs(mosquitto.url, MATRIX_USERS.viewer);
    const orch = await connectAs(mosquitto.url, MATRIX_USERS.orchestrator);
    try {
      await viewer.subscribeAsync(['alicia/agents/+/state', SENTINEL_TOPIC], { qos: 1 });
      const got: string[] = [];
      viewer.on('message', (t, p) => got.push(`${t} ${p.toString()}`));
      const pi1 = MATRIX_USERS.agent;
      const impostor = await tryConnect(mosquitto.url, {
        username: pi1.name,
        password: pi1.password,
        clientId: pi1.clientId,
        will: {
          topic: 'alicia/agents/pi-2/state',
          payload: Buffer.from('fake offline'),
          qos: 1,
          retain: true,
        },
      });
      // Whether Mosquitto refuses the CONNECT or keeps the will back, it must never arrive.
      const closed = new Promise<void>((resolve) => {
        if (!impostor.client) return resolve();
        impostor.client.once('close', () => resolve());
        impostor.client.stream.destroy();
      });
      await closed;
      const sentinel = nextMessage(viewer, (t, p) => t === SENTINEL_TOPIC && p === 'after-will');
      await orch.publishAsync(SENTINEL_TOPIC, 'after-will', { qos: 1 });
      await sentinel;
      expect(got).toEqual([`${SENTINEL_TOPIC} after-will`]);
    } finally {
      await viewer.endAsync(true);
      await orch.endAsync(true);
    }
  });
});
