// Lifecycle events on alicia/services/events and alicia/services/<event_type>, and the
// retained per-service state on alicia/services/<service>/state.
import { z } from 'zod';
import { HealthSchema, InstanceStateSchema } from './containers.js';
import { TopicIdSchema } from './ids.js';
import { TimestampMsSchema } from './presence.js';
import { VersionSchema } from './version.js';

/** The error an event reports (an `ALICIA_ERR_*` code and its message). */
const EventErrorSchema = z.strictObject({ code: z.string(), message: z.string() });
const Names = z.array(z.string());
const Count = z.number().int().nonnegative();
const Ms = z.number().nonnegative();

/** Fields of every event about one service. */
const service = { stack: z.string(), service: z.string() };
/** Fields of every event about one instance of a service on one agent. */
const instance = { ...service, instance: z.string(), agent: z.string() };
/** Liveness transitions of an agent (from the registry). */
const liveness = z.strictObject({ agent: z.string(), session: Count, reason: z.string() });

/**
 * Every event type and its `event_data`, strict: the one closed union. A new type is
 * added here, in EVENT_CATEGORIES and in every exhaustive consumer (the compiler lists them).
 */
export const EVENT_DATA_SCHEMAS = {
  /** `deploy`: the deploy's id (the client's, when it sent one): a client that lost its answer matches it. */
  deploy_started: z.strictObject({ stack: z.string(), services: Names, deploy: z.string().optional() }),
  deploy_completed: z.strictObject({ stack: z.string(), duration_ms: Ms, deploy: z.string().optional() }),
  deploy_failed: z.strictObject({
    stack: z.string(),
    deploy: z.string().optional(),
    duration_ms: Ms,
    reason: z.string(),
    failed: Names,
    blocked: Names,
    error: EventErrorSchema,
  }),
  service_waiting: z.strictObject({
    ...service,
    /** Dependencies it waits for during a deploy (empty when it waits for its host). */
    waiting_for: Names,
    /** dependency -> its depends_on condition. */
    conditions: z.record(z.string(), z.string()),
    /**
     * The host it waits for: its host is lost and it holds data there (volumes, bind mounts,
     * devices), so it is not moved — elsewhere it would start with empty data — and returns
     * there (docs/hosts.md). With `instance`, `holds` (what ties it: `volume "pgdata"`) and `reason`.
     */
    host: z.string().optional(),
    instance: z.string().optional(),
    holds: z.string().optional(),
    reason: z.string().optional(),
  }),
  service_starting: z.strictObject({ ...service, replicas: Count, instances: Names, hosts: Names }),
  service_started: z.strictObject({ ...service, elapsed_ms: Ms }),
  service_healthy: z.strictObject({ ...service, elapsed_ms: Ms }),
  /** Why, when its agent's probe says: its last latency and what it saw (absent from a Docker-only verdict). */
  service_degraded: z.strictObject({
    ...instance,
    latency_ms: z.number().nonnegative().nullable().optional(),
    reason: z.string().optional(),
  }),
  service_unhealthy: z.strictObject({ ...instance, restarts: Count }),
  /** An instance that keeps exiting soon after it starts: its last exit code, Docker's count, its last log lines. */
  service_crashlooping: z.strictObject({
    ...instance,
    exit_code: z.number().int().nullable(),
    restarts: Count,
    log_tail: Names,
  }),
  /** By its agent (one instance, Docker's restart count) or by an operator (every instance). */
  service_restarted: z.union([
    z.strictObject({
      ...instance,
      restarts: Count,
      reason: z.string(),
      /** The agent's recovery attempts so far, when it is healing the instance. */
      attempts: Count.nullable(),
    }),
    z.strictObject({ ...service, instances: Names, reason: z.string() }),
  ]),
  service_recovered: z.strictObject({ ...instance, recovery_ms: Ms }),
  /** A deploy step that failed (or was blocked by a failed `dependency`), or an instance its agent gave up on. */
  service_failed: z.strictObject({
    ...service,
    instance: z.string().optional(),
    agent: z.string().optional(),
    dependency: z.string().optional(),
    reason: z.string(),
    error: EventErrorSchema,
  }),
  service_completed: z.strictObject({ ...service, elapsed_ms: Ms, exit_code: z.number().int() }),
  service_stopping: z.strictObject(service),
  service_stopped: z.strictObject(service),
  service_removed: z.strictObject(service),
  service_scaled: z.strictObject({
    ...service,
    from: Count,
    to: Count,
    direction: z.enum(['up', 'down']),
    instances: Names.optional(),
  }),
  service_updated: z.strictObject({ ...service, replaced: Names, instances: Names }),
  service_rescheduled: z.strictObject({
    ...service,
    /** The new incarnation, with its own id (a move never reuses the lost copy's id). */
    instance: z.string(),
    /** The instance it replaces: the copy on `from`, removed when that host returns. */
    replaces: z.string(),
    from: z.string(),
    to: z.string(),
    reason: z.string(),
  }),
  healing_action: z.strictObject({
    stack: z.string().optional(),
    service: z.string().optional(),
    /**
     * start_missing / remove_unwanted: reconcile; restart: an operator's heal; recreate: a
     * fresh container after its agent gave up; retry_start: a failed start tried again after a
     * backoff; circuit_close: an operator closed an open circuit (healing resumes); rollback: a changed
     * spec never became healthy and the previous instances, which kept serving, stay.
     */
    action: z.enum([
      'start_missing',
      'remove_unwanted',
      'restart',
      'recreate',
      'retry_start',
      'circuit_close',
      'rollback',
    ]),
    /** `instance` or `agent/instance` ids the action touches. */
    instances: Names.optional(),
    reason: z.string(),
  }),
  agent_online: liveness,
  agent_suspect: liveness,
  agent_offline: liveness,
  agent_lost: z.strictObject({ agent: z.string(), instances: Count, offline_ms: Ms }),
  stack_removed: z.strictObject({ stack: z.string(), services: Names, instances: Count }),
  orchestration_error: z.strictObject({
    stack: z.string().optional(),
    service: z.string().optional(),
    instance: z.string().optional(),
    agent: z.string().optional(),
    reason: z.string(),
    error: EventErrorSchema,
  }),
} as const;

