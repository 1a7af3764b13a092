// Operations and healing reports over a real broker (aedes on port 0) with real agents on
// the in-memory runtime: stop takes dependents first, restart brings a stopped service
// back, scale overrides survive an orchestrator restart, and the agents' local healing
// becomes service_unhealthy / service_restarted / service_recovered events (also on the
// recovery channel).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_FILE } from '../../src/orchestrator/index.js';
import { until } from '../helpers/wait.js';
import {
  closeHarnesses,
  labels,
  memoryOf,
  nextEvent,
  stackFrom,
  startHarness,
} from './orchestrator-harness.js';

afterEach(closeHarnesses);

const YAML = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms, retries: 1 }
    restart: unless-stopped
  api:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
  web:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { api: { condition: service_started } }
`;

describe('operations and healing', () => {
  it('stop takes the dependents down first; restart brings the stopped service back', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.deploy(stackFrom(YAML, 'ops'));
    const mark = harness.events.length;
    const stopped = await harness.orchestrator.stop('api');
    expect(stopped).toEqual({ stack: 'ops', stopped: ['api', 'web'] });
    expect(labels(harness.events.slice(mark)).filter((l) => l.startsWith('service_stopped'))).toEqual([
      'service_stopped:web',
      'service_stopped:api',
    ]);
    expect(
      memoryOf(harness, 'a')
        .all()
        .map((c) => c.service),
    ).toEqual(['db']);
    const ps = await harness.orchestrator.ps('ops');
    expect(ps.find((s) => s.service === 'api')).toMatchObject({ desired_replicas: 0, state: 'stopped' });

    await harness.orchestrator.restart('api');
    expect(
      memoryOf(harness, 'a')
        .all()
        .map((c) => c.service)
        .sort(),
    ).toEqual(['api', 'db']);
    // A full deploy brings everything back, web included.
    await harness.orchestrator.deploy(stackFrom(YAML, 'ops'));
    expect(
      memoryOf(harness, 'a')
        .all()
        .map((c) => c.service)
        .sort(),
    ).toEqual(['api', 'db', 'web']);
  });

  it('keeps a scale override across an orchestrator restart (persisted in the state file)', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.deploy(stackFrom(YAML, 'keep'));
    await harness.orchestrator.scale('web', 2);
    const file = path.join(harness.orchestratorStateDir, STATE_FILE);
    const saved = JSON.parse(await readFile(file, 'utf8')) as {
      session: number;
      stacks: Record<string, { scale: Record<string, number>; assignments: unknown[] }>;
    };
    expect(saved.stacks.keep?.scale).toEqual({ web: 2 });
    expect(saved.stacks.keep?.assignments).toHaveLength(4);
    const ids = memoryOf(harness, 'a')
      .all()
      .map((c) => c.id)
      .sort();

    const restarted = await harness.restartOrchestrator();
    // Redeploying the same file keeps the override: still two web, same containers.
    const report = await restarted.deploy(stackFrom(YAML, 'keep'));
    expect(report.changed).toEqual([]);
    expect(report.services.find((s) => s.service === 'web')?.replicas).toBe(2);
    expect(
      memoryOf(harness, 'a')
        .all()
        .map((c) => c.id)
        .sort(),
    ).toEqual(ids);
  });

  it('reports the agent healing an unhealthy container as unhealthy, restarted and recovered', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.deploy(stackFrom(YAML, 'heal'));
    const db = memoryOf(harness, 'a')
      .all()
      .find((c) => c.service === 'db');
    if (!db) throw new Error('no db');
    // Any MQTT client sees the healing on alicia/services/recovery.
    const client = await harness.client();
    const onRecoveryChannel: string[] = [];
    client.transport.onMessage((m) => {
      if (m.ok && m.topic.kind === 'service_channel' && m.topic.channel === 'recovery') {
        onRecoveryChannel.push((m.payload as { event_type: string }).event_type);
      }
    });
    await client.transport.subscribe(['alicia/services/recovery']);
    const recovered = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_recovered',
      'service_recovered',
    );
    // Not sticky: the restarted container's probe passes again.
    memoryOf(harness, 'a').setHealth(db.instance, 'unhealthy');
    const event = await recovered;
    expect(event.event_data).toMatchObject({
      stack: 'heal',
      service: 'db',
      instance: db.instance,
      agent: 'a',
    });
    expect(event.event_type === 'service_recovered' && event.event_data.recovery_ms).toEqual(
      expect.any(Number),
    );
    const seq = labels(harness.events).filter((l) => l.endsWith(':db') && !l.startsWith('deploy'));
    const tail = seq.slice(seq.indexOf('service_unhealthy:db'));
    expect(tail).toEqual(['service_unhealthy:db', 'service_restarted:db', 'service_recovered:db']);
    await until(() => onRecoveryChannel.includes('service_recovered'), {
      what: 'service_recovered on the recovery channel',
    });
    expect(onRecoveryChannel).toEqual(['service_restarted', 'service_recovered']);
    // ps and the health summary count the restart.
    await until(async () => (await harness?.orchestrator.health())?.restarts === 1, {
      what: 'one restart in the health summary',
    });
  });
});
