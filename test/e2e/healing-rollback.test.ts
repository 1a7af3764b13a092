// Needs Docker: a real agent on the private engine, the orchestrator on aedes (port 0).
// Issue 13, test 3: a changed spec that never becomes healthy is rolled back to the previous
// one, which kept serving all along (start-first replacement keeps the old container until
// the new one is ready): same container, never restarted; the stack record has the previous
// definition back, so deploying the previous file again changes nothing.
import { describe, expect, it } from 'vitest';
import { TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { cleanStackAround } from './helpers.js';

const STACK = 'e2erollback';
const docker = testDocker();
cleanStackAround(docker, STACK);

const yaml = (test: string, command: string) => `
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "${command}"]
    stop_grace_period: 500ms
    healthcheck: { test: ["CMD-SHELL", "${test}"], interval: 200ms, retries: 1 }
`;
const V1 = yaml('true', 'exec sleep 3600');
const V2 = yaml('false', 'echo v2; exec sleep 3600');

const webContainers = () =>
  docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=web'] } });

describe('e2e: rollback of a changed spec', () => {
  it('keeps the previous instance serving and rolls back to it when the new spec never gets healthy', async () => {
    const harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-rollback' }] });
    await harness.orchestrator.deploy(stackFrom(V1, STACK));
    const [before] = await webContainers();
    if (!before) throw new Error('no web container');
    const startedAt = (await docker.getContainer(before.Id).inspect()).State.StartedAt;

    const t0 = Date.now();
    const error = await harness.orchestrator.deploy(stackFrom(V2, STACK)).then(
      () => null,
      (err: unknown) => err,
    );
    const rollbackMs = Date.now() - t0;
    expect(error).toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringMatching(/service "web": .*unhealthy.*; rolled back to the previous spec: web$/),
    });
    const rollback = harness.events.find(
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'rollback',
    );
    expect(rollback?.event_data).toMatchObject({
      stack: STACK,
      service: 'web',
      reason: expect.stringContaining(`previous instances ${before.Labels['alicia.instance']} kept serving`),
    });

    // The previous container served throughout: the same one, never restarted, healthy.
    const after = await webContainers();
    expect(after.map((c) => c.Id)).toEqual([before.Id]);
    const inspected = await docker.getContainer(before.Id).inspect();
    expect(inspected.State.StartedAt).toBe(startedAt);
    expect(inspected.State.Health?.Status).toBe('healthy');
    const row = (await harness.orchestrator.ps(STACK)).find((s) => s.service === 'web');
    expect(row).toMatchObject({ desired_replicas: 1, healthy_replicas: 1 });
    expect(row?.instances.map((i) => i.instance)).toEqual([before.Labels['alicia.instance']]);

    // The record has the previous definition back: the previous file changes nothing.
    const again = await harness.orchestrator.deploy(stackFrom(V1, STACK));
    expect(again.changed).toEqual([]);
    expect((await webContainers()).map((c) => c.Id)).toEqual([before.Id]);
    // And the history says what happened.
    const history = await harness.orchestrator.history('web');
    expect(
      history.some((e) => e.action === 'healing_action' && /changed spec failed/.test(e.reason ?? '')),
    ).toBe(true);
    console.log(`rollback: changed spec failed and rolled back in ${rollbackMs} ms`);
  }, 60_000);
});
