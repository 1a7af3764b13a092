// The agent's crash watch (agents/crash-watch.ts) on a manual clock: Docker's start/die
// events make a crash loop, but the exits the agent causes itself (its healing restarts, a
// give-up's stop, an operator's restart or stop) are not crashes.
import { describe, expect, it } from 'vitest';
import { createCrashWatch } from '../../../agents/crash-watch.js';
import { createManualClock } from '../../../src/clock/index.js';
import { silentLogger } from '../../../src/logging/logger.js';

function setup() {
  const clock = createManualClock(1_000_000);
  const watch = createCrashWatch({
    clock,
    logs: async () => ['cannot start'],
    changed: () => undefined,
    log: silentLogger(),
  });
  /** A run of `ms` that ends with `exit`, as Docker's events say it. */
  const run = (ms: number, exit = 1) => {
    watch.started('web', 'c1', clock.now());
    clock.advance(ms);
    watch.died('web', 'c1', clock.now(), exit, null);
  };
  return { clock, watch, run };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('crash watch', () => {
  it('three quick exits are a loop', async () => {
    const { watch, run } = setup();
    run(500);
    run(500);
    run(500);
    await settle();
    expect(watch.view('web')).toMatchObject({ exit_code: 1, log_tail: ['cannot start'] });
    watch.close();
  });

  it('exits the agent caused itself (restarts, a stop) are not counted', async () => {
    const { watch, run } = setup();
    for (let i = 0; i < 4; i += 1) {
      // The healer restarts an unhealthy container 1.2 s into each run: a SIGKILL, exit 137.
      watch.onPurpose('web');
      run(1_200, 137);
    }
    await settle();
    expect(watch.view('web')).toBeNull();
    // Its own crashes still count once the announced exit is past.
    run(300);
    run(300);
    run(300);
    await settle();
    expect(watch.view('web')).not.toBeNull();
    watch.close();
  });

  it('an announced exit that never came expires: a later crash counts', async () => {
    const { clock, watch, run } = setup();
    watch.onPurpose('web');
    clock.advance(61_000);
    run(300);
    run(300);
    run(300);
    await settle();
    expect(watch.view('web')).not.toBeNull();
    watch.close();
  });
});
