// The crash-loop rule, as a pure function of start/die events and the time.
import { describe, expect, it } from 'vitest';
import {
  type CrashLoopInput,
  type CrashLoopState,
  type CrashLoopStep,
  INITIAL_CRASH_LOOP,
  DEFAULT_CRASH_LOOP_RULE as RULE,
  stepCrashLoop,
} from '../../../src/core/healing/index.js';

/** Feeds inputs in order (`now` = the input's own time, or `at` for ticks), returning every step. */
function run(inputs: (CrashLoopInput & { now?: number })[], from: CrashLoopState = INITIAL_CRASH_LOOP) {
  let state = from;
  const steps: CrashLoopStep[] = [];
  for (const input of inputs) {
    const now = input.now ?? ('at' in input ? input.at : 0);
    const step = stepCrashLoop(state, input, RULE, now);
    state = step.state;
    steps.push(step);
  }
  return { state, steps };
}

/** A process that starts at `at` and dies `lasted` ms later with `code`. */
const life = (at: number, lasted: number, code = 1): CrashLoopInput[] => [
  { type: 'start', at },
  { type: 'die', at: at + lasted, exit_code: code, started_at: null },
];

describe('crash loop rule', () => {
  it('three quick exits (two restarts that died again) are a loop, from the first one', () => {
    const { state, steps } = run([...life(0, 50), ...life(150, 40), ...life(400, 30, 2)]);
    expect(steps.map((s) => s.entered)).toEqual([false, false, false, false, false, true]);
    expect(state.since).toBe(50);
    expect(state.last_exit).toEqual({ at: 430, exit_code: 2 });
  });

  it('a process killed from outside is not a quick exit: kills 4 s apart are no loop', () => {
    // `docker kill` (Docker: kill, then die): the soak's kills of one healthy container.
    const killed = (at: number, lasted: number): CrashLoopInput[] => [
      { type: 'start', at },
      { type: 'die', at: at + lasted, exit_code: 137, started_at: null, killed: true },
    ];
    const { state, steps } = run([...killed(0, 4_000), ...killed(4_100, 4_000), ...killed(8_200, 4_000)]);
    expect(steps.some((s) => s.entered)).toBe(false);
    expect(state.since).toBeNull();
    expect(state.quick_exits).toEqual([]);
    expect(state.last_exit).toEqual({ at: 12_200, exit_code: 137 });
    // The same exits by themselves (a crash) are a loop.
    expect(
      run([...life(0, 4_000, 137), ...life(4_100, 4_000, 137), ...life(8_200, 4_000, 137)]).state.since,
    ).toBe(4_000);
  });

  it('two quick exits are not yet a loop; neither are slow ones', () => {
    expect(run([...life(0, 50), ...life(150, 40)]).state.since).toBeNull();
    const slow = run([...life(0, 15_000), ...life(15_100, 15_000), ...life(30_200, 15_000)]);
    expect(slow.state.since).toBeNull();
  });

  it('quick exits spread wider than the window are not a loop', () => {
    const spread = run([...life(0, 10), ...life(40_000, 10), ...life(80_000, 10)]);
    expect(spread.state.since).toBeNull();
  });

  it('a run that stays up for stable_ms ends the episode, on a tick asked for by the step', () => {
    const { state, steps } = run([
      ...life(0, 50),
      ...life(150, 40),
      ...life(400, 30),
      { type: 'start', at: 1_000 },
    ]);
    expect(state.since).not.toBeNull();
    const wake = steps.at(-1)?.wake_at;
    expect(wake).toBe(1_000 + RULE.stable_ms);
    expect(stepCrashLoop(state, { type: 'tick' }, RULE, 1_000 + RULE.stable_ms - 1).ended).toBe(false);
    const over = stepCrashLoop(state, { type: 'tick' }, RULE, 1_000 + RULE.stable_ms);
    expect(over).toMatchObject({ ended: true, wake_at: null, state: { since: null, quick_exits: [] } });
  });

  it('a run that dies after stable_ms ends it too; one between quick and stable keeps it', () => {
    const looping = run([...life(0, 50), ...life(150, 40), ...life(400, 30)]).state;
    expect(run(life(1_000, 20_000), looping).state.since).toBe(50);
    const ended = run(life(1_000, RULE.stable_ms), looping);
    expect(ended.state.since).toBeNull();
    expect(ended.steps.at(-1)?.ended).toBe(true);
  });

  it('the episode is entered once however many exits follow', () => {
    const inputs = [0, 150, 400, 900, 2_000, 4_000].flatMap((at) => life(at, 20));
    expect(run(inputs).steps.filter((s) => s.entered)).toHaveLength(1);
  });

  it('a die whose start was not seen uses the inspected start; unknown length counts for nothing', () => {
    const seen = run([
      { type: 'die', at: 100, exit_code: 1, started_at: 90 },
      { type: 'die', at: 300, exit_code: 1, started_at: 280 },
      { type: 'die', at: 700, exit_code: 1, started_at: 650 },
    ]);
    expect(seen.state.since).toBe(100);
    const unknown = run(
      [1, 2, 3].map((i) => ({ type: 'die' as const, at: i * 100, exit_code: 1, started_at: null })),
    );
    expect(unknown.state.since).toBeNull();
  });

  it('an old start event after a newer one changes nothing', () => {
    const { state } = run([
      { type: 'start', at: 500 },
      { type: 'start', at: 100 },
    ]);
    expect(state.run_started_at).toBe(500);
  });
});
