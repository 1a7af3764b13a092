// What each event type means beyond itself, in one table: which extra channels it goes
// to (orchestration_errors, recovery) and whether it belongs to the healing history. The
// table is typed over every event type, so a new type does not compile until it is
// classified here.
import { z } from 'zod';
import { type AliciaEvent, type EventType, eventSubject } from './events.js';

export interface EventCategory {
  /** Reports a failure: also on `<prefix>/services/orchestration_errors`. */
  readonly error: boolean;
  /** Reports a recovery or a healing action: also on `<prefix>/services/recovery`. */
  readonly recovery: boolean;
  /** Kept in the healing history (the `history` request); its success is `!error`. */
  readonly healing: boolean;
}

const plain: EventCategory = { error: false, recovery: false, healing: false };
const failure: EventCategory = { error: true, recovery: false, healing: false };
const healingFailure: EventCategory = { error: true, recovery: false, healing: true };
const healing: EventCategory = { error: false, recovery: true, healing: true };

export const EVENT_CATEGORIES: { readonly [T in EventType]: EventCategory } = {
  deploy_started: plain,
  deploy_completed: plain,
  deploy_failed: failure,
  service_waiting: plain,
  service_starting: plain,
  service_started: plain,
  service_healthy: plain,
  service_degraded: plain,
  service_unhealthy: healingFailure,
  service_crashlooping: healingFailure,
  service_restarted: healing,
  service_recovered: healing,
  service_failed: healingFailure,
  service_completed: plain,
  service_stopping: plain,
  service_stopped: plain,
  service_removed: plain,
  service_scaled: plain,
  service_updated: plain,
  service_rescheduled: healing,
  healing_action: healing,
  agent_online: plain,
  agent_suspect: plain,
  agent_offline: plain,
  agent_lost: failure,
  stack_removed: plain,
  orchestration_error: failure,
};

/** The extra channels (`<prefix>/services/<channel>`) an event is also published on. */
export function extraChannels(type: EventType): ('orchestration_errors' | 'recovery')[] {
  const c = EVENT_CATEGORIES[type];
  return [
    ...(c.error ? (['orchestration_errors'] as const) : []),
    ...(c.recovery ? (['recovery'] as const) : []),
  ];
}

/** Event types of the healing history. */
export const HEALING_EVENT_TYPES: ReadonlySet<EventType> = new Set(
  (Object.keys(EVENT_CATEGORIES) as EventType[]).filter((t) => EVENT_CATEGORIES[t].healing),
);

/** One entry of the healing history (action, reason, time, success, recovery time). */
export const HistoryEntrySchema = z.strictObject({
  /** ISO 8601, the event's timestamp. */
  time: z.iso.datetime(),
  /** The event type that recorded the action. */
  action: z.enum([...HEALING_EVENT_TYPES] as [EventType, ...EventType[]]),
  service: z.string().nullable(),
  instance: z.string().nullable(),
  reason: z.string().nullable(),
  success: z.boolean(),
  recovery_ms: z.number().nonnegative().nullable(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** The history entry of a healing event; null for an event that is not one. */
export function toHistoryEntry(event: AliciaEvent): HistoryEntry | null {
  const category = EVENT_CATEGORIES[event.event_type];
  if (!category.healing) return null;
  const subject = eventSubject(event);
  // Read by name: only some healing events carry a reason or a recovery time.
  const data = event.event_data as { reason?: unknown; recovery_ms?: unknown };
  return {
    time: event.timestamp,
    action: event.event_type,
    service: subject.service ?? null,
    instance: subject.instance ?? null,
    reason: typeof data.reason === 'string' ? data.reason : null,
    success: !category.error,
    recovery_ms: typeof data.recovery_ms === 'number' ? data.recovery_ms : null,
  };
}