export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as readonly EventType[] as readonly [
  EventType,
  ...EventType[],
];
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA_SCHEMAS)[T]>;
/** What an emitter passes for an event of type T (z.input: optional fields may be left out). */
export type EventDataInput<T extends EventType> = z.input<(typeof EVENT_DATA_SCHEMAS)[T]>;

const envelope = {
  v: VersionSchema,
  /** nanoid, unique per event. */
  id: z.string().min(1),
  /**
   * Grows by one per event within one `session`; a jump within a session is a lost event.
   * Persisted: a restarted orchestrator continues above every seq it may have used (a new
   * session may skip numbers), so (session, seq) orders events across restarts.
   */
  seq: z.number().int().nonnegative(),
  /** The orchestrator's presence session when it emitted the event (grows by one per connect). */
  session: z.number().int().nonnegative(),
  /** ISO 8601, for people reading `mosquitto_sub -v`. */
  timestamp: z.iso.datetime(),
  /** Who emitted it: `orchestrator` or `agent:<id>`. */
  source: z.string().min(1),
};

function variant<T extends EventType>(type: T) {
  return z.strictObject({ ...envelope, event_type: z.literal(type), event_data: EVENT_DATA_SCHEMAS[type] });
}

/** One lifecycle event: a union discriminated by `event_type`, each with its own `event_data`. */
export const EventSchema = z.discriminatedUnion('event_type', [
  variant('deploy_started'),
  variant('deploy_completed'),
  variant('deploy_failed'),
  variant('service_waiting'),
  variant('service_starting'),
  variant('service_started'),
  variant('service_healthy'),
  variant('service_degraded'),
  variant('service_unhealthy'),
  variant('service_crashlooping'),
  variant('service_restarted'),
  variant('service_recovered'),
  variant('service_failed'),
  variant('service_completed'),
  variant('service_stopping'),
  variant('service_stopped'),
  variant('service_removed'),
  variant('service_scaled'),
  variant('service_updated'),
  variant('service_rescheduled'),
  variant('healing_action'),
  variant('agent_online'),
  variant('agent_suspect'),
  variant('agent_offline'),
  variant('agent_lost'),
  variant('stack_removed'),
  variant('orchestration_error'),
]);
export type AliciaEvent = z.infer<typeof EventSchema>;
/** The event of one type. */
export type EventOf<T extends EventType> = Extract<AliciaEvent, { event_type: T }>;

