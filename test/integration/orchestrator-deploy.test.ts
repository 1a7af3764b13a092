// Control plane end to end over a real broker (aedes on port 0) with real agents on the
// in-memory container runtime: ordering across hosts, failures, scale, redeploy, down.
// (The same scenarios on real Docker are in test/e2e/.)
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait.js';
import {
  closeHarnesses,
  currentHarness,
  labels,
  memoryOf,
  nextEvent,
  stackFrom,
  startHarness,
} from './orchestrator-harness.js';

afterEach(closeHarnesses);

const LAYERED = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms, retries: 2 }
    deploy: { placement: { constraints: ["node.labels.zone == a"] } }
  api:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
    healthcheck: { test: ["CMD", "true"], interval: 200ms, retries: 2 }
    deploy: { placement: { constraints: ["node.labels.zone == b"] } }
  web:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { api: { condition: service_healthy } }
`;

describe('orchestrator deploy (in-memory runtime)', () => {
  it('starts services in dependency order across hosts, each gated on its dependency being healthy', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [
        { id: 'host-a', labels: { zone: 'a' } },
        { id: 'host-b', labels: { zone: 'b' } },
      ],
    });
    const report = await harness.orchestrator.deploy(stackFrom(LAYERED, 'layers'));
    expect(report.services.map((s) => [s.service, s.phase, s.hosts])).toEqual([
      ['db', 'ready', ['host-a']],
      ['api', 'ready', ['host-b']],
      ['web', 'ready', [expect.any(String)]],
    ]);
    const order = labels(harness.events, 'layers');
    // The dependency on host A is healthy before the service on host B starts.
    expect(order.indexOf('service_healthy:db')).toBeLessThan(order.indexOf('service_starting:api'));
    expect(order.indexOf('service_healthy:api')).toBeLessThan(order.indexOf('service_starting:web'));
    expect(order[0]).toBe('deploy_started');
    expect(order.at(-1)).toBe('deploy_completed');
    expect(order).toContain('service_waiting:api');
    // The containers really are where placement said.
    expect(
      memoryOf(harness, 'host-a')
        .all()
        .map((c) => c.service),
    ).toContain('db');
    expect(
      memoryOf(harness, 'host-a')
        .all()
        .map((c) => c.service),
    ).not.toContain('api');
    expect(
      memoryOf(harness, 'host-b')
        .all()
        .map((c) => c.service),
    ).toContain('api');
    expect(
      memoryOf(harness, 'host-b')
        .all()
        .map((c) => c.service),
    ).not.toContain('db');
  });

  it('redeploying the same stack is a no-op: same containers, no start events', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [
        { id: 'host-a', labels: { zone: 'a' } },
        { id: 'host-b', labels: { zone: 'b' } },
      ],
    });
    const stack = stackFrom(LAYERED, 'again');
    await harness.orchestrator.deploy(stack);
    const ids = () =>
      [...currentHarness().agents.values()].flatMap((a) => a.memory?.all().map((c) => c.id) ?? []).sort();
    const before = ids();
    const seen = harness.events.length;
    const report = await harness.orchestrator.deploy(stack);
    expect(report.changed).toEqual([]);
    expect(ids()).toEqual(before);
    expect(labels(harness.events.slice(seen))).toEqual(['deploy_started', 'deploy_completed']);
  });

  it('fails the deploy when a dependency never becomes healthy, and does not start its dependents', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'solo', labels: { zone: 'a' } }],
    });
    const yaml = LAYERED.replaceAll('node.labels.zone == b', 'node.labels.zone == a');
    const memory = memoryOf(harness, 'solo');
    // Make db's probe fail as soon as its container exists.
    const off = harness.orchestrator.events.onEvent((e) => {
      if (e.event_type === 'service_started' && e.event_data.service === 'db') {
        const db = memory.all().find((c) => c.service === 'db');
        if (db) memory.setHealth(db.instance, 'unhealthy', { sticky: true });
      }
    });
    await expect(harness.orchestrator.deploy(stackFrom(yaml, 'sick'))).rejects.toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringMatching(
        /stack "sick": service "db": instance sick_db_1_\w+ on solo is unhealthy \(its healthcheck failed\); not started because a dependency failed: api, web/,
      ),
    });
    off();
    expect(memory.all().map((c) => c.service)).toEqual(['db']);
    const failed = harness.events.filter((e) => e.event_type === 'deploy_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.event_data).toMatchObject({ failed: ['db'], blocked: ['api', 'web'] });
  });

  it('refuses a stack that fits no host, saying which constraint excluded which host, and starts nothing', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [{ id: 'solo', labels: { zone: 'a' } }],
    });
    await expect(harness.orchestrator.deploy(stackFrom(LAYERED, 'nowhere'))).rejects.toMatchObject({
      code: 'ALICIA_ERR_PLACEMENT',
      message:
        'No host satisfies the placement constraints: service "nowhere/api" fits no host: solo: node.labels.zone == b (is "a")',
    });
    expect(memoryOf(harness, 'solo').all()).toEqual([]);
  });

  it('scales up by placement and down oldest first, with service_scaled events', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }, { id: 'b' }] });
    const yaml = `
