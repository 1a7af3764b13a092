// A kill from outside: the pure decision (src/core/agent-plan/after-kill.ts) and the event
// reading that feeds it (agents/kill-watch.ts: Docker's kill/die/stop/destroy, with a manual
// clock). Found by the chaos soak: a `docker kill` of a healthy db was reported failed, taken
// for its agent giving up, and a few of them opened the circuit and left db stopped.
import { describe, expect, it } from 'vitest';
import { createKillWatch } from '../../../agents/kill-watch.js';
import { createManualClock } from '../../../src/clock/index.js';
import { type KilledInstance, planAfterKill } from '../../../src/core/agent-plan/index.js';
import { silentLogger } from '../../../src/logging/logger.js';

const KILLED: KilledInstance = {
  killed_id: 'c1',
  run: true,
  gave_up: false,
  spec_hash: 'h1',
  container: { id: 'c1', running: false, spec_hash: 'h1' },
};

describe('after a kill from outside (planAfterKill)', () => {
  it('starts the killed container again when the instance still wants to run', () => {
    expect(planAfterKill(KILLED)).toEqual({ type: 'start' });
  });

  it('leaves it when stopped on purpose, given up, gone, replaced, running again or outdated', () => {
    const cases: Partial<KilledInstance>[] = [
      { run: false },
      { gave_up: true },
      { container: null },
      { container: { id: 'c2', running: false, spec_hash: 'h1' } },
      { container: { id: 'c1', running: true, spec_hash: 'h1' } },
      { container: { id: 'c1', running: false, spec_hash: 'h0' } },
    ];
    for (const c of cases) expect(planAfterKill({ ...KILLED, ...c }).type, JSON.stringify(c)).toBe('leave');
  });
});

describe('kill watch (Docker events)', () => {
  function setup(busy = false) {
    const clock = createManualClock(1_000);
    const restarts: string[] = [];
    const watch = createKillWatch({
      clock,
      settleMs: 500,
      busy: () => busy,
      restart: async (instance, id) => {
        restarts.push(`${instance}/${id}`);
      },
      changed: () => undefined,
      log: silentLogger(),
    });
    return { clock, restarts, watch };
  }

  it('docker kill (kill, die): reported restarting, started again once it settled', async () => {
    const { clock, restarts, watch } = setup();
    expect(watch.event('db', 'kill', 'c1')).toBe(false);
    expect(watch.event('db', 'die', 'c1')).toBe(true);
    expect(watch.pending('db')).toBe(true);
    clock.advance(499);
    expect(restarts).toEqual([]);
    clock.advance(1);
    expect(restarts).toEqual(['db/c1']);
    await Promise.resolve();
    await Promise.resolve();
    expect(watch.pending('db')).toBe(false);
  });

  it('docker stop (kill, die, stop) and removal (kill, die, destroy) are left alone', () => {
    for (const last of ['stop', 'destroy'] as const) {
      const { clock, restarts, watch } = setup();
      watch.event('db', 'kill', 'c1');
      expect(watch.event('db', 'die', 'c1')).toBe(true);
      watch.event('db', last, 'c1');
      expect(watch.pending('db')).toBe(false);
      clock.advance(5_000);
      expect(restarts, last).toEqual([]);
    }
  });

  it('a crash (die alone) is not a kill; a kill the agent makes itself is not restarted here', () => {
    const crash = setup();
    expect(crash.watch.event('db', 'die', 'c1')).toBe(false);
    crash.clock.advance(5_000);
    expect(crash.restarts).toEqual([]);
    const own = setup(true);
    own.watch.event('db', 'kill', 'c1');
    expect(own.watch.event('db', 'die', 'c1')).toBe(true);
    own.clock.advance(5_000);
    expect(own.restarts).toEqual([]);
  });

  it('a start forgets an earlier signal: the next die by itself is a crash', () => {
    const { watch } = setup();
    watch.event('db', 'kill', 'c1');
    watch.event('db', 'start', 'c1');
    expect(watch.event('db', 'die', 'c1')).toBe(false);
  });
});
