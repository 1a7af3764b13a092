// Liveness as protocol: retained `online`, a will that says `offline`, and a session
// counter so that a late will from an older connection is ignored (cf. Sparkplug B bdSeq).
import { z } from 'zod';
import { TopicIdSchema } from './ids.js';
import { VersionSchema } from './version.js';

/** Epoch milliseconds. */
export const TimestampMsSchema = z.number().int().nonnegative();

export const PresenceSchema = z.strictObject({
  v: VersionSchema,
  state: z.enum(['online', 'offline']),
  /** Grows by one on every connect of the same process identity (persisted). */
  session: z.number().int().nonnegative(),
  ts: TimestampMsSchema,
  version: z.string().min(1),
});
export type Presence = z.infer<typeof PresenceSchema>;

export const AgentInfoSchema = z.strictObject({
  v: VersionSchema,
  agent: TopicIdSchema,
  hostname: z.string().min(1),
  /** Node's os.arch() mapped to Docker's names: x86_64, aarch64, armv7l, … */
  arch: z.string().min(1),
  os: z.string().min(1),
  cpus: z.number().int().positive(),
  memory_bytes: z.number().int().positive(),
  labels: z.record(z.string(), z.string()),
  role: z.enum(['worker', 'manager']),
  docker_version: z.string().nullable(),
  agent_version: z.string().min(1),
  /**
   * Feature negotiation (src/protocol/container-spec.ts): the protocol the agent speaks and
   * the optional ContainerSpec fields (features) it understands. Absent `features`: the base
   * set only, so the orchestrator sends such an agent no feature field at all.
   */
  protocol: VersionSchema.optional(),
  /** Open list: a newer agent may name features this orchestrator does not know yet. */
  features: z.array(z.string().min(1)).optional(),
  /**
   * The advertised address: where other hosts reach the ports this host's containers publish
   * (`--advertise-address`, default the agent's own end of its broker connection). The
   * orchestrator resolves a service on another host to it (docs/hosts.md). Absent: an older
   * agent; services on it are not reachable by name from other hosts.
   */
  address: z.string().min(1).optional(),
  ts: TimestampMsSchema,
});
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

export const HeartbeatSchema = z.strictObject({
  v: VersionSchema,
  ts: TimestampMsSchema,
  /** Grows by one per heartbeat within a session; a gap means lost heartbeats. */
  seq: z.number().int().nonnegative(),
  session: z.number().int().nonnegative(),
  uptime_s: z.number().nonnegative(),
  /** 1, 5 and 15 minute load averages. */
  load: z.tuple([z.number(), z.number(), z.number()]),
  mem: z.strictObject({
    rss_bytes: z.number().int().nonnegative(),
    free_bytes: z.number().int().nonnegative(),
    total_bytes: z.number().int().nonnegative(),
  }),
  running: z.number().int().nonnegative(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
