// reconcile(desired, observed, now) -> the plan that turns what runs into what should run,
// per host. Pure: the adapters carry the plan out. An instance is identified by its id and
// the agent it is assigned to: the same id on another agent is a duplicate (left behind by
// a host that came back after its instances were rescheduled) and is stopped.

export interface DesiredInstance {
  readonly instance: string;
  readonly stack: string;
  readonly service: string;
  readonly slot: number;
  readonly agent: string;
  readonly spec_hash: string;
  /** A start was issued and may not show in the agent's snapshot yet: do not issue another before this (ms). */
  readonly pending_until?: number | undefined;
}

export interface ObservedInstance {
  readonly instance: string;
  readonly stack: string;
  readonly service: string;
  /** Replica slot when known (from the orchestrator's records); lets a changed spec be replaced slot by slot. */
  readonly slot: number | null;
  readonly agent: string;
  readonly spec_hash: string;
  /** The agent's instance state (protocol InstanceState). */
  readonly state: string;
  readonly container_id: string;
  readonly created_at: number;
}

export interface Replacement {
  readonly start: DesiredInstance;
  readonly stop: ObservedInstance;
}

export interface AgentPlan {
  readonly start: DesiredInstance[];
  readonly stop: ObservedInstance[];
  readonly keep: DesiredInstance[];
  readonly replace: Replacement[];
}

export interface ReconcilePlan {
  /** Desired instances that run nowhere: start them. */
  readonly start: readonly DesiredInstance[];
  /** Running instances that are not desired (orphans, duplicates, surplus): stop and remove them. */
  readonly stop: readonly ObservedInstance[];
  /** Desired and running with the same spec: nothing to do. */
  readonly keep: readonly DesiredInstance[];
  /** Same slot on the same host, another spec: start the new one, then stop the old. */
  readonly replace: readonly Replacement[];
  /** Desired instances left alone for now: their host is unreachable, or a start is in flight. */
  readonly wait: readonly DesiredInstance[];
  /** The same, grouped by agent (only agents with something in the plan). */
  readonly byAgent: ReadonlyMap<string, AgentPlan>;
}

export interface ReconcileOptions {
  /** Agents we cannot see (offline or suspect): their containers are unknown, so nothing of theirs is started or stopped. */
  readonly unreachable?: ReadonlySet<string>;
}

const key = (agent: string, instance: string): string => `${agent}\u0000${instance}`;

/** What matching needs of an instance, desired or existing. */
export interface Slotted {
  readonly instance: string;
  readonly stack: string;
  readonly service: string;
  readonly agent: string;
  readonly spec_hash: string;
  /** Replica slot; null when unknown (such an instance is matched by id only). */
  readonly slot: number | null;
}

export interface InstanceMatch<D, E> {
  /** Same agent, same instance id (spec hashes may differ). */
  readonly exact: readonly { readonly desired: D; readonly existing: E }[];
  /** No exact match: the existing instance of the same slot (same agent unless `anyAgent`) it takes over. */
  readonly bySlot: readonly { readonly desired: D; readonly existing: E }[];
  readonly unmatchedDesired: readonly D[];
  readonly unmatchedExisting: readonly E[];
}

/**
 * The one answer to "which existing instance is which desired one": by agent and id
 * first, then by slot (a changed spec gets a new id in the same slot). Two existing
 * instances in one slot: the newest is taken over, the other stays unmatched. Used by
 * reconcile (desired vs observed containers, same agent) and by instance planning (new
 * desired set vs current assignments, any agent: a replacement may move host).
 */
