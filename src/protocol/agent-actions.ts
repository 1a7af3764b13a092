// Commands from the orchestrator to one agent, on alicia/agents/<agent>/cmd/<action>,
// and the agent's answers on alicia/agents/<agent>/response/<action>.
import { z } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import { ERRORS } from '../core/errors.js';
import { ContainerSpecSchema } from './container-spec.js';
import { NameSchema, TopicIdSchema } from './ids.js';
import { TimestampMsSchema } from './presence.js';
import type { AgentAction } from './topics.js';
import { VersionSchema } from './version.js';

export const TransactionSchema = z.string().min(1).max(64);

const CommandBase = {
  v: VersionSchema,
  /** Unique per command; a repeated transaction is answered again, never run twice. */
  transaction: TransactionSchema,
  issued_at: TimestampMsSchema,
  /** Past this the agent refuses the command as stale (ALICIA_ERR_COMMAND_STALE). */
  expires_at: TimestampMsSchema,
  /** Orchestrator session that issued it (its presence counter). */
  session: z.number().int().nonnegative(),
  /** Optional HMAC of the command (see broker docs); verified when the agent has a secret. */
  sig: z.string().optional(),
};

/** One instance the agent should run: which service, made from which spec. */
export const InstanceSpecSchema = z.strictObject({
  instance: TopicIdSchema,
  stack: NameSchema,
  service: NameSchema,
  /** Replica slot (1-based), for naming and ordering. */
  slot: z.number().int().positive(),
  /** The container, in Docker's terms (the compile step makes it from the Compose service). */
  spec: ContainerSpecSchema,
  /** specHash(spec): labels the container, so a changed spec (and only that) is noticed. */
  spec_hash: z.string().min(1),
});
export type InstanceSpec = z.infer<typeof InstanceSpecSchema>;

const InstanceIds = z.array(TopicIdSchema);

export const ActionSchemas = {
  start: z.strictObject({ ...CommandBase, instances: z.array(InstanceSpecSchema).min(1) }),
  stop: z.strictObject({
    ...CommandBase,
    instances: InstanceIds.min(1),
    timeout_ms: z.number().int().nonnegative().optional(),
  }),
  remove: z.strictObject({ ...CommandBase, instances: InstanceIds.min(1) }),
  restart: z.strictObject({ ...CommandBase, instances: InstanceIds.min(1) }),
  /** The full desired set for this host: start what is missing, remove what is not listed. */
  apply: z.strictObject({ ...CommandBase, instances: z.array(InstanceSpecSchema) }),
  /** Republish info and containers now. */
  resync: z.strictObject({ ...CommandBase }),
} satisfies Record<AgentAction, z.ZodType>;

export type Action<A extends AgentAction = AgentAction> = z.infer<(typeof ActionSchemas)[A]>;

const ErrorCodeSchema = z.custom<ErrorCode>(
  (value) => typeof value === 'string' && Object.hasOwn(ERRORS, value),
  'must be an ALICIA_ERR_* code',
);

export const WireErrorSchema = z.strictObject({ code: ErrorCodeSchema, message: z.string() });
export type WireError = z.infer<typeof WireErrorSchema>;

/** Per-instance outcome inside an ok response (a command may partly succeed). */
export const InstanceResultSchema = z.strictObject({
  instance: TopicIdSchema,
  status: z.enum(['ok', 'error']),
  container_id: z.string().optional(),
  error: WireErrorSchema.optional(),
});
export type InstanceResult = z.infer<typeof InstanceResultSchema>;

export const ActionResponseSchema = z.discriminatedUnion('status', [
  z.strictObject({
    v: VersionSchema,
    transaction: TransactionSchema,
    status: z.literal('ok'),
    ts: TimestampMsSchema,
    data: z.strictObject({ results: z.array(InstanceResultSchema) }).optional(),
  }),
  z.strictObject({
    v: VersionSchema,
    /** null when the command was so broken that its transaction could not be read. */
    transaction: TransactionSchema.nullable(),
    status: z.literal('error'),
    ts: TimestampMsSchema,
    error: WireErrorSchema,
  }),
]);
export type ActionResponse = z.infer<typeof ActionResponseSchema>;
