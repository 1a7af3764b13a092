// What an agent must do so that the containers on its host match its desired instances.
// Pure: the agent feeds what it wants and what Docker shows, and carries the plan out.

/** What the agent wants for one instance (an InstanceSpec fits this shape). */
export interface WantedInstance {
  readonly instance: string;
  readonly spec_hash: string;
}

/** Docker's view of one managed container, reduced to what the decision needs. */
export interface SeenContainer {
  readonly instance: string;
  readonly container_id: string;
  readonly spec_hash: string;
  /** running covers Docker's running, restarting and paused: the process exists. */
  readonly running: boolean;
  /** Exit code of a stopped container; null while it runs or when it never ran. */
  readonly exit_code: number | null;
}

export type InstanceStep<W extends WantedInstance> =
  /** Already runs from the same spec: leave it alone (same container id). */
  | { readonly type: 'keep'; readonly want: W; readonly container: SeenContainer }
  /** Exists from the same spec but is stopped: start that container again. */
  | { readonly type: 'start_existing'; readonly want: W; readonly container: SeenContainer }
  /** Does not exist: create and start it. */
  | { readonly type: 'create'; readonly want: W }
  /** Exists from another spec: remove it, then create from the new spec. */
  | { readonly type: 'replace'; readonly want: W; readonly container: SeenContainer };

/** The step that brings one wanted instance to running. */
export function planInstance<W extends WantedInstance>(
  want: W,
  seen: SeenContainer | undefined,
): InstanceStep<W> {
  if (seen === undefined) return { type: 'create', want };
  if (seen.spec_hash !== want.spec_hash) return { type: 'replace', want, container: seen };
  if (seen.running) return { type: 'keep', want, container: seen };
  return { type: 'start_existing', want, container: seen };
}

export interface ApplyPlan<W extends WantedInstance> {
  /** One step per wanted instance, in the order given (duplicates: the last one wins). */
  readonly steps: readonly InstanceStep<W>[];
  /** Managed containers whose instance is not wanted: remove them. */
  readonly remove: readonly SeenContainer[];
}

/**
 * `apply`: the full desired set for this host. Every wanted instance gets a step; every
 * managed container that no wanted instance names is removed. An instance id listed twice
 * keeps its last entry, so the plan never makes two containers for one instance.
 */
export function planApply<W extends WantedInstance>(
  wanted: readonly W[],
  seen: readonly SeenContainer[],
): ApplyPlan<W> {
  const byInstance = new Map<string, SeenContainer>();
  for (const container of seen) byInstance.set(container.instance, container);
  const unique = new Map<string, W>();
  for (const want of wanted) {
    unique.delete(want.instance);
    unique.set(want.instance, want);
  }
  const steps = [...unique.values()].map((want) => planInstance(want, byInstance.get(want.instance)));
  const remove = seen.filter((container) => !unique.has(container.instance));
  return { steps, remove };
}

export interface RecoverInput<W extends WantedInstance> {
  readonly want: W;
  /** The operator stopped it: it stays stopped. */
  readonly run: boolean;
  /** Healing gave up on it: it stays stopped until an operator starts it. */
  readonly gave_up: boolean;
  /** Docker's restart policy `no` or `on-failure[:N]`: a clean exit means the work is done. */
  readonly one_shot: boolean;
}

/**
 * After the agent (or its host) restarted, or Docker came back: which desired instances
 * need action. Running containers are adopted as they are (same ids, no restart); a
 * missing one is created; a stopped one is started again unless an operator stopped it,
 * healing gave up on it, or it is a one-shot job that finished cleanly. Containers that
 * no desired instance names are left alone: only `apply` and `remove` delete containers.
 */
export function planRecovery<W extends WantedInstance>(
  desired: readonly RecoverInput<W>[],
  seen: readonly SeenContainer[],
): InstanceStep<W>[] {
  const byInstance = new Map<string, SeenContainer>();
  for (const container of seen) byInstance.set(container.instance, container);
  const steps: InstanceStep<W>[] = [];
  for (const entry of desired) {
    if (!entry.run || entry.gave_up) continue;
    const container = byInstance.get(entry.want.instance);
    if (container && !container.running && entry.one_shot && container.exit_code === 0) continue;
    const next = planInstance(entry.want, container);
    if (next.type !== 'keep') steps.push(next);
  }
  return steps;
}
