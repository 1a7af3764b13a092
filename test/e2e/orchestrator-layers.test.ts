// Needs Docker: real containers on the private engine (test/setup/docker.ts), two real
// agents on it (distinct ids and labels), the orchestrator, an aedes broker on port 0,
// and the real `mosquitto_sub` reading the event stream.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AliciaEvent, eventSubject } from '../../src/protocol/index.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { mosquittoSub, type Subscriber } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { type Harness, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { httpdService, sleeperService } from './helpers.js';

const STACK_LAYERS = 'e2elayers';
const STACK_OPS = 'e2eops';
const docker = testDocker();
let harness: Harness | null = null;
let sub: Subscriber | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK_LAYERS);
  await removeLabelled(docker, 'alicia.stack', STACK_OPS);
});
afterEach(async () => {
  await sub?.close();
  sub = null;
  await harness?.close();
  harness = null;
  await removeLabelled(docker, 'alicia.stack', STACK_LAYERS);
  await removeLabelled(docker, 'alicia.stack', STACK_OPS);
});

function twoHosts(): Promise<Harness> {
  return startHarness({
    runtime: 'docker',
    agents: [
      { id: 'e2e-host-a', labels: { zone: 'a' } },
      { id: 'e2e-host-b', labels: { zone: 'b' } },
    ],
  });
}

/** `event_type:service` of the events mosquitto_sub printed, for this stack. */
function seen(s: Subscriber, stack: string): string[] {
  return (s.payloads('alicia/services/events') as AliciaEvent[])
    .filter((e) => eventSubject(e).stack === stack)
    .map((e) => (eventSubject(e).service ? `${e.event_type}:${eventSubject(e).service}` : e.event_type));
}

