// An image that cannot be pulled (a real agent on the in-memory runtime, whose pull fails as
// a registry would: ALICIA_ERR_IMAGE_PULL with its reason; aedes on port 0): the deploy step
// fails at once naming it; afterwards the start is retried with backoff, each failure an
// orchestration_error with the registry's reason, then the service fails once.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRuntime } from '../../agents/index.js';
import { eventSubject } from '../../src/protocol/index.js';
import { closeHarnesses, nextEvent, stackFrom, startHarness } from './orchestrator-harness.js';

afterEach(closeHarnesses);

const YAML = `
services:
  web:
    image: registry.invalid/nope:1
    command: ["sleep", "3600"]
    x-alicia:
      backoff: { min: 100ms, max: 200ms, max_attempts: 2 }
`;

describe('an image that cannot be pulled', () => {
  it('fails the deploy step at once with the reason, retries with backoff, then fails once', async () => {
    const runtime = createMemoryRuntime({ images: ['alicia-test/busybox:latest'], pullable: [] });
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a', runtime }] });
    const failed = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_failed' && 'instance' in e.event_data,
      'service_failed (circuit)',
      20_000,
    );
    const t0 = Date.now();
    const error = await harness.orchestrator.deploy(stackFrom(YAML, 'pullfail')).then(
      () => null,
      (err: unknown) => err,
    );
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(error).toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringMatching(
        /service "web": instance pullfail_web_1_\w+ could not start on a: .*registry\.invalid\/nope:1: repository does not exist/,
      ),
    });
    const failure = await failed;
    expect(failure.event_data).toMatchObject({
      service: 'web',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 2 healing attempts: ALICIA_ERR_IMAGE_PULL/),
    });
    const mine = harness.events.filter((e) => eventSubject(e).stack === 'pullfail');
    const errors = mine.filter((e) => e.event_type === 'orchestration_error');
    expect(errors.length).toBe(3);
    for (const e of errors) {
      expect(e.event_data).toMatchObject({
        error: { code: 'ALICIA_ERR_IMAGE_PULL', message: expect.stringContaining('registry.invalid/nope:1') },
      });
    }
    expect(
      mine.filter((e) => e.event_type === 'healing_action' && e.event_data.action === 'retry_start'),
    ).toHaveLength(2);
    expect(mine.filter((e) => e.event_type === 'service_failed' && 'instance' in e.event_data)).toHaveLength(
      1,
    );
    const row = (await harness.orchestrator.ps('pullfail')).find((s) => s.service === 'web');
    expect(row?.note).toMatch(/^circuit open/);
  }, 30_000);
});
