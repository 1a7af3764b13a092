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
const slotKey = (agent: string, stack: string, service: string, slot: number): string =>
  `${agent}\u0000${stack}\u0000${service}\u0000${slot}`;

export function reconcile(
  desired: readonly DesiredInstance[],
  observed: readonly ObservedInstance[],
  now: number,
  options: ReconcileOptions = {},
): ReconcilePlan {
  const unreachable = options.unreachable ?? new Set<string>();
  const observedByKey = new Map<string, ObservedInstance>();
  for (const o of observed) observedByKey.set(key(o.agent, o.instance), o);

  const matched = new Set<string>();
  const start: DesiredInstance[] = [];
  const keep: DesiredInstance[] = [];
  const replace: Replacement[] = [];
  const wait: DesiredInstance[] = [];
  const unmatchedDesired: DesiredInstance[] = [];
  const seenDesired = new Set<string>();

  // Pass 1: exact matches (same agent, same instance id).
  for (const d of desired) {
    const k = key(d.agent, d.instance);
    if (seenDesired.has(k)) continue; // a desired list with a repeated entry still yields one instance
    seenDesired.add(k);
    const o = observedByKey.get(k);
    if (o === undefined) {
      unmatchedDesired.push(d);
      continue;
    }
    matched.add(k);
    if (o.spec_hash === d.spec_hash) keep.push(d);
    else if (unreachable.has(d.agent)) wait.push(d);
    else replace.push({ start: d, stop: o });
  }

  // Observed instances not matched yet, indexed by slot for pass 2.
  const bySlot = new Map<string, ObservedInstance>();
  for (const o of observed) {
    const k = key(o.agent, o.instance);
    if (matched.has(k) || o.slot === null) continue;
    const sk = slotKey(o.agent, o.stack, o.service, o.slot);
    const previous = bySlot.get(sk);
    // Two old containers in one slot: replace the newest, the other is surplus and stopped.
    if (previous === undefined || o.created_at > previous.created_at) bySlot.set(sk, o);
  }

  // Pass 2: a desired instance with no exact match replaces the old one of its slot on its host.
  for (const d of unmatchedDesired) {
    if (unreachable.has(d.agent)) {
      wait.push(d);
      continue;
    }
    const sk = slotKey(d.agent, d.stack, d.service, d.slot);
    const old = bySlot.get(sk);
    if (old !== undefined) {
      bySlot.delete(sk);
      matched.add(key(old.agent, old.instance));
      replace.push({ start: d, stop: old });
      continue;
    }
    if (d.pending_until !== undefined && now < d.pending_until) {
      wait.push(d);
      continue;
    }
    start.push(d);
  }

  const stop: ObservedInstance[] = [];
  for (const o of observed) {
    if (matched.has(key(o.agent, o.instance))) continue;
    if (unreachable.has(o.agent)) continue;
    stop.push(o);
  }

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
