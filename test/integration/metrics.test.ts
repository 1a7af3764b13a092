// Prometheus metrics of the orchestrator and of an agent (agents on the in-memory
// runtime, broker aedes on port 0): the exposition is checked by Debian's `promtool check
// metrics` (package prometheus, installed by scripts/test-deps.sh), and the series say what
// happened: agents online, instances by state, a deploy's duration, action round trips,
// an operator restart, rejected messages by reason; /healthz and /status answer.
import { execFile } from 'node:child_process';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging/logger.js';
import {
  type MetricsServer,
  serveAgentMetrics,
  serveOrchestratorMetrics,
  startMetricsServer,
} from '../../src/metrics/index.js';
import { closeHarnesses, DB_API_YAML, stackFrom, startHarness } from './orchestrator-harness.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  await closeHarnesses();
});

/** `promtool check metrics` reads the exposition on stdin; exit 0 and no output = clean. */
function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
      resolve({ code: err ? Number((err as { code?: unknown }).code) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(text);
  });
}

/** The value of one series (`name{labels}` exactly as exposed), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('Prometheus metrics', () => {
  it('orchestrator: promtool accepts the exposition; series follow deploys, actions, restarts and rejections', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }, { id: 'b' }] });
    const server = await serveOrchestratorMetrics(
      {
        events: harness.orchestrator.events,
        request: (method, body) => harness.orchestrator.request(method, body),
        transport: harness.orchestrator.transport,
        prefix: 'alicia',
      },
      { port: 0, log: silentLogger() },
    );
    servers.push(server);
    await harness.orchestrator.deploy(stackFrom(DB_API_YAML, 'shop'));
    await harness.orchestrator.restart('api', 'shop');
    // A message the orchestrator must refuse at the edge: counted by reason.
    const refused = new Promise<void>((resolve) => {
      const off = harness.orchestrator.transport.onMessage((message) => {
        if (message.ok) return;
        off();
        resolve();
      });
    });
    const raw = await mqtt.connectAsync(harness.broker.url, { protocolVersion: 4, clientId: 'metrics-raw' });
    await raw.publishAsync('alicia/agents/a/heartbeat', '{"not json', { qos: 1 });
    await raw.endAsync();
    await refused;

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const checked = await promtool(text);
    expect(checked, checked.output).toEqual({ code: 0, output: '' });

    expect(sample(text, 'alicia_agents{state="online"}')).toBe(2);
    expect(sample(text, 'alicia_agents{state="offline"}')).toBe(0);
    expect(sample(text, 'alicia_service_replicas{stack="shop",service="api",kind="running"}')).toBe(1);
    expect(sample(text, 'alicia_instances{stack="shop",service="db",state="running",health="healthy"}')).toBe(
      1,
    );
    expect(sample(text, 'alicia_deploy_duration_seconds_count{result="completed"}')).toBe(1);
    expect(
      sample(text, 'alicia_action_round_trip_seconds_count{action="start",status="ok"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'alicia_action_round_trip_seconds_count{action="restart",status="ok"}')).toBe(1);
    expect(sample(text, 'alicia_restarts_total{stack="shop",service="api",by="operator"}')).toBe(1);
    expect(sample(text, 'alicia_healing_actions_total{action="restart",result="success"}')).toBe(1);
    expect(sample(text, 'alicia_rejected_messages_total{reason="ALICIA_ERR_PAYLOAD_JSON"}')).toBe(1);
    expect(sample(text, 'alicia_mqtt_connected')).toBe(1);
    // aedes 1.x speaks 3.1.1 only: the transport fell back.
    expect(sample(text, 'alicia_mqtt_protocol_version')).toBe(4);
    expect(sample(text, 'alicia_mqtt_reconnects_total')).toBe(0);
    expect(sample(text, 'alicia_events_total{event_type="deploy_completed"}')).toBe(1);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);

    const healthz = await fetch(`${server.url}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    const status = (await (await fetch(`${server.url}/status`)).json()) as {
      health: { health_percentage: number };
      agents: { agent: string }[];
      services: { service: string }[];
      mqtt: { connected: boolean; protocol_version: number };
    };
    expect(status.health.health_percentage).toBe(100);
    expect(status.agents.map((a) => a.agent).sort()).toEqual(['a', 'b']);
    expect(status.services.map((s) => s.service).sort()).toEqual(['api', 'db']);
    expect(status.mqtt).toMatchObject({ connected: true, protocol_version: 4 });
    expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
  });

  it('answers /healthz 503 while the broker connection is down, and only GET', async () => {
    const server = await startMetricsServer(
      { metrics: async () => '', contentType: 'text/plain', healthy: () => false, status: async () => ({}) },
      { port: 0, log: silentLogger() },
    );
    servers.push(server);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'disconnected' });
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('agent: promtool accepts the exposition; containers by state and the MQTT link', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.deploy(stackFrom(DB_API_YAML, 'shop'));
    const running = harness.agents.get('a');
    if (!running) throw new Error('agent a missing');
    const { agent } = running;
    const server = await serveAgentMetrics(
      {
        id: agent.id,
        stats: () => ({ ...agent.stats }),
        transport: agent.transport,
        containers: agent.containers,
      },
      { port: 0, log: silentLogger() },
    );
    servers.push(server);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const checked = await promtool(text);
    expect(checked, checked.output).toEqual({ code: 0, output: '' });
    expect(
      sample(
        text,
        'alicia_agent_containers{stack="shop",service="db",state="running",health="healthy",agent="a"}',
      ),
    ).toBe(1);
    expect(sample(text, 'alicia_agent_events_total{kind="commands",agent="a"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'alicia_mqtt_connected{agent="a"}')).toBe(1);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const status = (await (await fetch(`${server.url}/status`)).json()) as {
      agent: string;
      containers: unknown[];
    };
    expect(status.agent).toBe('a');
    expect(status.containers).toHaveLength(2);
  });
});
