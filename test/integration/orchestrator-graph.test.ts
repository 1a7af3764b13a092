// The `graph` request (the dashboard's dependency graph): each deployed stack's depends_on
// and start layers (in process here; over MQTT in test/ui/dashboard.test.ts); an unknown
// stack is NOT_FOUND.
import { afterEach, describe, expect, it } from 'vitest';
import { closeHarnesses, DB_API_YAML, stackFrom, startHarness } from './orchestrator-harness.js';

afterEach(async () => {
  await closeHarnesses();
});

describe('graph request', () => {
  it('answers each stack with its layers and dependencies', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    await harness.orchestrator.request('deploy', stackFrom(DB_API_YAML, 'graphs'));
    const reply = await harness.orchestrator.request('graph', {});
    expect(reply.stacks).toEqual([
      {
        stack: 'graphs',
        layers: [['db'], ['api']],
        services: expect.arrayContaining([
          { service: 'db', depends_on: [] },
          { service: 'api', depends_on: [{ service: 'db', condition: 'service_healthy', required: true }] },
        ]),
      },
    ]);
    expect((await harness.orchestrator.request('graph', { stack: 'graphs' })).stacks).toHaveLength(1);
    await expect(harness.orchestrator.request('graph', { stack: 'nope' })).rejects.toMatchObject({
      code: 'ALICIA_ERR_NOT_FOUND',
    });
  });
});
