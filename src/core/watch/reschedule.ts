// The rescheduling policy: the instances of a host offline longer than the grace period
// move to other eligible hosts, one by one, spread like a deploy would; an instance that
// fits nowhere is reported once and tried again on the next pass. Each moved instance is a
// new incarnation with a new id (the copy left on the lost host is another instance, removed
// when that host returns), and the moved instances of a stack start in dependency order.
// Pure: the hosts, the assignments, the time and what was already reported come in; steps go out.
import { type Assignment, type DeployStack, moveAssignment } from '../deploy/index.js';
import { createPlacer, type PlacementNode, type PlacementRule } from '../placement/index.js';
import { moveStartPlan } from './move-order.js';
import { emit, type WatchStep } from './steps.js';

export interface RescheduleStack {
  readonly name: string;
  /** The stack's services (depends_on, healthchecks): the order moved instances start in. */
  readonly definition: DeployStack;
  readonly assignments: readonly Assignment[];
  /** Placement rule of a spec hash; undefined when the spec is unknown (that instance is left alone). */
  readonly ruleOf: (assignment: Assignment) => PlacementRule | undefined;
}

export interface RescheduleInput {
  /** The offline host. */
  readonly agent: string;
  readonly offlineSinceMs: number;
  readonly now: number;
  readonly graceMs: number;
  /** Stacks no operation holds (the others are left to their operation). */
  readonly stacks: readonly RescheduleStack[];
  /** Every assignment of every stack: the hosts' load. */
  readonly load: ReadonlyMap<string, number>;
  /** Hosts that may receive instances (online, with their info). */
  readonly nodes: readonly PlacementNode[];
  /** agent_lost was already emitted for this outage. */
  readonly announced: boolean;
  /** Instances already reported as unplaceable (not reported again). */
  readonly unplaceable: ReadonlySet<string>;
  /** Startup timeout for stacks that set none (ms): how long a moved service may take to come up. */
  readonly startupTimeoutMs?: number | undefined;
}

export interface RescheduleResult {
  readonly steps: WatchStep[];
  /** agent_lost has been emitted for this outage (now or before). */
  readonly announced: boolean;
  readonly unplaceable: ReadonlySet<string>;
}

function waiting(stack: string, a: Assignment, holds: string, offlineMs: number): WatchStep {
  return emit({
    event_type: 'service_waiting',
    data: {
      stack,
      service: a.service,
      waiting_for: [],
      conditions: {},
      instance: a.instance,
      host: a.agent,
      holds,
      reason: `host ${a.agent} offline for ${offlineMs} ms; not moved: its data is there`,
    },
  });
}

export function planReschedule(input: RescheduleInput): RescheduleResult {
  const { agent, now } = input;
  const offlineMs = now - input.offlineSinceMs;
  const unplaceable = new Set(input.unplaceable);
  const unchanged = { steps: [], announced: input.announced, unplaceable };
  if (offlineMs < input.graceMs) return unchanged;
  const stranded = input.stacks.reduce(
    (n, s) => n + s.assignments.filter((a) => a.agent === agent).length,
    0,
  );
  if (stranded === 0) return unchanged;

  const steps: WatchStep[] = [];
  if (!input.announced) {
    steps.push(
      emit({ event_type: 'agent_lost', data: { agent, instances: stranded, offline_ms: offlineMs } }),
    );
  }
  const placer = createPlacer(input.nodes, input.load);
  for (const stack of input.stacks) {
    let current = [...stack.assignments];
    const moves: { from: Assignment; to: Assignment }[] = [];
    for (const a of stack.assignments.filter((x) => x.agent === agent)) {
      const rule = stack.ruleOf(a);
      if (rule === undefined) continue;
      if (rule.holds !== undefined) {
        // Data stays with its host: said once per outage, with agent_lost.
        if (!input.announced) steps.push(waiting(stack.name, a, rule.holds, offlineMs));
        continue;
      }
      // Other replicas of the service, where they are now (moved ones included): spread.
      const others = current.filter((x) => x.service === a.service && x !== a).map((x) => x.agent);
      const placed = placer.place({
        service: `${stack.name}/${a.service}`,
        count: 1,
        constraints: rule.constraints,
        hosts: rule.hosts,
        features: rule.features,
        existing: others,
      });
      const to = placed.ok ? placed.agents[0] : undefined;
      if (to === undefined) {
        if (!unplaceable.has(a.instance)) {
          unplaceable.add(a.instance);
          steps.push(
            emit({
              event_type: 'orchestration_error',
              data: {
                stack: stack.name,
                service: a.service,
                instance: a.instance,
                agent: a.agent,
                reason: `cannot reschedule off offline host ${a.agent}`,
                error: placed.ok
                  ? { code: 'ALICIA_ERR_PLACEMENT', message: 'no host' }
                  : { code: placed.error.code, message: placed.error.message },
              },
            }),
          );
        }
        continue;
      }
      unplaceable.delete(a.instance);
      const next = moveAssignment(a, to, now);
      current = current.map((x) => (x === a ? next : x));
      moves.push({ from: a, to: next });
      steps.push(
        emit({
          event_type: 'service_rescheduled',
          data: {
            stack: stack.name,
            service: a.service,
            instance: next.instance,
            replaces: a.instance,
            from: a.agent,
            to,
            reason: `host ${a.agent} offline for ${offlineMs} ms`,
          },
        }),
      );
    }
    if (moves.length > 0) {
      steps.push({
        kind: 'move',
        stack: stack.name,
        moves,
        order: moveStartPlan({
          stack: stack.definition,
          moved: moves.map((m) => m.to),
          startupTimeoutMs: input.startupTimeoutMs,
        }),
      });
    }
  }
  return { steps, announced: true, unplaceable };
}