// Compile-time check that the union above lists every type of EVENT_DATA_SCHEMAS.
type MissingVariant = Exclude<EventType, AliciaEvent['event_type']>;
const everyVariant: [MissingVariant] extends [never] ? true : MissingVariant = true;
void everyVariant;

/**
 * The event types of `E` (events described outside the protocol, e.g. by the core, as
 * `{event_type, data}`) whose data is not that type's event_data; never when all agree.
 * Publishers assert it is never, so the two definitions cannot drift apart.
 */
export type DisagreeingEvents<E extends { readonly event_type: EventType; readonly data: unknown }> =
  E extends unknown ? (E['data'] extends EventDataInput<E['event_type']> ? never : E['event_type']) : never;

/** The stack, service, instance and agent an event is about, where it names them. */
export function eventSubject(event: AliciaEvent): {
  stack?: string | undefined;
  service?: string | undefined;
  instance?: string | undefined;
  agent?: string | undefined;
} {
  const d: Partial<Record<'stack' | 'service' | 'instance' | 'agent', string>> = event.event_data;
  return { stack: d.stack, service: d.service, instance: d.instance, agent: d.agent };
}

export const ServiceStateSchema = z.strictObject({
  v: VersionSchema,
  ts: TimestampMsSchema,
  stack: z.string(),
  service: z.string(),
  desired_replicas: z.number().int().nonnegative(),
  running_replicas: z.number().int().nonnegative(),
  healthy_replicas: z.number().int().nonnegative(),
  /** One-shot jobs (restart no / on-failure) that exited 0: done, not down. */
  completed_replicas: z.number().int().nonnegative(),
  state: InstanceStateSchema,
  health: HealthSchema,
  hosts: z.array(TopicIdSchema),
  /** The services of its stack it depends on, so a viewer (who may send no request) can draw the graph. */
  depends_on: z.array(z.string()).optional(),
  /** Why a service is neither running as desired nor gone: an operation in progress, a removal pending on an offline host. */
  note: z.string().optional(),
  instances: z.array(
    z.strictObject({
      instance: TopicIdSchema,
      /** Present on a moved instance: how many moves its slot has had (each a new instance id). */
      incarnation: z.number().int().positive().optional(),
      agent: TopicIdSchema,
      container_id: z.string().nullable(),
      state: InstanceStateSchema,
      health: HealthSchema,
      restarts: z.number().int().nonnegative(),
      started_at: TimestampMsSchema.nullable(),
      /** Of the last run; null while running or before the first run. */
      exit_code: z.number().int().nullable(),
      /** Its agent sees it crash-looping: last exit code, restarts, since when (the log tail is in the report and the event). */
      crash_loop: z
        .strictObject({
          exit_code: z.number().int().nullable(),
          restarts: z.number().int().nonnegative(),
          since: TimestampMsSchema,
        })
        .optional(),
    }),
  ),
});
export type ServiceState = z.infer<typeof ServiceStateSchema>;

/** System health summary (retained on alicia/orchestrator/health, and on request). */
export const SystemHealthSchema = z.strictObject({
  v: VersionSchema,
  ts: TimestampMsSchema,
  uptime_s: z.number().nonnegative(),
  services_by_state: z.record(z.string(), z.number().int().nonnegative()),
  health_percentage: z.number().min(0).max(100),
  restarts: z.number().int().nonnegative(),
  healing_actions: z.number().int().nonnegative(),
  agents: z.strictObject({
    online: z.number().int().nonnegative(),
    suspect: z.number().int().nonnegative(),
    offline: z.number().int().nonnegative(),
  }),
});
export type SystemHealth = z.infer<typeof SystemHealthSchema>;
