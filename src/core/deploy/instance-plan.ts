// Which instances a stack should have after a deploy or a scale, on which hosts (this
// module decides that), and what that means for the ones it has: keep, replace (spec
// changed), add, remove (reconcile's matching answers that). Pure.
import { type AliciaError, aliciaError } from '../errors.js';
import type { PlacementConstraint, PlacementNode, Placer } from '../placement/index.js';
import { excludedBy } from '../placement/index.js';
import { matchInstances } from '../reconcile/index.js';

/** An instance the orchestrator assigned to a host (persisted desired state). */
export interface Assignment {
  readonly instance: string;
  readonly stack: string;
  readonly service: string;
  readonly slot: number;
  readonly agent: string;
  readonly spec_hash: string;
  /** When the orchestrator created the assignment (ms): "oldest first" on scale down. */
  readonly created_ms: number;
  /**
   * How many times this slot's instance was moved to another host (absent: never). Each
   * move is a new incarnation with its own id, so the copy left on the lost host is told
   * apart from the new one (events, `ps`, containers) and removed when that host returns.
   */
  readonly incarnation?: number | undefined;
}

/** What instance planning needs of a service. */
export interface ServiceTarget {
  readonly replicas: number;
  readonly spec_hash: string;
  readonly constraints: readonly PlacementConstraint[];
  readonly hosts?: readonly string[] | undefined;
  /** Protocol features the service's ContainerSpec needs: agents lacking one are not eligible. */
  readonly features?: readonly string[] | undefined;
  /**
   * Services of the stack this one must share a host with (Compose `network_mode: service:x`,
   * `volumes_from: x`): its instances go only to hosts that run one of theirs.
   */
  readonly with?: readonly string[] | undefined;
  /**
   * What ties its instances to their host (`volume "pgdata"`: core/placement/sticky.ts): a
   * changed spec is never placed elsewhere while that host is away — it would start without
   * its data — so the plan is refused until the host is back.
   */
  readonly holds?: string | undefined;
}

export interface InstancePlan {
  /** The whole desired set of the stack afterwards. */
  readonly desired: readonly Assignment[];
  readonly keep: readonly Assignment[];
  /** New instances in new slots. */
  readonly add: readonly Assignment[];
  /** New instances that take over the slot of an old one (changed spec). */
  readonly replace: readonly { readonly old: Assignment; readonly next: Assignment }[];
  /** Instances to stop and remove (surplus, or services no longer in the stack). */
  readonly remove: readonly Assignment[];
}

export type InstancePlanResult = { ok: true; plan: InstancePlan } | { ok: false; error: AliciaError };

const MAX_ID = 128;

/**
 * `<stack>_<service>_<slot>_<hash6>`: stable for the same spec (redeploy keeps it), new for a
 * new one; a moved instance's incarnation n > 0 is appended (`…_<hash6>_<n>`), so ids of
 * instances that never moved — and the state persisted before incarnations — stay as they were.
 */
export function instanceId(
  stack: string,
  service: string,
  slot: number,
  specHash: string,
  incarnation = 0,
): string {
  const tail = `_${slot}_${specHash.slice(0, 6)}${incarnation > 0 ? `_${incarnation}` : ''}`;
  const head = `${stack}_${service}`;
  // Topic ids and container names are bounded: keep the tail, cut the head.
  return (head.length + tail.length <= MAX_ID ? head : head.slice(0, MAX_ID - tail.length)) + tail;
}

/**
 * The instance of `a` moved to `agent`: its next incarnation (a new id; slot, spec and
 * service unchanged), created at `now`. Every move — a lost host, a host that keeps
 * failing it — goes through here.
 */
export function moveAssignment(a: Assignment, agent: string, now: number): Assignment {
  const incarnation = (a.incarnation ?? 0) + 1;
  return {
    ...a,
    instance: instanceId(a.stack, a.service, a.slot, a.spec_hash, incarnation),
    agent,
    created_ms: now,
    incarnation,
  };
}

const byAge = (a: Assignment, b: Assignment): number => a.created_ms - b.created_ms || a.slot - b.slot;

/**
 * Plans the instances of every service of `targets` (services of the stack), given the
 * current assignments of the stack. This decides the desired set (which instances should
 * exist, where); how it relates to the current one (keep, replace, add, remove) is the
 * same matching reconcile uses (core/reconcile matchInstances), across hosts. Services
 * present in `current` but not in `targets` are removed. Scale down removes the oldest
 * first; a changed spec is replaced slot by slot, on the same host when that host is still
 * eligible.
 */