export function matchInstances<D extends Slotted, E extends Slotted>(
  desired: readonly D[],
  existing: readonly E[],
  options: {
    /** When an existing instance was made (ms): the newest of a slot wins. */
    readonly createdOf: (e: E) => number;
    /** Match slots across agents (default: on the desired instance's own agent only). */
    readonly anyAgent?: boolean;
    /** Desired instances that may not take over a slot (their host is out of reach). */
    readonly noSlot?: (d: D) => boolean;
  },
): InstanceMatch<D, E> {
  const existingByKey = new Map<string, E>();
  for (const e of existing) existingByKey.set(key(e.agent, e.instance), e);
  const matched = new Set<string>();
  const exact: { desired: D; existing: E }[] = [];
  const bySlot: { desired: D; existing: E }[] = [];
  const unmatchedDesired: D[] = [];
  const afterExact: D[] = [];
  const seenDesired = new Set<string>();

  for (const d of desired) {
    const k = key(d.agent, d.instance);
    if (seenDesired.has(k)) continue; // a desired list with a repeated entry still yields one instance
    seenDesired.add(k);
    const e = existingByKey.get(k);
    if (e === undefined) {
      afterExact.push(d);
      continue;
    }
    matched.add(k);
    exact.push({ desired: d, existing: e });
  }

  const slotKey = (x: Slotted, slot: number): string =>
    `${options.anyAgent ? '' : x.agent}\u0000${x.stack}\u0000${x.service}\u0000${slot}`;
  const slots = new Map<string, E>();
  for (const e of existing) {
    if (matched.has(key(e.agent, e.instance)) || e.slot === null) continue;
    const sk = slotKey(e, e.slot);
    const previous = slots.get(sk);
    if (previous === undefined || options.createdOf(e) > options.createdOf(previous)) slots.set(sk, e);
  }
  for (const d of afterExact) {
    const sk = d.slot === null || options.noSlot?.(d) ? undefined : slotKey(d, d.slot);
    const old = sk === undefined ? undefined : slots.get(sk);
    if (sk === undefined || old === undefined) {
      unmatchedDesired.push(d);
      continue;
    }
    slots.delete(sk);
    matched.add(key(old.agent, old.instance));
    bySlot.push({ desired: d, existing: old });
  }
  const unmatchedExisting = existing.filter((e) => !matched.has(key(e.agent, e.instance)));
  return { exact, bySlot, unmatchedDesired, unmatchedExisting };
}

export function reconcile(
  desired: readonly DesiredInstance[],
  observed: readonly ObservedInstance[],
  now: number,
  options: ReconcileOptions = {},
): ReconcilePlan {
  const unreachable = options.unreachable ?? new Set<string>();
  const match = matchInstances(desired, observed, {
    createdOf: (o) => o.created_at,
    // An unreachable host's containers are unknown: nothing of its slots is taken over.
    noSlot: (d) => unreachable.has(d.agent),
  });
  const start: DesiredInstance[] = [];
  const keep: DesiredInstance[] = [];
  const replace: Replacement[] = [];
  const wait: DesiredInstance[] = [];
  for (const { desired: d, existing: o } of match.exact) {
    if (o.spec_hash === d.spec_hash) keep.push(d);
    else if (unreachable.has(d.agent)) wait.push(d);
    else replace.push({ start: d, stop: o });
  }
  // A desired instance with no exact match replaces the old one of its slot on its host.
  for (const { desired: d, existing: o } of match.bySlot) replace.push({ start: d, stop: o });
  for (const d of match.unmatchedDesired) {
    if (unreachable.has(d.agent)) wait.push(d);
    else if (d.pending_until !== undefined && now < d.pending_until) wait.push(d);
    else start.push(d);
  }
  const stop = match.unmatchedExisting.filter((o) => !unreachable.has(o.agent));

  const byAgent = new Map<string, AgentPlan>();
  const planOf = (agent: string): AgentPlan => {
    let plan = byAgent.get(agent);
    if (plan === undefined) {
      plan = { start: [], stop: [], keep: [], replace: [] };
      byAgent.set(agent, plan);
    }
    return plan;
  };
  for (const d of start) planOf(d.agent).start.push(d);
  for (const o of stop) planOf(o.agent).stop.push(o);
  for (const d of keep) planOf(d.agent).keep.push(d);
  for (const r of replace) planOf(r.start.agent).replace.push(r);

  return { start, stop, keep, replace, wait, byAgent };
}

/** The plan carried out on `observed`, as the set of `agent/instance@spec_hash` it leaves running. */
export function applyPlan(plan: ReconcilePlan, observed: readonly ObservedInstance[]): Set<string> {
  const running = new Set(observed.map((o) => `${o.agent}/${o.instance}@${o.spec_hash}`));
  for (const o of plan.stop) running.delete(`${o.agent}/${o.instance}@${o.spec_hash}`);
  for (const r of plan.replace) {
    running.delete(`${r.stop.agent}/${r.stop.instance}@${r.stop.spec_hash}`);
    running.add(`${r.start.agent}/${r.start.instance}@${r.start.spec_hash}`);
  }
  for (const d of plan.start) running.add(`${d.agent}/${d.instance}@${d.spec_hash}`);
  return running;
}
