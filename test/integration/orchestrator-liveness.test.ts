// Liveness end to end: a real `alicia agent` process (node dist/src/cli/main.js, Docker
// runtime, no containers) that freezes (SIGSTOP) keeps its TCP connection, so the broker
// sends no will for seconds; the orchestrator still notices from the missing heartbeats:
// suspect, then offline by TTL, then online again when the process thaws (SIGCONT).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventSubject } from '../../src/protocol/index.js';
import { agentProcess, Closer, explained } from './agent-harness.js';
import { closeHarnesses, nextEvent, startHarness } from './orchestrator-harness.js';

const closer = new Closer();
afterEach(async () => {
  await closer.closeAll();
  await closeHarnesses();
});

describe('orchestrator liveness with a frozen agent process', () => {
  it('marks a silent agent suspect, then offline by heartbeat TTL long before its will, then online again', async () => {
    // Heartbeats every 200 ms: suspect after 300 ms of silence, offline after 600 ms. The
    // agent's MQTT keepalive is 5 s, so the broker would publish its will only after 7.5 s.
    const harness = await startHarness({ runtime: 'memory', agents: [], heartbeatMs: 200 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-liveness-'));
    closer.add(() => rm(dir, { recursive: true, force: true }));
    const event = (type: string, what: string) =>
      nextEvent(
        harness.orchestrator,
        (e) => e.event_type === type && eventSubject(e).agent === 'frozen',
        what,
        15_000,
      );
    const online = event('agent_online', 'the agent process to come online');
    const agent = agentProcess(closer, [
      '--broker',
      harness.broker.url,
      '--id',
      'frozen',
      '--state-dir',
      dir,
      '--heartbeat-ms',
      '200',
    ]);
    // A stopped process must not outlive the test: thaw it before it is killed.
    closer.add(() => {
      agent.child.kill('SIGCONT');
    });
    await explained([agent], async () => {
      await online;
      const suspect = event('agent_suspect', 'the frozen agent to turn suspect');
      const offline = event('agent_offline', 'the frozen agent to go offline');
      const frozenAt = Date.now();
      agent.child.kill('SIGSTOP');
      expect((await suspect).event_data).toMatchObject({ agent: 'frozen' });
      const gone = await offline;
      expect(gone.event_data).toMatchObject({
        agent: 'frozen',
        reason: expect.stringContaining('no heartbeat'),
      });
      // By the TTL, not by the will (which would say "presence offline" after ~7.5 s).
      expect(Date.now() - frozenAt).toBeLessThan(5_000);
      expect((await harness.orchestrator.agents()).find((a) => a.agent === 'frozen')).toMatchObject({
        status: 'offline',
      });

      const back = event('agent_online', 'the thawed agent to come back online');
      agent.child.kill('SIGCONT');
      expect((await back).event_data).toMatchObject({ agent: 'frozen', reason: 'heartbeat resumed' });
    });
  });
});
