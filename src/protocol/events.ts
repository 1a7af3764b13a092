// Lifecycle events on alicia/services/events and alicia/services/<event_type>, and the
// retained per-service state on alicia/services/<service>/state.
import { z } from 'zod';
import { HealthSchema, InstanceStateSchema } from './containers.js';
import { TopicIdSchema } from './ids.js';
import { TimestampMsSchema } from './presence.js';
import { VersionSchema } from './version.js';

export const EVENT_TYPES = [
  'deploy_started',
  'deploy_completed',
  'deploy_failed',
  'service_waiting',
  'service_starting',
  'service_started',
  'service_healthy',
  'service_degraded',
  'service_unhealthy',
  'service_restarted',
  'service_recovered',
  'service_failed',
  'service_completed',
  'service_stopping',
  'service_stopped',
  'service_removed',
  'service_scaled',
  'service_updated',
  'service_rescheduled',
  'healing_action',
  'agent_online',
  'agent_suspect',
  'agent_offline',
  'agent_lost',
  'stack_removed',
  'orchestration_error',
] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** Fields most events carry; each event type may add its own (kept, not stripped). */
export const EventDataSchema = z.looseObject({
  stack: z.string().optional(),
  service: z.string().optional(),
  instance: z.string().optional(),
  agent: z.string().optional(),
  reason: z.string().optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
});

export const ServiceScaledDataSchema = EventDataSchema.extend({
  service: z.string(),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  direction: z.enum(['up', 'down']),
});

export const EventSchema = z
  .strictObject({
    v: VersionSchema,
    /** nanoid, unique per event. */
    id: z.string().min(1),
    /** Grows by one per event from one source; a gap means a lost event. */
    seq: z.number().int().nonnegative(),
    event_type: EventTypeSchema,
    event_data: EventDataSchema,
    /** ISO 8601, for people reading `mosquitto_sub -v`. */
    timestamp: z.iso.datetime(),
    /** Who emitted it: `orchestrator` or `agent:<id>`. */
    source: z.string().min(1),
  })
  .superRefine((event, ctx) => {
    if (event.event_type === 'service_scaled') {
      const scaled = ServiceScaledDataSchema.safeParse(event.event_data);
      if (!scaled.success) {
        ctx.addIssue({
          code: 'custom',
          path: ['event_data'],
          message: 'service_scaled needs service, from, to, direction',
        });
      }
    }
  });
export type AliciaEvent = z.infer<typeof EventSchema>;

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
  instances: z.array(
    z.strictObject({
      instance: TopicIdSchema,
      agent: TopicIdSchema,
      container_id: z.string().nullable(),
      state: InstanceStateSchema,
      health: HealthSchema,
      restarts: z.number().int().nonnegative(),
      started_at: TimestampMsSchema.nullable(),
      /** Of the last run; null while running or before the first run. */
      exit_code: z.number().int().nullable(),
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
