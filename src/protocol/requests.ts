// Requests to the orchestrator (CLI, dashboards) on alicia/orchestrator/request/<method>,
// answered on the request's `reply_to` topic. MQTT 3.1.1 has no response topic property,
// so the reply topic travels in the payload.
//
// One map, REQUESTS: method -> {request body, reply data}. The wire request is the body
// plus the envelope (v, transaction, reply_to); an ok reply carries the reply data. The
// client parses a reply with its method's schema, the orchestrator serves one handler per
// method (a method without a handler does not compile).
import { z } from 'zod';
import { WireErrorSchema } from './agent-actions.js';
import { HistoryEntrySchema } from './event-categories.js';
import { ServiceStateSchema, SystemHealthSchema } from './events.js';
import { NameSchema } from './ids.js';
import type { RequestMethod } from './topics.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type PROTOCOL_VERSION, VersionSchema } from './version.js';

const RequestEnvelope = {
  v: VersionSchema,
  transaction: z.string().min(1).max(64),
  /** A concrete topic (no wildcards) to answer on, normally alicia/clients/<id>/reply. */
  reply_to: z
    .string()
    .min(1)
    .max(512)
    .refine((t) => !/[+#]/.test(t), 'must not contain wildcards'),
};

/** Largest file a deploy bundle carries (bytes of UTF-8): Compose, .env and env files are small. */
export const MAX_BUNDLE_FILE_BYTES = 256 * 1024;
/** The whole deploy request, serialized, must fit in one MQTT message (bytes). */
export const MAX_BUNDLE_BYTES = DEFAULT_MAX_PAYLOAD_BYTES;

/**
 * A file of the bundle: its path relative to the project directory ("compose.yaml",
 * "config/app.env", "../shared.env") and its text. The orchestrator never reads the
 * CLI's disk: every file the loader reads is in the bundle.
 */
export const BundleFileSchema = z.strictObject({
  path: z.string().min(1).max(1024),
  /** Which reader of the loader asked for it (room for `secret` and `config` files later). */
  kind: z.enum(['compose', 'dotenv', 'env_file', 'secret', 'config']),
  text: z
    .string()
    .refine(
      (text) => Buffer.byteLength(text) <= MAX_BUNDLE_FILE_BYTES,
      `a bundle file may hold at most ${MAX_BUNDLE_FILE_BYTES} bytes`,
    ),
});
export type BundleFile = z.infer<typeof BundleFileSchema>;

/**
 * What `alicia up` sends, embedded or remote: the Compose files and every file they
 * reference, the CLI-side variables the loader looked up, and the project name if given.
 */
export const DeployBundleSchema = z.strictObject({
  /** Absolute, on the machine that read the files: base of relative paths (bind mounts too). */
  project_directory: z.string().min(1).max(4096),
  /** The Compose files in -f order, as paths of `files`. */
  compose: z.array(z.string().min(1).max(1024)).min(1),
  files: z.array(BundleFileSchema).min(1),
  /** Variables from the CLI's environment that the loader looked up and found set. */
  env: z.record(z.string(), z.string()),
  /** -p, when given (otherwise the loader derives it as Compose does). */
  project: NameSchema.optional(),
  /** --profile, when given (otherwise COMPOSE_PROFILES from `env`, as Compose does). */
  profiles: z.array(z.string().min(1).max(128)).max(64).optional(),
  /**
   * The client's id for this deploy, on its deploy_* events: a client whose orchestrator
   * restarted re-sends the bundle with it and waits for that deploy's outcome.
   */
  deploy_id: z.string().min(1).max(64).optional(),
});
export type DeployBundle = z.infer<typeof DeployBundleSchema>;

const Target = { stack: NameSchema.optional(), service: NameSchema };

// ---- Replies: the `data` of an ok reply, per method ----

const StringList = z.array(z.string());

export const DeployReportSchema = z.strictObject({
  stack: z.string(),
  duration_ms: z.number().nonnegative(),
  changed: StringList,
  removed: StringList,
  services: z.array(
    z.strictObject({
      service: z.string(),
      phase: z.string(),
      replicas: z.number().int().nonnegative(),
      hosts: StringList,
      instances: StringList,
      reason: z.string().nullable(),
    }),
  ),
  warnings: z.array(z.strictObject({ file: z.string(), path: z.string(), message: z.string() })),
});
export type DeployReport = z.infer<typeof DeployReportSchema>;

/**
 * What a deploy of a bundle would do, nothing run (`alicia plan`, `up --dry-run`): where each
 * instance would run, the networks made on each host, the names each instance reaches on
 * other hosts, and the warnings (Compose's, and dependents that cannot reach a dependency).
 */
export const PlanReportSchema = z.strictObject({
  stack: z.string(),
  hosts: z.array(
    z.strictObject({
      agent: z.string(),
      /** Its advertised address (absent: an agent that announces none). */
      address: z.string().optional(),
      /** Engine names of the networks the stack's instances there join. */
      networks: StringList,
      instances: StringList,
    }),
  ),
  containers: z.array(
    z.strictObject({
      instance: z.string(),
      service: z.string(),
      agent: z.string(),
      /** keep: runs already as it is; create: new; replace: its spec changed; remove: no longer wanted. */
      action: z.enum(['keep', 'create', 'replace', 'remove']),
      image: z.string(),
      /** Published ports as `host:container/protocol`. */
      ports: StringList,
      /** Services on other hosts it reaches by name: `service:address` (its extra_hosts). */
      links: StringList,
      /** What ties it to its host (data there), or absent: it may move. */
      holds: z.string().optional(),
    }),
  ),
  warnings: z.array(
    z.strictObject({
      message: z.string(),
      file: z.string().optional(),
      path: z.string().optional(),
      dependent: z.string().optional(),
      dependent_agent: z.string().optional(),
      dependency: z.string().optional(),
      dependency_agent: z.string().optional(),
    }),
  ),
});
export type PlanReport = z.infer<typeof PlanReportSchema>;

/** What an operation did on one host: done, or pending while the host is offline (done when it returns). */
export const HostOutcomeSchema = z.strictObject({
  agent: z.string(),
  status: z.enum(['done', 'pending']),
  instances: StringList,
});
export type HostOutcome = z.infer<typeof HostOutcomeSchema>;

export const ScaleResultSchema = z.strictObject({
  stack: z.string(),
  service: z.string(),
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  direction: z.enum(['up', 'down', 'none']),
  instances: StringList,
  /** Only when a scale down left surplus on an offline host: per host, done or pending (removed when it returns). */
  hosts: z.array(HostOutcomeSchema).optional(),
  pending: StringList.optional(),
});
export type ScaleResult = z.infer<typeof ScaleResultSchema>;

export const RestartResultSchema = z.strictObject({
  stack: z.string(),
  service: z.string(),
  instances: StringList,
});
export type RestartResult = z.infer<typeof RestartResultSchema>;

export const StopResultSchema = z.strictObject({
  stack: z.string(),
  stopped: StringList,
  /** Only when something is left on an offline host: per host, done or pending (removed when it returns). */
  hosts: z.array(HostOutcomeSchema).optional(),
  pending: StringList.optional(),
});
export type StopResult = z.infer<typeof StopResultSchema>;

export const DownResultSchema = z.strictObject({
  stack: z.string(),
  /** Instances removed (on hosts that were online). */
  removed: StringList,
  services: StringList,
  /** Per host: done, or pending on an offline host (removed when it returns). */
  hosts: z.array(HostOutcomeSchema).default([]),
  /** Instances still to remove, on offline hosts: the CLI exits non-zero while any is. */
  pending: StringList.default([]),
});
export type DownResult = z.infer<typeof DownResultSchema>;

export const AgentRowSchema = z.strictObject({
  agent: z.string(),
  status: z.enum(['online', 'suspect', 'offline', 'unknown']),
  session: z.number().int().nonnegative().nullable(),
  hostname: z.string().nullable(),
  /** The advertised address (info's `address`); absent when the agent announces none. */
  address: z.string().optional(),
  arch: z.string().nullable(),
  os: z.string().nullable(),
  role: z.enum(['worker', 'manager']).nullable(),
  labels: z.record(z.string(), z.string()),
  last_seen_ms_ago: z.number().nullable(),
  containers: z.number().int().nonnegative(),
  running: z.number().int().nonnegative(),
  docker_version: z.string().nullable(),
  agent_version: z.string().nullable(),
});
export type AgentRow = z.infer<typeof AgentRowSchema>;

/** One stack's dependency graph: each service's `depends_on` and the start layers. */
export const StackGraphSchema = z.strictObject({
  stack: z.string(),
  /** Start layers: layer k's services depend only on layers < k (the order `alicia up` starts them). */
  layers: z.array(StringList),
  services: z.array(
    z.strictObject({
      service: z.string(),
      depends_on: z.array(
        z.strictObject({ service: z.string(), condition: z.string(), required: z.boolean() }),
      ),
    }),
  ),
});
export type StackGraph = z.infer<typeof StackGraphSchema>;

/** The one request map: every method's request body and reply data. */
export const REQUESTS = {
  /** Compose files travel as text: the orchestrator parses them with the same loader. */
  deploy: { request: DeployBundleSchema, reply: DeployReportSchema },
  /** What `deploy` of the same bundle would do, without doing it. */
  plan: { request: DeployBundleSchema, reply: PlanReportSchema },
  scale: {
    request: z.strictObject({ ...Target, replicas: z.number().int().nonnegative() }),
    reply: ScaleResultSchema,
  },
  restart: { request: z.strictObject(Target), reply: RestartResultSchema },
  stop: { request: z.strictObject(Target), reply: StopResultSchema },
  down: { request: z.strictObject({ stack: NameSchema }), reply: DownResultSchema },
  ps: {
    request: z.strictObject({ stack: NameSchema.optional() }),
    reply: z.strictObject({ services: z.array(ServiceStateSchema) }),
  },
  agents: { request: z.strictObject({}), reply: z.strictObject({ agents: z.array(AgentRowSchema) }) },
  health: { request: z.strictObject({}), reply: SystemHealthSchema },
  /** Operator forces a heal of one service. */
  heal: { request: z.strictObject(Target), reply: RestartResultSchema },
  /** Healing history, optionally of one service. */
  history: {
    request: z.strictObject({
      service: NameSchema.optional(),
      limit: z.number().int().positive().max(1000).optional(),
    }),
    reply: z.strictObject({ entries: z.array(HistoryEntrySchema) }),
  },
  /** Dependency graphs of the deployed stacks (or of one), for dashboards. */
  graph: {
    request: z.strictObject({ stack: NameSchema.optional() }),
    reply: z.strictObject({ stacks: z.array(StackGraphSchema) }),
  },
} as const satisfies { [M in RequestMethod]: { request: z.ZodObject; reply: z.ZodType } };

/** zod types a strict empty object as Record<string, never>; as a body it means "no fields". */
type NoIndex<T> = string extends keyof T ? Record<never, never> : T;
/** The body of a request (what a caller passes), without the envelope. */
export type RequestBody<M extends RequestMethod = RequestMethod> = NoIndex<
  z.infer<(typeof REQUESTS)[M]['request']>
>;
/** The `data` of an ok reply to `M`. */
export type ReplyData<M extends RequestMethod = RequestMethod> = z.infer<(typeof REQUESTS)[M]['reply']>;

/** Wire requests: the body plus the envelope. */
export const RequestSchemas = {
  deploy: REQUESTS.deploy.request.extend(RequestEnvelope),
  plan: REQUESTS.plan.request.extend(RequestEnvelope),
  scale: REQUESTS.scale.request.extend(RequestEnvelope),
  restart: REQUESTS.restart.request.extend(RequestEnvelope),
  stop: REQUESTS.stop.request.extend(RequestEnvelope),
  down: REQUESTS.down.request.extend(RequestEnvelope),
  ps: REQUESTS.ps.request.extend(RequestEnvelope),
  agents: REQUESTS.agents.request.extend(RequestEnvelope),
  health: REQUESTS.health.request.extend(RequestEnvelope),
  heal: REQUESTS.heal.request.extend(RequestEnvelope),
  history: REQUESTS.history.request.extend(RequestEnvelope),
  graph: REQUESTS.graph.request.extend(RequestEnvelope),
} as const satisfies { [M in RequestMethod]: z.ZodObject };

/** The envelope every wire request carries around its body. */
export type RequestEnvelope = { v: typeof PROTOCOL_VERSION; transaction: string; reply_to: string };
/**
 * A wire request (what RequestSchemas[M] parses to), spelled as body & envelope so that a
 * request of any method is also its body: the handler table takes it as it is.
 */
export type Request<M extends RequestMethod = RequestMethod> = RequestBody<M> & RequestEnvelope;

/**
 * The reply envelope. Its `data` is checked by the client against the method it asked
 * (REQUESTS[method].reply): the reply topic does not say which method it answers.
 */
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
