// The orchestrator's desired state on disk: applied stacks (normalized Stack, specs by
// hash, scale overrides, instance assignments) and the session counter. One JSON file,
// written only through desired-state.ts, replaced atomically (write temp, fsync, rename, fsync the directory), so a crash leaves
// the old state or the new one, never half of one.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prettifyError, z } from 'zod';
import { compileContainerSpec } from '../compose/compile.js';
import { NameSchema, ServiceSpecSchema, StackSchema } from '../compose/model.js';
import type { Assignment } from '../core/deploy/index.js';
import { aliciaError } from '../core/errors.js';
import { ContainerSpecSchema } from '../protocol/container-spec.js';
import { TopicIdSchema } from '../protocol/ids.js';
import { writeFileAtomic } from '../store/atomic-file.js';

const AssignmentSchema = z.strictObject({
  instance: TopicIdSchema,
  stack: NameSchema,
  service: NameSchema,
  slot: z.number().int().positive(),
  agent: TopicIdSchema,
  spec_hash: z.string().min(1),
  created_ms: z.number().int().nonnegative(),
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

export const OrchestratorStateSchema = z.strictObject({
  v: z.literal(1),
  /** Grows by one per start of the orchestrator: its presence session and commands' `session`. */
  session: z.number().int().nonnegative(),
  stacks: z.record(z.string(), StackRecordSchema),
  /** Stacks taken down, with when (ms): containers of theirs that show up later (a host that was offline) are removed. */
  removed: z.record(z.string(), z.number().int().nonnegative()),
});
/** The desired state as stored (mutable: only the desired-state module edits it). */
export type OrchestratorStateData = z.infer<typeof OrchestratorStateSchema>;
/** The desired state as everyone but the desired-state module sees it: read only. */
export interface OrchestratorState {
  readonly v: 1;
  readonly session: number;
  readonly stacks: Readonly<Record<string, StackRecord>>;
  readonly removed: Readonly<Record<string, number>>;
}

export const STATE_FILE = 'orchestrator-state.json';

export interface Store {
  readonly file: string;
  load(): Promise<OrchestratorStateData>;
  /** Writes are serialized: the last one called is the one on disk. */
  save(state: OrchestratorState): Promise<void>;
}

export function createStore(dir: string): Store {
  const file = path.join(dir, STATE_FILE);
  let chain: Promise<void> = Promise.resolve();

  async function write(text: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, text);
  }

  return {
    file,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          return { v: 1, session: 0, stacks: {}, removed: {} };
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: cannot read the state file`, { cause: err });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: the state file is not valid JSON`, {
          cause: err,
        });
      }
      const parsed = OrchestratorStateSchema.safeParse(upgradeSpecs(json));
      if (!parsed.success) {
        // Refuse rather than start from nothing: starting empty would orphan every container.
        throw aliciaError(
          'ALICIA_ERR_CONFIG_INVALID',
          `${file}: ${prettifyError(parsed.error).replaceAll('\n', '; ')}`,
        );
      }
      return parsed.data;
    },
    save(state) {
      const text = `${JSON.stringify(state)}\n`;
      const next = chain.then(() => write(text));
      chain = next.catch(() => undefined);
      return next;
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
