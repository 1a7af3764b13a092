// Needs Docker: a real agent on the private engine, the orchestrator on aedes (port 0).
// Issue 13, test 1 (the orchestrator's side): a container whose port is taken dies at once,
// again and again. The deploy step fails at once naming the service, its exit code and last
// log lines (not at the startup timeout); the ladder then recreates it with backoff, and
// after the budget stops the container and fails the service once.
import { describe, expect, it } from 'vitest';
import { eventSubject } from '../../src/protocol/index.js';
import { TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { nextEvent, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { cleanStackAround } from './helpers.js';

const STACK = 'e2ecrashloop';
const docker = testDocker();
cleanStackAround(docker, STACK);

const yaml = (port: number) => `
services:
  holder:
    image: ${TEST_IMAGE}
    network_mode: host
    command: ["nc", "-l", "-p", "${port}"]
    restart: always
    stop_grace_period: 500ms
  web:
    image: ${TEST_IMAGE}
    network_mode: host
    command: ["sh", "-c", "echo web starting on ${port}; exec nc -l -p ${port}"]
    restart: always
    stop_grace_period: 500ms
    depends_on: [holder]
    # The deploy waits for healthy (as in the issue's report: "starting unknown 0/1" for 120 s).
    healthcheck: { test: ["CMD", "true"], interval: 1s }
    x-alicia:
      backoff: { min: 200ms, max: 400ms, max_attempts: 2 }
`;

describe('e2e: a crash loop during a deploy', () => {
  it('fails the step at once with exit code and log lines, recreates with backoff, then stops it and fails once', async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-crash' }] });
    const port = await freePort();
    const failed = nextEvent(
      harness.orchestrator,
      (e) =>
        e.event_type === 'service_failed' && eventSubject(e).service === 'web' && 'instance' in e.event_data,
      'service_failed of web (circuit)',
      45_000,
    );
    const t0 = Date.now();
    const error = await harness.orchestrator.deploy(stackFrom(yaml(port), STACK)).then(
      () => null,
      (err: unknown) => err,
    );
    const deployMs = Date.now() - t0;
    expect(error).toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringMatching(
        new RegExp(
          `service "web": instance ${STACK}_web_1_\\w+ on e2e-crash is crash-looping \\(exit code 1, \\d+ restarts; last log lines: .*web starting on ${port}`,
        ),
      ),
    });
    // At once: well inside the 120 s startup timeout.
    expect(deployMs).toBeLessThan(15_000);

    const failure = await failed;
    const failMs = Date.now() - t0;
    expect(failure.event_data).toMatchObject({
      agent: 'e2e-crash',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 2 healing attempts: crash-looping \(exit code 1/),
    });
    const recreates = harness.events.filter(
      (e) =>
        e.event_type === 'healing_action' &&
        e.event_data.action === 'recreate' &&
        e.event_data.service === 'web',
    );
    expect(recreates).toHaveLength(2);

    // Stopped for good, kept with its logs: Docker restarts it no more.
    const stopped = await until(
      async () => {
        const [web] = await docker.listContainers({
          all: true,
          filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=web'] },
        });
        return web?.State === 'exited' ? web : undefined;
      },
      { what: 'web stopped', timeoutMs: 10_000 },
    );
    const count = (await docker.getContainer(stopped.Id).inspect()).RestartCount;
    const row = await harness.orchestrator.ps(STACK);
    expect(row.find((s) => s.service === 'web')?.note).toMatch(/^circuit open/);
    expect((await docker.getContainer(stopped.Id).inspect()).RestartCount).toBe(count);
    expect(
      harness.events.filter((e) => e.event_type === 'service_failed' && 'instance' in e.event_data),
    ).toHaveLength(1);
    console.log(`crash loop: deploy failed in ${deployMs} ms, circuit open in ${failMs} ms`);
  }, 60_000);
});