services:
  worker:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
`;
    await harness.orchestrator.deploy(stackFrom(yaml, 'scaling'));
    const up = await harness.orchestrator.scale('worker', 3);
    expect(up).toMatchObject({ from: 1, to: 3, direction: 'up' });
    const all = () => [...currentHarness().agents.values()].flatMap((a) => a.memory?.all() ?? []);
    expect(all()).toHaveLength(3);
    // Spread over both hosts.
    expect(new Set(all().map((c) => c.agent))).toEqual(new Set(['a', 'b']));
    const oldest = up.instances.find((i) => i.includes('_1_'));
    const down = await harness.orchestrator.scale('worker', 1);
    expect(down).toMatchObject({ from: 3, to: 1, direction: 'down' });
    await until(() => all().length === 1, { what: 'two containers removed' });
    // The newest stays; slot 1 (the oldest) went first.
    expect(all()[0]?.instance).not.toBe(oldest);
    const scaled = harness.events.filter((e) => e.event_type === 'service_scaled').map((e) => e.event_data);
    expect(scaled).toEqual([
      expect.objectContaining({ service: 'worker', from: 1, to: 3, direction: 'up' }),
      expect.objectContaining({ service: 'worker', from: 3, to: 1, direction: 'down' }),
    ]);
  });

  it('down removes everything in reverse dependency order', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: [
        { id: 'host-a', labels: { zone: 'a' } },
        { id: 'host-b', labels: { zone: 'b' } },
      ],
    });
    await harness.orchestrator.deploy(stackFrom(LAYERED, 'gone'));
    const seen = harness.events.length;
    await harness.orchestrator.down('gone');
    const order = labels(harness.events.slice(seen)).filter((l) => l.startsWith('service_stopped'));
    expect(order).toEqual(['service_stopped:web', 'service_stopped:api', 'service_stopped:db']);
    expect(labels(harness.events).at(-1)).toBe('stack_removed');
    expect([...harness.agents.values()].flatMap((a) => a.memory?.all() ?? [])).toEqual([]);
    expect(await harness.orchestrator.ps()).toEqual([]);
  });

  it('cancels a deploy where it is when aborted, and down then removes what had started', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'solo' }] });
    const yaml = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 60s }
  api:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
`;
    const abort = new AbortController();
    const started = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_started' && e.event_data.service === 'db',
      'db started',
    );
    const deploy = harness.orchestrator.deploy(stackFrom(yaml, 'cancel'), { signal: abort.signal });
    await started;
    abort.abort();
    await expect(deploy).rejects.toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: 'Deploy failed: stack "cancel": cancelled before db, api were up',
    });
    expect(
      memoryOf(harness, 'solo')
        .all()
        .map((c) => c.service),
    ).toEqual(['db']);
    await harness.orchestrator.down('cancel');
    expect(memoryOf(harness, 'solo').all()).toEqual([]);
  });

  it('replaces a service whose spec changed: new instance up first, then the old one removed; the rest kept', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'solo' }] });
    const v1 = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
  web:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    environment: { VERSION: "1" }
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
    depends_on: { db: { condition: service_healthy } }
`;
    await harness.orchestrator.deploy(stackFrom(v1, 'upd'));
    const memory = memoryOf(harness, 'solo');
    const before = new Map(memory.all().map((c) => [c.service, c]));
    const mark = harness.events.length;
    const report = await harness.orchestrator.deploy(
      stackFrom(v1.replace('VERSION: "1"', 'VERSION: "2"'), 'upd'),
    );
    expect(report.changed).toEqual(['web']);
    await until(() => memory.all().length === 2, { what: 'the old web removed' });
    const after = new Map(memory.all().map((c) => [c.service, c]));
    expect(after.get('db')?.id).toBe(before.get('db')?.id);
    expect(after.get('web')?.instance).not.toBe(before.get('web')?.instance);
    const order = labels(harness.events.slice(mark));
    // Start-first: the new web is healthy before the old one is let go.
    expect(order.indexOf('service_healthy:web')).toBeLessThan(order.indexOf('service_updated:web'));
    const updated = harness.events.find((e) => e.event_type === 'service_updated');
    expect(updated?.event_data).toMatchObject({ replaced: [before.get('web')?.instance] });
  });
});
