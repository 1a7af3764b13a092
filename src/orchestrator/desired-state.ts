// The one writer of the orchestrator's desired state. Every change is a named operation
// here; it edits the in-memory state and writes it (atomically, see store.ts) before its
// promise resolves, so callers that await it may act on agents knowing a crash now
// recovers to this state. Everything else reads the state, typed read only.
import type { Stack } from '../compose/model.js';
import type { Assignment } from '../core/deploy/index.js';
import { instanceKey } from './context.js';
import type {
  OrchestratorState,
  OrchestratorStateData,
  StackRecord,
  StackRecordData,
  Store,
} from './store.js';

export interface NewStackRecord {
  readonly stack: Stack;
  readonly specs: StackRecord['specs'];
  readonly scale: StackRecord['scale'];
  readonly stopped: readonly string[];
  readonly assignments: readonly Assignment[];
  readonly deployed_ms: number;
}

export interface DesiredState {
  /** The state, read only; it changes only through the operations below. */
  readonly state: OrchestratorState;
  /** The presence session of this run (grows by one per connect). */
  setSession(session: number): Promise<void>;
  /** A stack deployed (or redeployed): its new record replaces the old one; it is no longer "removed". */
  applyStack(name: string, record: NewStackRecord): Promise<StackRecord>;
  /** Adds instances to a stack's desired set (a deploy step starts them). */
  assign(stack: string, assignments: readonly Assignment[]): Promise<void>;
  /** Takes instances out of a stack's desired set (matched by agent and instance id). */
  unassign(stack: string, assignments: readonly Assignment[]): Promise<void>;
  /** Moves instances to other hosts: each `from` is replaced by its `to`, in place. */
  reassign(
    stack: string,
    moves: readonly { readonly from: Assignment; readonly to: Assignment }[],
  ): Promise<void>;
  /** Services stopped by an operator (they stay at 0 replicas until scaled or restarted). */
  markStopped(stack: string, services: Iterable<string>): Promise<void>;
  /** Keeps only the specs of these hashes (the ones assignments or the stack refer to). */
  keepSpecs(stack: string, used: ReadonlySet<string>): Promise<void>;
  /** A stack taken down: forgotten, and remembered as removed at `nowMs` (its late containers are removed). */
  removeStack(stack: string, nowMs: number): Promise<void>;
  /** Resolves when every write asked for so far is on disk (or failed). */
  flush(): Promise<void>;
}

export function createDesiredState(store: Store, initial: OrchestratorStateData): DesiredState {
  const state = initial;
  let chain: Promise<void> = Promise.resolve();
  /** The next write, not started yet: callers until it starts share it (it includes their change). */
  let queued: Promise<void> | null = null;

  function persist(): Promise<void> {
    // A deploy step that starts three services asks three times in one turn: one write
    // (it reads the state when it starts) answers them all instead of three in a row.
    if (queued !== null) return queued;
    // A failed write is its callers' error; the next write is still tried.
    const next = chain
      .catch(() => undefined)
      .then(() => {
        queued = null;
        return store.save(state);
      });
    queued = next;
    chain = next;
    return next;
  }

  /** Edits the record of `stack` (nothing to do when it is gone) and writes the state. */
  function edit(stack: string, change: (record: StackRecordData) => void): Promise<void> {
    const record = state.stacks[stack];
    if (record === undefined) return Promise.resolve();
    change(record);
    return persist();
  }

  const keys = (list: readonly Assignment[]): Set<string> =>
    new Set(list.map((a) => instanceKey(a.agent, a.instance)));

  return {
    state,
    setSession(session) {
      state.session = session;
      return persist();
    },
    async applyStack(name, input) {
      const record: StackRecordData = {
        name,
        stack: input.stack,
        specs: { ...input.specs },
        scale: { ...input.scale },
        stopped: [...input.stopped],
        assignments: [...input.assignments],
        deployed_ms: input.deployed_ms,
      };
      state.stacks[name] = record;
      delete state.removed[name];
      await persist();
      return record;
    },
    assign(stack, assignments) {
      return edit(stack, (record) => {
        record.assignments = [...record.assignments, ...assignments];
      });
    },
    unassign(stack, assignments) {
      const gone = keys(assignments);
      return edit(stack, (record) => {
        record.assignments = record.assignments.filter((a) => !gone.has(instanceKey(a.agent, a.instance)));
      });
    },
    reassign(stack, moves) {
      const to = new Map(moves.map((m) => [instanceKey(m.from.agent, m.from.instance), m.to]));
      return edit(stack, (record) => {
        record.assignments = record.assignments.map((a) => to.get(instanceKey(a.agent, a.instance)) ?? a);
      });
    },
    markStopped(stack, services) {
      return edit(stack, (record) => {
        record.stopped = [...new Set([...record.stopped, ...services])].sort();
      });
    },
    keepSpecs(stack, used) {
      return edit(stack, (record) => {
        for (const hash of Object.keys(record.specs)) if (!used.has(hash)) delete record.specs[hash];
      });
    },
    removeStack(stack, nowMs) {
      delete state.stacks[stack];
      state.removed[stack] = nowMs;
      return persist();
    },
    flush: () => chain.catch(() => undefined),
  };
}
