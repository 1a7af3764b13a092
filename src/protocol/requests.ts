// Requests to the orchestrator (CLI, dashboards) on alicia/orchestrator/request/<method>,
// answered on the request's `reply_to` topic. MQTT 3.1.1 has no response topic property,
// so the reply topic travels in the payload.
import { z } from 'zod';
import { WireErrorSchema } from './agent-actions.js';
import { NameSchema } from './ids.js';
import type { RequestMethod } from './topics.js';
import { VersionSchema } from './version.js';

const RequestBase = {
  v: VersionSchema,
  transaction: z.string().min(1).max(64),
  /** A concrete topic (no wildcards) to answer on, normally alicia/clients/<id>/reply. */
  reply_to: z
    .string()
    .min(1)
    .max(512)
    .refine((t) => !/[+#]/.test(t), 'must not contain wildcards'),
};

const ComposeFileSchema = z.strictObject({ name: z.string().min(1), text: z.string() });

export const RequestSchemas = {
  /** Compose files travel as text: the orchestrator parses them with the same loader. */
  deploy: z.strictObject({
    ...RequestBase,
    files: z.array(ComposeFileSchema).min(1),
    /** .env content of the project directory, if any. */
    env_file: z.string().optional(),
    /** Variables from the CLI's environment used for interpolation. */
    env: z.record(z.string(), z.string()).optional(),
    project: NameSchema.optional(),
  }),
  scale: z.strictObject({
    ...RequestBase,
    stack: NameSchema.optional(),
    service: NameSchema,
    replicas: z.number().int().nonnegative(),
  }),
  restart: z.strictObject({ ...RequestBase, stack: NameSchema.optional(), service: NameSchema }),
  stop: z.strictObject({ ...RequestBase, stack: NameSchema.optional(), service: NameSchema }),
  down: z.strictObject({ ...RequestBase, stack: NameSchema }),
  ps: z.strictObject({ ...RequestBase, stack: NameSchema.optional() }),
  agents: z.strictObject({ ...RequestBase }),
  health: z.strictObject({ ...RequestBase }),
  /** Operator forces a heal of one service. */
  heal: z.strictObject({ ...RequestBase, stack: NameSchema.optional(), service: NameSchema }),
  /** Healing history, optionally of one service. */
  history: z.strictObject({
    ...RequestBase,
    service: NameSchema.optional(),
    limit: z.number().int().positive().max(1000).optional(),
  }),
} satisfies Record<RequestMethod, z.ZodType>;

export type Request<M extends RequestMethod = RequestMethod> = z.infer<(typeof RequestSchemas)[M]>;

export const ReplySchema = z.discriminatedUnion('status', [
  z.strictObject({
    v: VersionSchema,
    transaction: z.string().nullable(),
    status: z.literal('ok'),
    data: z.unknown(),
  }),
  z.strictObject({
    v: VersionSchema,
    transaction: z.string().nullable(),
    status: z.literal('error'),
    error: WireErrorSchema,
  }),
]);
export type Reply = z.infer<typeof ReplySchema>;
