// Needs Docker: two real agents on the private engine, the orchestrator on aedes (port 0).
// Issue 13, test 5: a reschedule onto a host whose agent refuses the spec is never a silent
// loop — each refusal is an `orchestration_error` with the agent's reason, retried after a
// backoff with jitter, then the service fails once (its circuit opens) and nothing more is
// tried; the history says so.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AliciaEvent, eventSubject } from '../../src/protocol/index.js';
import { removeLabelled, TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { type Harness, nextEvent, stackFrom, startHarness } from '../integration/orchestrator-harness.js';

const STACK = 'e2erefuse';
const docker = testDocker();
let harness: Harness | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  await harness?.close();
  harness = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
});

const YAML = `
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 500ms
    x-alicia:
      backoff: { min: 200ms, max: 400ms, max_attempts: 3 }
`;

const mine = (events: readonly AliciaEvent[], type: string) =>
  events.filter((e) => e.event_type === type && eventSubject(e).stack === STACK);

describe('e2e: a reschedule the new host refuses', () => {
  it('reports each refusal with the agent reason, backs off with jitter, then fails once', async () => {
    harness = await startHarness({
      runtime: 'docker',
      agents: [{ id: 'refuse-good' }],
      orchestrator: { rescheduleGraceMs: 300 },
    });
    await harness.orchestrator.deploy(stackFrom(YAML, STACK));
    // The second host's policy allows no image of ours.
    await harness.startAgent({ id: 'refuse-picky', policy: { allowedImages: ['registry.invalid/only/*'] } });
    await harness.orchestrator.waitForAgents(2, 10_000);

    const failed = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_failed' && eventSubject(e).stack === STACK,
      'service_failed of web',
      30_000,
    );
    await harness.stopAgent('refuse-good');
    const failure = await failed;
    expect(failure.event_data).toMatchObject({
      service: 'web',
      agent: 'refuse-picky',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 3 healing attempts: ALICIA_ERR_POLICY_IMAGE/),
    });
    expect(mine(harness.events, 'service_rescheduled')).toHaveLength(1);
    // Every refusal on the wire with the agent's own reason: the first and three retries.
    const errors = mine(harness.events, 'orchestration_error');
    expect(errors).toHaveLength(4);
    for (const e of errors) {
      expect(e.event_data).toMatchObject({
        agent: 'refuse-picky',
        error: { code: 'ALICIA_ERR_POLICY_IMAGE', message: expect.stringContaining(TEST_IMAGE) },
      });
    }
    // Backoff: retries spaced by min·2^(n-1) ± 20 %, capped at max.
    const retries = mine(harness.events, 'healing_action').filter(
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'retry_start',
    );
    expect(retries).toHaveLength(3);
    const delays = retries.map((e) =>
      e.event_type === 'healing_action' ? Number(/in (\d+) ms/.exec(e.event_data.reason)?.[1]) : Number.NaN,
    );
    expect(delays[0]).toBeGreaterThanOrEqual(160);
    expect(delays[0]).toBeLessThanOrEqual(240);
    expect(delays[1]).toBeGreaterThanOrEqual(320);
    expect(delays[2]).toBeLessThanOrEqual(480);
    const times = errors.map((e) => Date.parse(e.timestamp));
    for (let i = 1; i < times.length; i += 1) {
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual((delays[i - 1] ?? 0) - 5);
    }

    // Open: no more starts. The history has the refusals' retries and the failure.
    const history = await harness.orchestrator.history('web');
    expect(history[0]).toMatchObject({ action: 'service_failed', success: false });
    expect(history.filter((e) => e.action === 'healing_action').length).toBeGreaterThanOrEqual(3);
    const row = (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web');
    expect(row?.note).toMatch(/^circuit open: gave up after 3 healing attempts/);
    expect(mine(harness.events, 'service_failed')).toHaveLength(1);
    expect(mine(harness.events, 'orchestration_error')).toHaveLength(4);
  }, 60_000);
});
