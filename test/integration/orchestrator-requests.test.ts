// The request API over a real broker (aedes on port 0): replies on reply_to, and bad
// requests (bad JSON, wrong schema, unknown method) answered with an error that names the
// problem. Agents run on the in-memory runtime.
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { closeHarnesses, DB_API_YAML, stackFrom, startHarness } from './orchestrator-harness.js';

const raw: mqtt.MqttClient[] = [];
afterEach(async () => {
  for (const c of raw.splice(0)) await c.endAsync();
  await closeHarnesses();
});

/** Publishes a raw payload as a request and resolves with the parsed reply. */
async function rawRequest(url: string, method: string, payload: string): Promise<unknown> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `raw-${method}-${Date.now()}`,
  });
  raw.push(client);
  await client.subscribeAsync('alicia/clients/raw/reply', { qos: 1 });
  const reply = new Promise<unknown>((resolve) => {
    client.on('message', (_topic, body) => resolve(JSON.parse(body.toString())));
  });
  await client.publishAsync(`alicia/orchestrator/request/${method}`, payload, { qos: 1 });
  return reply;
}

describe('orchestrator request API', () => {
  it('deploys from Compose text sent over MQTT and answers ps, agents, health and history', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const client = await harness.client();
    const deployed = await client.request('deploy', stackFrom(DB_API_YAML, 'shop'), { timeoutMs: 20_000 });
    expect(deployed.stack).toBe('shop');
    expect(deployed.services.map((s) => [s.service, s.phase])).toEqual([
      ['db', 'ready'],
      ['api', 'ready'],
    ]);
    const ps = await client.request('ps', { stack: 'shop' });
    expect(ps.services.map((s) => [s.service, s.running_replicas])).toEqual([
      ['api', 1],
      ['db', 1],
    ]);
    const agents = await client.request('agents', {});
    expect(agents.agents).toEqual([expect.objectContaining({ agent: 'a', status: 'online' })]);
    const health = await client.request('health', {});
    expect(health.health_percentage).toBe(100);
    await client.request('restart', { service: 'api' });
    const history = await client.request('history', { service: 'api' });
    expect(history.entries.map((e) => e.action)).toContain('service_restarted');
  });

  it('serves stop, heal and history over MQTT and in process through the same handlers', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const client = await harness.client();
    await harness.orchestrator.deploy(stackFrom(DB_API_YAML, 'ops'));
    const healed = await client.request('heal', { service: 'db' });
    expect(healed).toMatchObject({
      stack: 'ops',
      service: 'db',
      instances: [expect.stringMatching(/^ops_db_1/)],
    });
    expect(await harness.orchestrator.heal('api', 'ops')).toMatchObject({ stack: 'ops', service: 'api' });
    const overMqtt = await client.request('history', {});
    const inProcess = await harness.orchestrator.history();
    expect(inProcess).toEqual(overMqtt.entries);
    expect(inProcess.map((e) => [e.action, e.service, e.reason])).toEqual([
      ['service_restarted', 'api', 'heal requested by an operator'],
      ['healing_action', 'api', 'operator'],
      ['service_restarted', 'db', 'heal requested by an operator'],
      ['healing_action', 'db', 'operator'],
    ]);
    expect(await client.request('stop', { service: 'db', stack: 'ops' })).toEqual({
      stack: 'ops',
      stopped: ['api', 'db'],
    });
    // In process, a body gets the checks it gets at the MQTT edge.
    await expect(
      harness.orchestrator.request('scale', { service: 'api', replicas: -1 }),
    ).rejects.toMatchObject({
      code: 'ALICIA_ERR_PAYLOAD_SCHEMA',
      message: expect.stringContaining('request scale:'),
    });
    expect(await harness.orchestrator.request('down', { stack: 'ops' })).toMatchObject({ stack: 'ops' });
  });

  it('names a file the deploy bundle lacks (ALICIA_ERR_COMPOSE_NOT_FOUND)', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const client = await harness.client();
    const bundle = stackFrom(`${DB_API_YAML}    env_file: app.env\n`, 'lacking');
    await expect(client.request('deploy', bundle)).rejects.toMatchObject({
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
      message: expect.stringContaining('env file /tmp/alicia-test/app.env not found'),
    });
    const withFile = {
      ...bundle,
      files: [...bundle.files, { path: 'app.env', kind: 'env_file' as const, text: 'A=1\n' }],
    };
    await expect(client.request('deploy', withFile)).resolves.toMatchObject({ stack: 'lacking' });
  });

  it('answers a failed deploy with an error naming the service and the reason', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const client = await harness.client();
    const bad = `${DB_API_YAML}  x:\n    image: alicia-test/busybox:latest\n    depends_on: [nope]\n`;
    await expect(client.request('deploy', stackFrom(bad, 'x'))).rejects.toMatchObject({
      code: 'ALICIA_ERR_DEPENDENCY_UNKNOWN',
      message: expect.stringContaining('nope'),
    });
  });

  it('answers bad JSON, a wrong schema and an unknown method with errors that name the problem', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const url = harness.broker.url;
    const replyTo = 'alicia/clients/raw/reply';
    expect(await rawRequest(url, 'ps', `{"reply_to":"${replyTo}","transaction":"t1",`)).toMatchObject({
      status: 'error',
      transaction: 't1',
      error: { code: 'ALICIA_ERR_PAYLOAD_JSON', message: expect.stringContaining('not valid JSON') },
    });
    expect(
      await rawRequest(
        url,
        'scale',
        JSON.stringify({ v: 1, transaction: 't2', reply_to: replyTo, service: 'web', replicas: -1 }),
      ),
    ).toMatchObject({
      status: 'error',
      transaction: 't2',
      error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA', message: expect.stringContaining('replicas') },
    });
    expect(
      await rawRequest(url, 'explode', JSON.stringify({ v: 1, transaction: 't3', reply_to: replyTo })),
    ).toMatchObject({
      status: 'error',
      transaction: 't3',
      error: { code: 'ALICIA_ERR_REQUEST_UNKNOWN_METHOD', message: expect.stringContaining('"explode"') },
    });
    // Still serving afterwards.
    const client = await harness.client();
    await expect(client.request('agents', {})).resolves.toBeDefined();
    expect(harness.orchestrator.requestStats).toMatchObject({ answered: 4, failed: 3 });
  });

  it('answers requests about things that do not exist with ALICIA_ERR_NOT_FOUND', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    const client = await harness.client();
    await expect(client.request('scale', { service: 'ghost', replicas: 2 })).rejects.toMatchObject({
      code: 'ALICIA_ERR_NOT_FOUND',
      message: 'Object does not exist: no deployed stack has a service "ghost"',
    });
    await expect(client.request('down', { stack: 'ghost' })).rejects.toMatchObject({
      code: 'ALICIA_ERR_NOT_FOUND',
    });
  });
});
