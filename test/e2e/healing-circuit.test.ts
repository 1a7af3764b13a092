// Needs Docker: a real agent on the private engine, the orchestrator on aedes (port 0).
// The orchestrator's healing ladder on real containers: a service whose healthcheck keeps
// failing (its flag file lives in a named volume, so a fresh container fails too) is
// restarted by its agent, recreated by the orchestrator with backoff, then its circuit
// opens — `service_failed` exactly once, its dependent's state says why, the history
// survives an orchestrator restart — and `alicia heal` closes it.
import { describe, expect, it } from 'vitest';
import { type AliciaEvent, eventSubject } from '../../src/protocol/index.js';
import { execIn, TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { labels, nextEvent, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { cleanStackAround } from './helpers.js';

const STACK = 'e2ecircuit';
const VOLUME = `${STACK}_flag`;
const docker = testDocker();
cleanStackAround(docker, STACK, [VOLUME]);

const YAML = `
services:
  db:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    volumes: ["flag:/flag"]
    stop_grace_period: 500ms
    healthcheck: { test: ["CMD-SHELL", "test ! -f /flag/bad"], interval: 200ms, retries: 1 }
    x-alicia:
      backoff: { min: 100ms, max: 200ms, max_attempts: 2, reset_after: 1m }
  api:
    image: ${TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_grace_period: 500ms
    depends_on: { db: { condition: service_healthy } }
volumes:
  flag: {}
`;

/** Runs `cmd` in a throwaway container that mounts the flag volume (db itself may be stopped). */
async function onVolume(cmd: string[]): Promise<void> {
  const c = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    HostConfig: { Binds: [`${VOLUME}:/flag`], NetworkMode: 'none' },
  });
  try {
    await c.start();
    const result = (await c.wait()) as { StatusCode: number };
    expect(result.StatusCode).toBe(0);
  } finally {
    await c.remove({ force: true });
  }
}

const of = (events: readonly AliciaEvent[], type: string, service = 'db') =>
  events.filter(
    (e) => e.event_type === type && eventSubject(e).service === service && eventSubject(e).stack === STACK,
  );

describe('e2e: healing ladder and circuit breaker', () => {
  it('recreates with backoff, opens the circuit once, keeps the history across a restart, and heal closes it', async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-circuit' }] });
    await harness.orchestrator.deploy(stackFrom(YAML, STACK));
    const db = (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'db')?.instances[0];
    if (!db?.container_id) throw new Error('db has no container');

    const failed = nextEvent(
      harness.orchestrator,
      (e) => e.event_type === 'service_failed' && eventSubject(e).service === 'db',
      'service_failed of db',
      60_000,
    );
    const broken = Date.now();
    expect(await execIn(docker, db.container_id, ['touch', '/flag/bad'])).toBe(0);
    const failure = await failed;
    const toOpenMs = Date.now() - broken;
    expect(failure.event_data).toMatchObject({
      stack: STACK,
      service: 'db',
      agent: 'e2e-circuit',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 2 healing attempts.*alicia heal db closes the circuit/),
    });
    // The ladder: the agent's own restarts, then two recreates by the orchestrator, then open.
    const recreates = of(harness.events, 'healing_action').filter(
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'recreate',
    );
    expect(recreates).toHaveLength(2);
    expect(of(harness.events, 'service_restarted').length).toBeGreaterThanOrEqual(2);

    // Open means open: nothing is recreated or started any more, the container stays stopped.
    const ps = await harness.orchestrator.ps(STACK);
    expect(ps.find((s) => s.service === 'db')?.note).toMatch(
      /^circuit open: gave up after 2 healing attempts/,
    );
    expect(ps.find((s) => s.service === 'api')?.note).toMatch(/^dependency db failed \(circuit open\)/);

    // The history survives an orchestrator restart, and so does the open circuit.
    const before = await harness.orchestrator.history('db');
    expect(before.map((e) => e.action)).toContain('service_failed');
    const restarted = await harness.restartOrchestrator();
    const after = await restarted.history('db');
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.find((e) => e.action === 'service_failed')).toMatchObject({ success: false });
    expect(after.filter((e) => e.action === 'healing_action').length).toBeGreaterThanOrEqual(2);
    await until(
      async () => (await restarted.ps(STACK)).find((s) => s.service === 'api')?.note !== undefined,
      {
        what: 'api note after the restart',
      },
    );

    // The operator fixes the cause and heals: the circuit closes, db runs healthy again.
    await onVolume(['rm', '-f', '/flag/bad']);
    const mark = harness.events.length;
    // Seconds after it opened (history, a restart, a ps): still one service_failed, two recreates.
    const whileOpen = harness.events.slice(0, mark);
    expect(of(whileOpen, 'service_failed')).toHaveLength(1);
    expect(
      of(whileOpen, 'healing_action').filter(
        (e) => e.event_type === 'healing_action' && e.event_data.action === 'recreate',
      ),
    ).toHaveLength(2);
    await restarted.heal('db', STACK);
    await until(
      async () => {
        const row = (await restarted.ps(STACK)).find((s) => s.service === 'db');
        return row?.healthy_replicas === 1 && row.note === undefined;
      },
      { what: 'db healthy with its circuit closed', timeoutMs: 20_000 },
    );
    const tail = labels(harness.events.slice(mark), STACK);
    expect(tail).toContain('healing_action:db');
    expect(
      harness.events
        .slice(mark)
        .some((e) => e.event_type === 'healing_action' && e.event_data.action === 'circuit_close'),
    ).toBe(true);
    expect((await restarted.ps(STACK)).find((s) => s.service === 'api')?.note).toBeUndefined();
    const closedHistory = await restarted.history('db', 5);
    expect(
      closedHistory.some((e) => e.action === 'healing_action' && /circuit was open/.test(e.reason ?? '')),
    ).toBe(true);
    console.log(`circuit: broken -> service_failed in ${toOpenMs} ms`);
  }, 90_000);
});
