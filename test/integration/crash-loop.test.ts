// Needs Docker: a container that keeps dying at once (its port already taken, the issue's
// example) is seen crash-looping by its agent from Docker's start/die events: the report
// carries its exit code, Docker's own restart count and its last log lines; the
// orchestrator announces it once (service_crashlooping) and `ps` says it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { closeHarnesses, nextEvent, stackFrom, startHarness } from './orchestrator-harness.js';

const STACK = 'crashloop-it';
const docker = testDocker();

beforeEach(() => removeLabelled(docker, 'alicia.stack', STACK));
afterEach(async () => {
  await closeHarnesses();
  await removeLabelled(docker, 'alicia.stack', STACK);
});

const yaml = (port: number) => `
services:
  holder:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ["sh", "-c", "echo holder starting on ${port}; exec nc -l -p ${port}"]
    restart: always
    labels: { alicia.healing: manual }
  web:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ["sh", "-c", "echo web starting on ${port}; exec nc -l -p ${port}"]
    restart: always
    # Started after holder, which then usually holds the port; under load web may bind first,
    # and holder is the one that loops: either way exactly one of them does.
    depends_on: [holder]
    # Manual healing (both): the orchestrator's ladder would recreate the looping container
    # (a new one, a new episode); here Docker's own restarts of that one container are watched.
    labels: { alicia.healing: manual }
`;

describe('crash loops on real Docker', () => {
  it('reports a container whose port is taken as crash-looping, with exit code, Docker’s count and log tail, once', async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'a' }] });
    const port = await freePort();
    const t0 = Date.now();
    const looping = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_crashlooping',
      'service_crashlooping',
      30_000,
    );
    const deployed = harness.orchestrator.deploy(stackFrom(yaml(port), STACK)).catch((err: unknown) => err);
    const event = await looping;
    const reportedMs = Date.now() - t0;
    // The deploy runs its course (judged by the orchestrator's own rules).
    await deployed;
    const data = event.event_data as {
      service: string;
      exit_code: number | null;
      restarts: number;
      log_tail: string[];
    };
    const loser = data.service;
    expect(['web', 'holder']).toContain(loser);
    expect(data.exit_code).toBe(1);
    expect(data.log_tail).toContain(`${loser} starting on ${port}`);
    expect(data.log_tail.some((line) => /in use/i.test(line))).toBe(true);
    expect(data.restarts).toBeGreaterThanOrEqual(2);

    // The count is Docker's own.
    const web = (
      await docker.listContainers({
        all: true,
        filters: { label: [`alicia.stack=${STACK}`, `alicia.service=${loser}`] },
      })
    )[0];
    expect(web).toBeDefined();
    const inspected = await docker.getContainer(web?.Id ?? '').inspect();
    expect(inspected.RestartCount).toBeGreaterThanOrEqual(data.restarts);

    // ps says so, with the same numbers as the latest report.
    const row = await until(
      async () =>
        (await harness.orchestrator.ps(STACK)).find((s) => s.service === loser && s.instances[0]?.crash_loop),
      { what: 'ps showing the crash loop' },
    );
    expect(row.instances[0]?.crash_loop).toMatchObject({ exit_code: 1, since: expect.any(Number) });
    const { crashLoopState } = await import('../../src/cli/commands/ps.js');
    expect(crashLoopState(row)).toMatch(/^crashlooping \(exit 1, \d+ restarts\)$/);

    // More restarts follow (Docker keeps trying); the episode is still announced once.
    const later = (inspected.RestartCount ?? 0) + 2;
    await until(
      async () => ((await docker.getContainer(web?.Id ?? '').inspect()).RestartCount ?? 0) >= later,
      {
        what: 'two more restarts by Docker',
        timeoutMs: 20_000,
      },
    );
    expect(harness.events.filter((e) => e.event_type === 'service_crashlooping')).toHaveLength(1);
    console.log(`crash loop reported ${reportedMs} ms after deploy began (restarts ${data.restarts})`);
  }, 60_000);
});
