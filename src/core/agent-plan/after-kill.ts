// A container killed from outside — `docker kill`, or anything that sends its process a
// signal through Docker's kill API without stopping it (Docker then says `kill`, `die` and no
// `stop`) — is not a crash and not a failure of its service: the process was going fine. The
// agent starts it again in place, as Docker's own restart policies do after a kill (and do
// not after a `docker stop`), and counts that restart; nothing else is counted against the
// service. Before this rule the exit (137) was reported `failed`, the orchestrator took it as
// its agent giving up, and each kill spent one of the healing ladder's attempts: a few kills
// within `reset_after` opened the circuit and left a healthy database stopped with
// `service_failed` (the chaos soak's finding). Pure.

/** What the agent knows of the instance when the kill's dust has settled. */
export interface KilledInstance {
  /** The container Docker reported killed. */
  readonly killed_id: string;
  /** The instance is desired running (no operator stopped it). */
  readonly run: boolean;
  /** Healing gave up on it: it stays stopped until an operator starts it. */
  readonly gave_up: boolean;
  /** The desired spec's hash. */
  readonly spec_hash: string;
  /** The instance's container now; null when there is none (removed meanwhile). */
  readonly container: {
    readonly id: string;
    readonly running: boolean;
    readonly spec_hash: string;
  } | null;
}

export type AfterKill =
  | { readonly type: 'start' }
  /** Nothing to do, and why (for the log). */
  | { readonly type: 'leave'; readonly reason: string };

export function planAfterKill(k: KilledInstance): AfterKill {
  if (!k.run) return { type: 'leave', reason: 'stopped on purpose' };
  if (k.gave_up) return { type: 'leave', reason: 'healing gave up on it' };
  if (k.container === null) return { type: 'leave', reason: 'its container is gone' };
  // Replaced or recreated meanwhile: the new container is not the one that was killed.
  if (k.container.id !== k.killed_id) return { type: 'leave', reason: 'another container took its place' };
  if (k.container.running) return { type: 'leave', reason: 'already running again' };
  if (k.container.spec_hash !== k.spec_hash) return { type: 'leave', reason: 'made from an older spec' };
  return { type: 'start' };
}
