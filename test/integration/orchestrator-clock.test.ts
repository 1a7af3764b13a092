// The orchestrator's time and timers all come through the Clock port: with a manual clock,
// a wait runs out when the clock is advanced (not after real time), and closing clears
// every timer the orchestrator set.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker } from '../../broker/embedded.js';
import { createManualClock } from '../../src/clock/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startOrchestrator } from '../../src/orchestrator/index.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('orchestrator on the Clock port', () => {
  it('waits on the manual clock and leaves no timer behind', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-clock-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const broker = await startEmbeddedBroker({ port: 0 });
    cleanup.push(() => broker.close());
    const clock = createManualClock(Date.parse('2026-11-22T13:00:00.000Z'));
    const orchestrator = await startOrchestrator({
      brokerUrl: broker.url,
      stateDir: dir,
      log: silentLogger(),
      clock,
    });
    let closed = false;
    cleanup.push(() => (closed ? Promise.resolve() : orchestrator.close()));
    // Ticker, reconcile sweep and status heartbeat are on the clock.
    const idle = clock.pending();
    expect(idle).toBeGreaterThanOrEqual(3);

    const waiting = orchestrator.waitForAgents(1, 60_000);
    expect(clock.pending()).toBe(idle + 1);
    clock.advance(60_000);
    await expect(waiting).rejects.toThrow('fewer than 1 agents online after 60000 ms');

    const events: string[] = [];
    orchestrator.events.onEvent((e) => events.push(e.timestamp));
    orchestrator.events.emit('agent_lost', { agent: 'x', instances: 0, offline_ms: 0 });
    // Event time is the clock's time.
    expect(events).toEqual([new Date(clock.now()).toISOString()]);

    closed = true;
    await orchestrator.close();
    expect(clock.pending()).toBe(0);
  });
});
