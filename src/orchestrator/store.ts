// The orchestrator's desired state on disk: applied stacks (normalized Stack, specs by
// hash, scale overrides, instance assignments) and the session counter. One JSON file,
// written only through desired-state.ts, replaced atomically (write temp, fsync, rename, fsync the directory), so a crash leaves
// the old state or the new one, never half of one.
import { z } from 'zod';
import { compileContainerSpec } from '../compose/compile.js';
import { NameSchema, ServiceSpecSchema, StackSchema } from '../compose/model.js';
import type { Assignment } from '../core/deploy/index.js';
import { ContainerSpecSchema } from '../protocol/container-spec.js';
import { TopicIdSchema } from '../protocol/ids.js';
import { createJsonFile } from '../store/json-file.js';

const AssignmentSchema = z.strictObject({
  instance: TopicIdSchema,
  stack: NameSchema,
  service: NameSchema,
  slot: z.number().int().positive(),
  agent: TopicIdSchema,
  spec_hash: z.string().min(1),
  created_ms: z.number().int().nonnegative(),
  /** Moves so far (absent: never moved; core/deploy moveAssignment). */
  incarnation: z.number().int().positive().optional(),
});

export const StackRecordSchema = z.strictObject({
  name: NameSchema,
  stack: StackSchema,
  /** Every container spec an assignment refers to, by spec hash (old ones too, while being replaced). */
  specs: z.record(z.string(), ContainerSpecSchema),
  /** `alicia scale` overrides: service -> replicas. */
  scale: z.record(z.string(), z.number().int().nonnegative()),
  /** Services stopped with `alicia stop` (and their dependents). */
  stopped: z.array(NameSchema),
  assignments: z.array(AssignmentSchema),
  deployed_ms: z.number().int().nonnegative(),
});
/** A stack's record as stored (mutable: only the desired-state module edits one). */
export type StackRecordData = z.infer<typeof StackRecordSchema>;
/** A stack's record as everyone but the desired-state module sees it: read only. */
export interface StackRecord {
  readonly name: StackRecordData['name'];
  readonly stack: StackRecordData['stack'];
  readonly specs: Readonly<StackRecordData['specs']>;
  readonly scale: Readonly<StackRecordData['scale']>;
  readonly stopped: readonly string[];
  readonly assignments: readonly Assignment[];
  readonly deployed_ms: number;
}

/**
 * An operation in progress, persisted before any action goes out to an agent: after a crash
 * the orchestrator resumes it from this plus the agents' retained reports. `id` is the
 * client's deploy id when it sent one (a client that re-sends after a restart is matched).
 */
export const IntentSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('deploy'),
    id: z.string().min(1),
    /**
     * `scale` keeps stopped services stopped and emits no deploy_* events. `move`: instances
     * moved off a lost host starting in dependency order (watch-moves.ts); resumed as a scale
     * that changes nothing, which starts what is missing in that order.
     */
    op: z.enum(['deploy', 'scale', 'move']),
    scale: z.record(z.string(), z.number().int().nonnegative()),
    unstop: z.array(NameSchema),
    started_ms: z.number().int().nonnegative(),
  }),
  z.strictObject({
    kind: z.literal('down'),
    id: z.string().min(1),
    started_ms: z.number().int().nonnegative(),
    /** The stack's services and instance count, for `stack_removed` once the last host is done. */
    services: z.array(NameSchema),
    instances: z.number().int().nonnegative(),
    /** Hosts that held its containers: a resume waits for their reports before it judges what is left. */
    agents: z.array(TopicIdSchema),
  }),
]);
export type Intent = z.infer<typeof IntentSchema>;

export const OrchestratorStateSchema = z.strictObject({
  v: z.literal(1),
  /** Grows by one per start of the orchestrator: its presence session and commands' `session`. */
  session: z.number().int().nonnegative(),
  stacks: z.record(z.string(), StackRecordSchema),
  /** Stacks taken down, with when (ms): containers of theirs that show up later (a host that was offline) are removed. */
  removed: z.record(z.string(), z.number().int().nonnegative()),
  /** stack -> the deploy, scale or down in progress (absent in files written before intents). */
  intents: z.record(z.string(), IntentSchema).default({}),
  /**
   * Event seq numbers below this may have been used: a restart continues from here. Reserved
   * in blocks (events.ts), so one write covers many events; a restart skips the rest of a block.
   */
  seq_reserved: z.number().int().nonnegative().default(0),
});
/** The desired state as stored (mutable: only the desired-state module edits it). */
export type OrchestratorStateData = z.infer<typeof OrchestratorStateSchema>;
/** The desired state as everyone but the desired-state module sees it: read only. */
export interface OrchestratorState {
  readonly v: 1;
  readonly session: number;
  readonly stacks: Readonly<Record<string, StackRecord>>;
  readonly removed: Readonly<Record<string, number>>;
  readonly intents: Readonly<Record<string, Intent>>;
  readonly seq_reserved: number;
}

export const STATE_FILE = 'orchestrator-state.json';

export interface Store {
  readonly file: string;
  load(): Promise<OrchestratorStateData>;
  /** Writes are serialized: the last one called is the one on disk. */
  save(state: OrchestratorState): Promise<void>;
}

export function createStore(dir: string): Store {
  const json = createJsonFile({
    dir,
    name: STATE_FILE,
    what: 'the state file',
    // Refused when invalid rather than started from nothing: that would orphan every container.
    schema: OrchestratorStateSchema,
    empty: (): OrchestratorStateData => ({
      v: 1,
      session: 0,
      stacks: {},
      removed: {},
      intents: {},
      seq_reserved: 0,
    }),
    upgrade: upgradeSpecs,
  });
  return {
    file: json.file,
    load: () => json.load(),
    save(state) {
      // Nothing in progress and no event yet: the file stays in the format older versions wrote.
      const { intents, seq_reserved, ...rest } = state;
      return json.save(
        `${JSON.stringify({
          ...rest,
          ...(Object.keys(intents).length > 0 ? { intents } : {}),
          ...(seq_reserved > 0 ? { seq_reserved } : {}),
        })}\n`,
      );
    },
  };
}

/**
 * State files written before the wire ContainerSpec held each service's Compose spec under
 * its hash. Such a spec is compiled in place and keeps its hash: the agents' containers carry
 * that hash, so the upgrade replaces nothing; the next deploy of a changed file does.
 */
export function upgradeSpecs(json: unknown): unknown {
  if (!isObject(json) || !isObject(json.stacks)) return json;
  for (const record of Object.values(json.stacks)) {
    if (!isObject(record) || !isObject(record.specs) || typeof record.name !== 'string') continue;
    for (const [hash, spec] of Object.entries(record.specs)) {
      if (ContainerSpecSchema.safeParse(spec).success) continue;
      const old = ServiceSpecSchema.safeParse(spec);
      if (old.success) record.specs[hash] = compileContainerSpec(record.name, old.data);
    }
  }
  return json;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export type { Assignment };