async function containersOf(stack: string) {
  const list = await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${stack}`] } });
  return list.map((c) => ({
    id: c.Id,
    service: c.Labels['alicia.service'] ?? '',
    agent: c.Labels['alicia.agent'] ?? '',
    instance: c.Labels['alicia.instance'] ?? '',
    created: c.Created,
  }));
}

describe('e2e: dependency-ordered deploy across two agents on real Docker', () => {
  it('brings a 3-layer stack up in order, a dependency on host A gating a service on host B', async () => {
    harness = await twoHosts();
    const port = harness.broker.port;
    sub = await mosquittoSub(port, ['alicia/services/events']);
    const [p1, p2, p3, p4] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const yaml = [
      'services:',
      '  db:',
      httpdService({ port: p1 ?? 0, constraint: 'node.labels.zone == a' }),
      '  cache:',
      httpdService({ port: p2 ?? 0, constraint: 'node.labels.zone == b' }),
      '  api:',
      httpdService({
        port: p3 ?? 0,
        constraint: 'node.labels.zone == b',
        dependsOn: { db: 'service_healthy', cache: 'service_healthy' },
      }),
      '  web:',
      httpdService({
        port: p4 ?? 0,
        constraint: 'node.labels.zone == a',
        dependsOn: { api: 'service_healthy' },
      }),
    ].join('\n');
    const report = await harness.orchestrator.deploy(stackFrom(yaml, STACK_LAYERS));
    expect(report.services.map((s) => [s.service, s.phase, s.hosts])).toEqual([
      ['cache', 'ready', ['e2e-host-b']],
      ['db', 'ready', ['e2e-host-a']],
      ['api', 'ready', ['e2e-host-b']],
      ['web', 'ready', ['e2e-host-a']],
    ]);

    // The event stream as any MQTT client sees it, through the real mosquitto_sub.
    await sub.waitFor((l) => l.includes('"deploy_completed"'), 'deploy_completed');
    const order = seen(sub, STACK_LAYERS);
    expect(order[0]).toBe('deploy_started');
    expect(order.at(-1)).toBe('deploy_completed');
    const at = (label: string) => {
      const i = order.indexOf(label);
      expect(i, `${label} in ${order.join(', ')}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    // db healthy on host A before api starts on host B; api healthy before web starts.
    expect(at('service_healthy:db')).toBeLessThan(at('service_starting:api'));
    expect(at('service_healthy:cache')).toBeLessThan(at('service_starting:api'));
    expect(at('service_healthy:api')).toBeLessThan(at('service_starting:web'));
    expect(at('service_waiting:web')).toBeLessThan(at('service_starting:web'));

    // On Docker, each container carries the agent placement chose.
    const containers = await containersOf(STACK_LAYERS);
    expect(containers.map((c) => `${c.service}@${c.agent}`).sort()).toEqual([
      'api@e2e-host-b',
      'cache@e2e-host-b',
      'db@e2e-host-a',
      'web@e2e-host-a',
    ]);
    // Docker's own probes agree (the agents' start probes may have said so first).
    await until(
      async () => {
        // Listed afresh each time: under load a container may have been healed (recreated).
        const now = await containersOf(STACK_LAYERS);
        const inspected = await Promise.all(
          now.map((c) =>
            docker
              .getContainer(c.id)
              .inspect()
              .catch(() => null),
          ),
        );
        return now.length === 4 && inspected.every((i) => i?.State.Health?.Status === 'healthy');
      },
      { what: 'Docker to call every container healthy' },
    );

    // Presence and per-service state are retained: a late mosquitto_sub gets them at once.
    const late = await mosquittoSub(port, [
      'alicia/agents/+/state',
      `alicia/stacks/${STACK_LAYERS}/services/api/state`,
      'alicia/orchestrator/state',
    ]);
    try {
      await late.waitFor(
        (l) => l.startsWith(`alicia/stacks/${STACK_LAYERS}/services/api/state `),
        'api state',
      );
      await late.waitFor((l) => l.startsWith('alicia/agents/e2e-host-b/state '), 'host-b presence');
      // Retained messages of several filters come in no set order: wait for each.
      await late.waitFor((l) => l.startsWith('alicia/agents/e2e-host-a/state '), 'host-a presence');
      await late.waitFor((l) => l.startsWith('alicia/orchestrator/state '), 'orchestrator presence');
      expect(late.payloads('alicia/agents/e2e-host-a/state')).toEqual([
        expect.objectContaining({ state: 'online' }),
      ]);
      expect(late.payloads('alicia/orchestrator/state').at(-1)).toMatchObject({ state: 'online' });
      await until(
        () =>
          (
            late.payloads(`alicia/stacks/${STACK_LAYERS}/services/api/state`) as {
              healthy_replicas: number;
            }[]
          ).some((s) => s.healthy_replicas === 1),
        { what: 'api state with one healthy replica' },
      );
      expect(late.payloads(`alicia/stacks/${STACK_LAYERS}/services/api/state`).at(-1)).toMatchObject({
        stack: STACK_LAYERS,
        hosts: ['e2e-host-b'],
        running_replicas: 1,
      });
    } finally {
      await late.close();
    }
  });

  it("gates dependents on a dependency's first passing healthcheck, not on Docker's next probe a minute later", async () => {
    harness = await twoHosts();
    sub = await mosquittoSub(harness.broker.port, ['alicia/services/events']);
    const [p1, p2] = await Promise.all([freePort(), freePort()]);
    // Docker probes every minute; Compose would wait that minute before starting api.
    const slowProbes = { delayS: 0.3, interval: '1m', startPeriod: '2m' };
    const yaml = [
      'services:',
      '  db:',
      httpdService({ port: p1 ?? 0, constraint: 'node.labels.zone == a', ...slowProbes }),
      '  api:',
      httpdService({
        port: p2 ?? 0,
        constraint: 'node.labels.zone == b',
        dependsOn: { db: 'service_healthy' },
        ...slowProbes,
      }),
    ].join('\n');
    const report = await harness.orchestrator.deploy(stackFrom(yaml, STACK_LAYERS));
    expect(report.services.map((s) => [s.service, s.phase])).toEqual([
      ['db', 'ready'],
      ['api', 'ready'],
    ]);
    await sub.waitFor((l) => l.includes('"deploy_completed"'), 'deploy_completed');
    const order = seen(sub, STACK_LAYERS);
    expect(order.indexOf('service_healthy:db')).toBeLessThan(order.indexOf('service_starting:api'));
    expect(order).toContain('service_healthy:api');
    // Docker itself has not probed yet: both verdicts came from the agents' start probes,
    // which ran the very healthcheck of the file.
    const containers = await containersOf(STACK_LAYERS);
    const inspected = await Promise.all(containers.map((c) => docker.getContainer(c.id).inspect()));
    expect(inspected.map((i) => i.State.Health?.Status)).toEqual(['starting', 'starting']);
    expect(inspected.map((i) => i.State.Health?.Log ?? [])).toEqual([[], []]);
  });

  it('gates a service on a one-shot job exiting 0, and counts the finished job as done, not down', async () => {
    harness = await twoHosts();
    const port = await freePort();
    const yaml = [
      'services:',
      '  migrate:',
      '    image: alicia-test/busybox:latest',
      '    network_mode: host',
      '    command: ["sh", "-c", "exit 0"]',
      '    restart: "no"',
      '  api:',
      httpdService({ port, delayS: 0.2, dependsOn: { migrate: 'service_completed_successfully' } }),
    ].join('\n');
    const report = await harness.orchestrator.deploy(stackFrom(yaml, STACK_LAYERS));
    expect(report.services.map((s) => [s.service, s.phase])).toEqual([
      ['migrate', 'ready'],
      ['api', 'ready'],
    ]);
    const migrate = (await harness.orchestrator.ps(STACK_LAYERS)).find((s) => s.service === 'migrate');
    expect(migrate).toMatchObject({ state: 'stopped', desired_replicas: 1, completed_replicas: 1 });
    expect(migrate?.instances.map((i) => i.exit_code)).toEqual([0]);
    expect((await harness.orchestrator.health()).health_percentage).toBe(100);
  });

  it('redeploys as a no-op, scales up and down (oldest first), and down leaves no container', async () => {
    harness = await twoHosts();
    sub = await mosquittoSub(harness.broker.port, ['alicia/services/events']);
    const port = await freePort();
    const yaml = [
      'services:',
      '  front:',
      httpdService({ port, constraint: 'node.labels.zone == a' }),
      '  worker:',
      sleeperService(),
    ].join('\n');
    const stack = stackFrom(yaml, STACK_OPS);
    await harness.orchestrator.deploy(stack);
    const before = (await containersOf(STACK_OPS)).map((c) => c.id).sort();
    expect(before).toHaveLength(2);

    // Redeploy: nothing changes on Docker, no start event.
    const mark = harness.events.length;
    const again = await harness.orchestrator.deploy(stack);
    expect(again.changed).toEqual([]);
    expect((await containersOf(STACK_OPS)).map((c) => c.id).sort()).toEqual(before);
    expect(harness.events.slice(mark).map((e) => e.event_type)).toEqual([
      'deploy_started',
      'deploy_completed',
    ]);

    // Scale up: placement spreads the new replicas over both hosts.
    const up = await harness.orchestrator.scale('worker', 3);
    expect(up).toMatchObject({ from: 1, to: 3, direction: 'up' });
    const workers = (await containersOf(STACK_OPS)).filter((c) => c.service === 'worker');
    expect(workers).toHaveLength(3);
    expect(new Set(workers.map((c) => c.agent))).toEqual(new Set(['e2e-host-a', 'e2e-host-b']));

    // Scale down to 1: the two oldest go, the newest stays.
    const newest = [...workers].sort(
      (a, b) => b.created - a.created || (a.instance < b.instance ? 1 : -1),
    )[0];
    await harness.orchestrator.scale('worker', 1);
    const left = (await containersOf(STACK_OPS)).filter((c) => c.service === 'worker');
    expect(left.map((c) => c.instance)).toEqual([newest?.instance]);
    await sub.waitFor((l) => l.includes('"direction":"down"'), 'service_scaled down');
    const fromEvents = (sub.payloads('alicia/services/events') as AliciaEvent[])
      .filter((e) => e.event_type === 'service_scaled')
      .map((e) => e.event_data);
    expect(fromEvents).toEqual([
      expect.objectContaining({ service: 'worker', from: 1, to: 3, direction: 'up' }),
      expect.objectContaining({ service: 'worker', from: 3, to: 1, direction: 'down' }),
    ]);

    // Down: nothing of the stack is left on Docker.
    await harness.orchestrator.down(STACK_OPS);
    expect(await containersOf(STACK_OPS)).toEqual([]);
  });
});
