// What an agent reports about the containers it manages (retained snapshot).
import { z } from 'zod';
import { NameSchema, TopicIdSchema } from './ids.js';
import { TimestampMsSchema } from './presence.js';
import { VersionSchema } from './version.js';

/** The original specification's instance states (keep these names). */
export const InstanceStateSchema = z.enum([
  'unknown',
  'stopped',
  'starting',
  'running',
  'stopping',
  'failed',
  'maintenance',
]);
export type InstanceState = z.infer<typeof InstanceStateSchema>;

/**
 * The original specification's health values, plus `none` (no check configured, so
 * nothing to judge). `unknown` covers "not judged yet" (Docker's `starting`).
 */
export const HealthSchema = z.enum(['healthy', 'degraded', 'unhealthy', 'recovering', 'unknown', 'none']);
export type Health = z.infer<typeof HealthSchema>;

export const ContainerReportSchema = z.strictObject({
  instance: TopicIdSchema,
  stack: NameSchema,
  service: NameSchema,
  container_id: z.string().min(1),
  image: z.string().min(1),
  /** Hash of the ContainerSpec the container was made from; a changed spec has another. */
  spec_hash: z.string(),
  state: InstanceStateSchema,
  health: HealthSchema,
  exit_code: z.number().int().nullable(),
  /** Restarts done for this instance (Docker's and the agent's own). */
  restarts: z.number().int().nonnegative(),
  /** Docker's own RestartCount (its restart policy), as `docker inspect` shows it. */
  docker_restarts: z.number().int().nonnegative().optional(),
  created_at: TimestampMsSchema,
  started_at: TimestampMsSchema.nullable(),
  finished_at: TimestampMsSchema.nullable(),
  /** Host-reachable address (network_mode host: the agent's address) and published ports. */
  address: z.string().nullable(),
  ports: z.array(z.number().int()),
  /** Set while the agent is healing this instance, or once it gave up. */
  recovery: z
    .strictObject({
      attempts: z.number().int().nonnegative(),
      next_attempt_at: TimestampMsSchema.nullable(),
      gave_up: z.boolean(),
    })
    .nullable(),
  /**
   * Set while the container keeps exiting soon after it starts (the agent's verdict, from
   * Docker's restart count and exit codes); absent or null otherwise.
   */
  crash_loop: z
    .strictObject({
      exit_code: z.number().int().nullable(),
      /** Docker's RestartCount plus the agent's own restarts of this instance. */
      restarts: z.number().int().nonnegative(),
      /** The last lines the container wrote (stdout and stderr), oldest first, at most 20. */
      log_tail: z.array(z.string().max(2_000)).max(20),
      since: TimestampMsSchema,
    })
    .nullable()
    .optional(),
  /** The agent's own HTTP/TCP probe (`x-alicia.probe`), when the spec has one. */
  probe: z
    .strictObject({
      kind: z.enum(['http', 'tcp']),
      status: z.enum(['ok', 'degraded', 'failing']),
      latency_ms: z.number().nonnegative().nullable(),
      consecutive_failures: z.number().int().nonnegative(),
      last_error: z.string().nullable(),
      checked_at: TimestampMsSchema,
    })
    .nullable()
    .optional(),
});
export type ContainerReport = z.infer<typeof ContainerReportSchema>;

export const ContainersSnapshotSchema = z.strictObject({
  v: VersionSchema,
  agent: TopicIdSchema,
  session: z.number().int().nonnegative(),
  ts: TimestampMsSchema,
  containers: z.array(ContainerReportSchema),
});
export type ContainersSnapshot = z.infer<typeof ContainersSnapshotSchema>;
