// The agent on the in-memory runtime with a real aedes broker: a container killed from
// outside, and one found stopped after a power cut, are started again by their agent and
// never reported `failed` on the way (the orchestrator took every such report for its agent
// giving up and spent its healing budget on it: the chaos soak's findings).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRuntime, type MemoryRuntime } from '../../agents/runtime/index.js';
import type { ContainersSnapshot } from '../../src/protocol/containers.js';
import { instanceSpec } from '../contract/specs.js';
import {
  agentTestEnv,
  Closer,
  closeAgentTest,
  inProcessAgent,
  start,
  untilPresence,
  untilReport,
  type Watcher,
} from './agent-harness.js';

const STACK = 'kill';
const closer = new Closer();

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;
let runtime: MemoryRuntime;

beforeEach(async () => {
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'kill'));
  runtime = createMemoryRuntime();
});

afterEach(async () => {
  await closeAgentTest(closer);
  await runtime.close();
});

const agent = (engine: MemoryRuntime = runtime) =>
  inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, runtime: engine });

/** Every state the agent reported for `instance` so far (in order). */
function statesOf(instance: string): string[] {
  return w.messages.items
    .filter((m) => m.topic === `alicia/agents/${agentId}/containers`)
    .flatMap((m) => (m.payload as ContainersSnapshot).containers ?? [])
    .filter((c) => c.instance === instance)
    .map((c) => c.state);
}

describe('agent: kills and power cuts are not failures', () => {
  it('a docker kill: started again in place by its agent (one restart), never reported failed', async () => {
    await agent();
    const db = instanceSpec(STACK, 'db', 1);
    await start(w, agentId, [db]);
    const before = await untilReport(w, agentId, db.instance, (r) => r.state === 'running');
    runtime.kill(db.instance);
    const after = await untilReport(
      w,
      agentId,
      db.instance,
      (r) => r.state === 'running' && r.restarts === before.restarts + 1,
    );
    expect(after.container_id).toBe(before.container_id);
    expect(after.crash_loop).toBeNull();
    expect(statesOf(db.instance)).not.toContain('failed');
  });

  it('a container found stopped after a power cut: restarted on boot, never reported failed', async () => {
    const first = await agent();
    const db = instanceSpec(STACK, 'db', 1);
    await start(w, agentId, [db]);
    const before = await untilReport(w, agentId, db.instance, (r) => r.state === 'running');
    await first.close();
    // The host lost power: the process died with the host (137), nobody stopped it.
    runtime.crash(db.instance, 137);
    // An engine that takes its time to start a container (as Docker does after a boot): the
    // agent's first reports go out before the start is done.
    const slow: MemoryRuntime = {
      ...runtime,
      start: async (id) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await runtime.start(id);
      },
    };
    const second = await agent(slow);
    await untilPresence(w, agentId, (p) => p.state === 'online' && p.session === second.session);
    const after = await untilReport(w, agentId, db.instance, (r) => r.state === 'running', 15_000, {
      session: second.session,
    });
    expect(after.container_id).toBe(before.container_id);
    expect(statesOf(db.instance)).not.toContain('failed');
  });
});
