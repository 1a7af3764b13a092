// When a container is crash-looping: it keeps exiting soon after it starts and something
// (Docker's restart policy, or the agent) keeps starting it again. A port already taken, a
// missing file, a bad flag: the process dies in milliseconds, Docker restarts it with its
// own backoff (100 ms, 200 ms, 400 ms … up to 1 min), and without this rule the service
// only ever reads `starting`. Pure: the agent feeds the container's start and die events
// (Docker's event stream, with their times) and wakes the machine when it asks to.
//
// The rule: `min_exits` exits, each within `quick_exit_ms` of its start, inside
// `window_ms` — the second restart of a process that never got going. The episode lasts
// until a run stays up for `stable_ms` (Docker resets its own backoff after 10 s of run;
// a service that crashes every 20 s is still looping), or the container is replaced.

export interface CrashLoopRule {
  /** A run shorter than this that ends is a quick exit (ms). */
  readonly quick_exit_ms: number;
  /** Quick exits within `window_ms` that make a loop (3: two restarts that died again). */
  readonly min_exits: number;
  readonly window_ms: number;
  /** A run this long ends the episode (ms). */
  readonly stable_ms: number;
}

export const DEFAULT_CRASH_LOOP_RULE: CrashLoopRule = Object.freeze({
  quick_exit_ms: 10_000,
  min_exits: 3,
  window_ms: 60_000,
  stable_ms: 30_000,
});

export interface CrashLoopExit {
  /** When the process ended (epoch ms). */
  readonly at: number;
  readonly exit_code: number | null;
}

export interface CrashLoopState {
  /** Start of the current (or last) run (epoch ms); null before the first start is seen. */
  readonly run_started_at: number | null;
  readonly running: boolean;
  /** Quick exits inside the window, oldest first. */
  readonly quick_exits: readonly CrashLoopExit[];
  readonly last_exit: CrashLoopExit | null;
  /** The episode began then (its first quick exit); null: not looping. */
  readonly since: number | null;
}

export const INITIAL_CRASH_LOOP: CrashLoopState = Object.freeze({
  run_started_at: null,
  running: false,
  quick_exits: [],
  last_exit: null,
  since: null,
});

export type CrashLoopInput =
  /** The process started (Docker's `start`, also for a restart by the policy). */
  | { readonly type: 'start'; readonly at: number }
  /**
   * The process ended (Docker's `die`); `started_at` is the run's start as inspect shows it,
   * for a run whose start event was not seen (an agent that started meanwhile). `killed`:
   * a signal was sent to it through Docker first (Docker's `kill` event: `docker kill`,
   * `docker stop`, the agent's own stop) — it did not die by itself.
   */
  | {
      readonly type: 'die';
      readonly at: number;
      readonly exit_code: number | null;
      readonly started_at: number | null;
      readonly killed?: boolean;
    }
  /** A wake-up asked for by a previous step. */
  | { readonly type: 'tick' };

export interface CrashLoopStep {
  readonly state: CrashLoopState;
  /** The episode began with this input. */
  readonly entered: boolean;
  /** The episode ended with this input. */
  readonly ended: boolean;
  /** When to feed a `tick` (epoch ms): a run that may end the episode; null: none needed. */
  readonly wake_at: number | null;
}

function assertNever(value: never): never {
  throw new Error(`unhandled crash-loop input ${JSON.stringify(value)}`);
}

function wakeOf(state: CrashLoopState, rule: CrashLoopRule): number | null {
  if (state.since === null || !state.running || state.run_started_at === null) return null;
  return state.run_started_at + rule.stable_ms;
}

function result(before: CrashLoopState, state: CrashLoopState, rule: CrashLoopRule): CrashLoopStep {
  return {
    state,
    entered: before.since === null && state.since !== null,
    ended: before.since !== null && state.since === null,
    wake_at: wakeOf(state, rule),
  };
}

export function stepCrashLoop(
  state: CrashLoopState,
  input: CrashLoopInput,
  rule: CrashLoopRule,
  now: number,
): CrashLoopStep {
  switch (input.type) {
    case 'start': {
      // A start event replayed after a later one changes nothing.
      if (state.run_started_at !== null && input.at < state.run_started_at) return result(state, state, rule);
      return result(state, { ...state, run_started_at: input.at, running: true }, rule);
    }
    case 'die': {
      const startedAt = state.running ? state.run_started_at : (input.started_at ?? state.run_started_at);
      const lasted = startedAt === null ? null : Math.max(0, input.at - startedAt);
      const exit: CrashLoopExit = { at: input.at, exit_code: input.exit_code };
      const base = { ...state, running: false, last_exit: exit };
      // A run of unknown length is not counted either way; nor is a run someone killed: a
      // process that was going fine and got a SIGKILL from outside is not crashing (the
      // soak's `docker kill`s, 4 s apart, were read as a loop of quick exits).
      if (lasted === null || input.killed === true) return result(state, base, rule);
      if (lasted >= rule.stable_ms) return result(state, { ...base, quick_exits: [], since: null }, rule);
      if (lasted >= rule.quick_exit_ms) return result(state, base, rule);
      const quick = [...state.quick_exits, exit].filter((e) => e.at > input.at - rule.window_ms);
      const kept = quick.slice(-rule.min_exits);
      const since = state.since ?? (kept.length >= rule.min_exits ? (kept[0] as CrashLoopExit).at : null);
      return result(state, { ...base, quick_exits: kept, since }, rule);
    }
    case 'tick': {
      const wake = wakeOf(state, rule);
      if (wake === null || now < wake) return result(state, state, rule);
      return result(state, { ...state, quick_exits: [], since: null }, rule);
    }
    default:
      return assertNever(input);
  }
}
