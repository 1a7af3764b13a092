// Needs Docker: the agent's own HTTP probe (x-alicia.probe) of a real container (busybox
// httpd with a CGI whose answer the test changes with `docker exec`): slow answers make it
// degraded, failures past unhealthy_threshold unhealthy, and the agent then restarts it as
// it restarts a container Docker judged unhealthy; it answers again and is recovered.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { modeHttpdCommand } from '../e2e/helpers.js';
import { execIn, removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { closeHarnesses, nextEvent, stackFrom, startHarness } from './orchestrator-harness.js';

const STACK = 'probes-it';
const docker = testDocker();

beforeEach(() => removeLabelled(docker, 'alicia.stack', STACK));
afterEach(async () => {
  await closeHarnesses();
  await removeLabelled(docker, 'alicia.stack', STACK);
});

const yaml = (port: number) => {
  return `
services:
  web:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ${modeHttpdCommand(port, '/tmp/mode', 'echo ok > /tmp/mode && ')}
    restart: unless-stopped
    # httpd as PID 1 ignores SIGTERM: without this each restart waits out the 10 s grace.
    stop_signal: SIGKILL
    x-alicia:
      probe:
        http:
          url: http://127.0.0.1:${port}/cgi-bin/h
          interval: 200ms
          timeout: 3s
          degraded_after: 500ms
      unhealthy_threshold: 2
      backoff: { min: 100ms, max: 1s, max_attempts: 3 }
  client:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    # The probe is web's only health: it gates its dependents as a healthcheck would.
    depends_on: { web: { condition: service_healthy } }
`;
};

const of = (type: string) => (e: AliciaEvent) =>
  e.event_type === type && (e.event_data as { stack?: string }).stack === STACK;

describe('HTTP probes run by the agent, on real Docker', () => {
  it('slow → degraded; failing → unhealthy → restarted by its agent → recovered', async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'a' }] });
    const port = await freePort();
    await harness.orchestrator.deploy(stackFrom(yaml(port), STACK));
    // web was healthy (by its probe) before client started.
    const order = harness.events
      .filter((e) => e.event_type === 'service_healthy' || e.event_type === 'service_starting')
      .map((e) => `${e.event_type}:${(e.event_data as { service: string }).service}`);
    expect(order.indexOf('service_healthy:web')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('service_healthy:web')).toBeLessThan(order.indexOf('service_starting:client'));
    const row = await until(
      async () =>
        (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web' && s.health === 'healthy'),
      { what: 'web healthy by its probe', timeoutMs: 10_000 },
    );
    const containerName = `alicia-${row.instances[0]?.instance}`;

    const degraded = nextEvent(harness.orchestrator, of('service_degraded'), 'service_degraded', 10_000);
    expect(await execIn(docker, containerName, ['sh', '-c', 'echo slow > /tmp/mode'])).toBe(0);
    await degraded;
    const slow = await until(
      async () =>
        (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web')?.health === 'degraded',
      { what: 'ps degraded' },
    );
    expect(slow).toBe(true);

    const unhealthy = nextEvent(harness.orchestrator, of('service_unhealthy'), 'service_unhealthy', 15_000);
    const restarted = nextEvent(harness.orchestrator, of('service_restarted'), 'service_restarted', 15_000);
    const recovered = nextEvent(harness.orchestrator, of('service_recovered'), 'service_recovered', 20_000);
    const failedAt = Date.now();
    expect(await execIn(docker, containerName, ['sh', '-c', 'echo fail > /tmp/mode'])).toBe(0);
    await unhealthy;
    const restart = await restarted;
    // Docker's own count stays 0 (the agent restarted it, not Docker's policy); the attempt says 1.
    expect(restart.event_data).toMatchObject({ restarts: 0, attempts: 1, reason: 'restarted by its agent' });
    const inspected = await docker.getContainer(containerName).inspect();
    expect(inspected.RestartCount).toBe(0);
    await recovered;
    const healedMs = Date.now() - failedAt;
    const healthy = await until(
      async () =>
        (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web' && s.health === 'healthy'),
      { what: 'web healthy again' },
    );
    expect(healthy.instances[0]).toMatchObject({ state: 'running', restarts: 1 });
    console.log(
      `probe failing -> healthy again in ${healedMs} ms (budget: 2 failures × 200 ms + backoff 100 ms)`,
    );
    expect(harness.events.filter(of('service_unhealthy'))).toHaveLength(1);
    expect(harness.events.filter(of('service_degraded'))).toHaveLength(1);
  }, 60_000);
});
