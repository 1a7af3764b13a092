// Needs Docker: a real agent on the private engine, the orchestrator on aedes (port 0).
// Issue 13, test 1 (an image that cannot be pulled), end to end on a real engine: the
// registry is 127.0.0.1:1 (nothing listens; the pull is refused without leaving loopback).
// The deploy step fails at once with the engine's reason, the start is retried with backoff
// (each failure an orchestration_error carrying that reason), then the service fails once,
// and no container of it is left behind.
import { describe, expect, it } from 'vitest';
import { eventSubject } from '../../src/protocol/index.js';
import { testDocker } from '../helpers/docker.js';
import { nextEvent, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { cleanStackAround } from './helpers.js';

const STACK = 'e2epullfail';
const IMAGE = '127.0.0.1:1/alicia-e2e/nope:1';
const docker = testDocker();
cleanStackAround(docker, STACK);

const YAML = `
services:
  web:
    image: ${IMAGE}
    command: ["sleep", "3600"]
    x-alicia:
      backoff: { min: 200ms, max: 400ms, max_attempts: 2 }
`;

describe('e2e: an image that cannot be pulled', () => {
  it("fails the step at once with the engine's reason, retries with backoff, then fails once", async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-pull' }] });
    const failed = nextEvent(
      harness.orchestrator,
      (e) =>
        e.event_type === 'service_failed' && eventSubject(e).stack === STACK && 'instance' in e.event_data,
      'service_failed of web (circuit)',
      45_000,
    );
    const t0 = Date.now();
    const error = await harness.orchestrator.deploy(stackFrom(YAML, STACK)).then(
      () => null,
      (err: unknown) => err,
    );
    const deployMs = Date.now() - t0;
    expect(error).toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringContaining(`could not start on e2e-pull`),
    });
    expect((error as Error).message).toContain(IMAGE);
    // At once: well inside the 120 s startup timeout.
    expect(deployMs).toBeLessThan(15_000);

    const failure = await failed;
    expect(failure.event_data).toMatchObject({
      service: 'web',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 2 healing attempts: ALICIA_ERR_IMAGE_PULL/),
    });
    const mine = harness.events.filter((e) => eventSubject(e).stack === STACK);
    const errors = mine.filter((e) => e.event_type === 'orchestration_error');
    // The deploy's own attempt, then one per retry: each with the engine's reason.
    expect(errors).toHaveLength(3);
    for (const e of errors) {
      expect(e.event_data).toMatchObject({
        error: { code: 'ALICIA_ERR_IMAGE_PULL', message: expect.stringContaining(IMAGE) },
      });
    }
    const retries = mine.filter(
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'retry_start',
    );
    expect(retries).toHaveLength(2);
    // Backed off: the retries are apart by at least the backoff's minimum.
    const at = retries.map((e) => Date.parse(e.timestamp));
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(150);
    expect(mine.filter((e) => e.event_type === 'service_failed' && 'instance' in e.event_data)).toHaveLength(
      1,
    );
    const row = (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web');
    expect(row?.note).toMatch(/^circuit open/);
    // Nothing was created on the engine for it.
    expect(await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } })).toEqual(
      [],
    );
    console.log(`pull failure: deploy failed in ${deployMs} ms, circuit open in ${Date.now() - t0} ms`);
  }, 60_000);
});