export function planInstances(input: {
  stack: string;
  targets: Readonly<Record<string, ServiceTarget>>;
  current: readonly Assignment[];
  /** Hosts that may receive new instances (online). */
  nodes: readonly PlacementNode[];
  placer: Placer;
  now: number;
}): InstancePlanResult {
  const { stack, targets, current, nodes, placer, now } = input;
  const nodeById = new Map(nodes.map((n) => [n.id, n]));
  const wanted: Assignment[] = [];

  const currentByService = new Map<string, Assignment[]>();
  for (const a of current) {
    const list = currentByService.get(a.service) ?? [];
    list.push(a);
    currentByService.set(a.service, list);
  }

  for (const service of placementOrder(targets)) {
    const planned = targets[service];
    if (planned === undefined) continue;
    let target: ServiceTarget = planned;
    if (planned.with !== undefined && planned.with.length > 0) {
      const shared = planned.with.map(
        (other) => new Set(wanted.filter((a) => a.service === other).map((a) => a.agent)),
      );
      const hosts = [...(shared[0] ?? [])].filter(
        (agent) =>
          shared.every((set) => set.has(agent)) &&
          (planned.hosts === undefined || planned.hosts.length === 0 || planned.hosts.includes(agent)),
      );
      if (hosts.length === 0 && planned.replicas > 0) {
        return {
          ok: false,
          error: aliciaError(
            'ALICIA_ERR_PLACEMENT',
            `service "${stack}/${service}" must run on the same host as ${planned.with.map((w) => `"${w}"`).join(' and ')} (network_mode service: or volumes_from), and no host runs ${planned.with.length > 1 ? 'them all' : 'it'}`,
            { details: { service: `${stack}/${service}`, with: [...planned.with] } },
          ),
        };
      }
      target = { ...planned, hosts };
    }
    const mine = currentByService.get(service) ?? [];
    const same = mine.filter((a) => a.spec_hash === target.spec_hash).sort(byAge);
    const old = mine.filter((a) => a.spec_hash !== target.spec_hash).sort((a, b) => a.slot - b.slot);

    if (same.length >= target.replicas) {
      // Scale down (or nothing to do): the newest stay, the oldest go.
      wanted.push(...same.slice(same.length - target.replicas));
      continue;
    }
    wanted.push(...same);
    let need = target.replicas - same.length;
    const usedSlots = new Set(same.map((a) => a.slot));

    // Old instances' slots are taken over one by one; on the same host when it is still eligible.
    const toPlace: number[] = [];
    const existing = same.map((a) => a.agent);
    for (const o of old) {
      if (need <= 0 || usedSlots.has(o.slot)) continue;
      usedSlots.add(o.slot);
      need -= 1;
      const host = nodeById.get(o.agent);
      if (host === undefined && target.holds !== undefined) {
        return {
          ok: false,
          error: aliciaError(
            'ALICIA_ERR_PLACEMENT',
            `service "${stack}/${service}" holds its data on host ${o.agent} (${target.holds}), which is offline: its changed spec cannot start elsewhere without that data; deploy again once ${o.agent} is back, or set x-alicia.movable: true`,
            { details: { service: `${stack}/${service}`, host: o.agent, holds: target.holds } },
          ),
        };
      }
      if (host !== undefined && excludedBy(host, target) === null) {
        wanted.push(assignment(stack, service, o.slot, o.agent, target.spec_hash, now));
        existing.push(o.agent);
      } else {
        toPlace.push(o.slot);
      }
    }
    // New slots: the lowest free numbers, as Compose numbers its containers.
    for (let slot = 1; need > 0; slot += 1) {
      if (usedSlots.has(slot)) continue;
      usedSlots.add(slot);
      toPlace.push(slot);
      need -= 1;
    }
    if (toPlace.length > 0) {
      const placed = placer.place({
        service: `${stack}/${service}`,
        count: toPlace.length,
        constraints: target.constraints,
        hosts: target.hosts,
        features: target.features,
        existing,
      });
      if (!placed.ok) return placed;
      toPlace.forEach((slot, i) => {
        const agent = placed.agents[i];
        if (agent !== undefined) wanted.push(assignment(stack, service, slot, agent, target.spec_hash, now));
      });
    }
  }

  const match = matchInstances(wanted, current, { createdOf: (a) => a.created_ms, anyAgent: true });
  const keep: Assignment[] = [];
  const replace: { old: Assignment; next: Assignment }[] = [];
  for (const { desired, existing } of match.exact) {
    if (desired.spec_hash === existing.spec_hash) keep.push(existing);
    else replace.push({ old: existing, next: desired });
  }
  for (const { desired, existing } of match.bySlot) replace.push({ old: existing, next: desired });
  const add = [...match.unmatchedDesired];
  const remove = [...match.unmatchedExisting].sort(byAge);
  const desired = [...keep, ...add, ...replace.map((r) => r.next)].sort((a, b) =>
    a.service < b.service ? -1 : a.service > b.service ? 1 : a.slot - b.slot,
  );
  return { ok: true, plan: { desired, keep, add, replace, remove } };
}

/** Services in name order, each after the services it must share a host with. */
function placementOrder(targets: Readonly<Record<string, ServiceTarget>>): string[] {
  const out: string[] = [];
  const visiting = new Set<string>();
  const visit = (service: string): void => {
    if (out.includes(service) || visiting.has(service)) return;
    visiting.add(service);
    for (const other of [...(targets[service]?.with ?? [])].sort()) if (targets[other]) visit(other);
    out.push(service);
  };
  for (const service of Object.keys(targets).sort()) visit(service);
  return out;
}

function assignment(
  stack: string,
  service: string,
  slot: number,
  agent: string,
  specHash: string,
  now: number,
): Assignment {
  return {
    instance: instanceId(stack, service, slot, specHash),
    stack,
    service,
    slot,
    agent,
    spec_hash: specHash,
    created_ms: now,
  };
}
