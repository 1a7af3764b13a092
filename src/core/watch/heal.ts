// Healing between operations: reconcile (core/reconcile) says which desired instances run
// nowhere and which containers should not run; this turns that answer into steps, with the
// in-place replacement rule (a replacement under the same instance id is the agent's start
// alone: it swaps the container in place; removing that id too would remove the new one).
import type { Assignment } from '../deploy/index.js';
import { type DesiredInstance, type ObservedInstance, reconcile } from '../reconcile/index.js';
import { emit, type WatchStep } from './steps.js';

const key = (agent: string, instance: string): string => `${agent}/${instance}`;

/** An observed container as an assignment (what a remove needs). */
export function observedAsAssignment(o: ObservedInstance): Assignment {
  return {
    instance: o.instance,
    stack: o.stack,
    service: o.service,
    slot: o.slot ?? 1,
    agent: o.agent,
    spec_hash: o.spec_hash,
    created_ms: o.created_at,
  };
}

/** The steps that bring one idle stack's containers to its desired instances. */
export function planHealing(input: {
  readonly stack: string;
  readonly assignments: readonly Assignment[];
  /** A start of agent/instance issued and not yet visible: not issued again before this (ms). */
  readonly pendingUntil: (agent: string, instance: string) => number | undefined;
  readonly observed: readonly ObservedInstance[];
  /** Agents whose containers are unknown now (offline, suspect, no snapshot yet). */
  readonly unreachable: ReadonlySet<string>;
  readonly now: number;
}): WatchStep[] {
  const desired: DesiredInstance[] = input.assignments.map((a) => ({
    ...a,
    pending_until: input.pendingUntil(a.agent, a.instance),
  }));
  const plan = reconcile(desired, input.observed, input.now, { unreachable: input.unreachable });
  const toStart = new Set(
    [...plan.start, ...plan.replace.map((r) => r.start)].map((d) => key(d.agent, d.instance)),
  );
  const inPlace = new Set(
    plan.replace
      .filter((r) => r.start.instance === r.stop.instance)
      .map((r) => key(r.stop.agent, r.stop.instance)),
  );
  const toStop = [...plan.stop, ...plan.replace.map((r) => r.stop)].filter(
    (o) => !inPlace.has(key(o.agent, o.instance)),
  );
  const steps: WatchStep[] = [];
  const starting = input.assignments.filter((a) => toStart.has(key(a.agent, a.instance)));
  if (starting.length > 0) {
    steps.push(
      emit({
        event_type: 'healing_action',
        data: {
          stack: input.stack,
          action: 'start_missing',
          instances: starting.map((a) => a.instance),
          reason: 'desired instances not running on their hosts',
        },
      }),
      { kind: 'start', stack: input.stack, assignments: starting },
    );
  }
  if (toStop.length > 0) {
    steps.push(
      emit({
        event_type: 'healing_action',
        data: {
          stack: input.stack,
          action: 'remove_unwanted',
          instances: toStop.map((o) => key(o.agent, o.instance)),
          reason: 'duplicates or orphans of this stack',
        },
      }),
      { kind: 'remove', assignments: toStop.map(observedAsAssignment) },
    );
  }
  return steps;
}

/** Containers of stacks that were taken down while their host was away: remove them. */
export function planLeftovers(leftovers: readonly ObservedInstance[]): WatchStep[] {
  if (leftovers.length === 0) return [];
  return [
    emit({
      event_type: 'healing_action',
      data: {
        action: 'remove_unwanted',
        instances: leftovers.map((o) => key(o.agent, o.instance)),
        reason: 'containers of stacks that were taken down',
      },
    }),
    { kind: 'remove', assignments: leftovers.map(observedAsAssignment) },
  ];
}
