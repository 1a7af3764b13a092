// The orchestrator's desired state on disk: applied stacks (normalized Stack, specs by
// hash, scale overrides, instance assignments) and the session counter. One JSON file,
// replaced atomically (write temp, fsync, rename, fsync the directory), so a crash leaves
// the old state or the new one, never half of one.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prettifyError, z } from 'zod';
import { NameSchema, StackSchema } from '../compose/model.js';
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
export type StackRecord = z.infer<typeof StackRecordSchema>;

export const OrchestratorStateSchema = z.strictObject({
  v: z.literal(1),
  /** Grows by one per start of the orchestrator: its presence session and commands' `session`. */
  session: z.number().int().nonnegative(),
  stacks: z.record(z.string(), StackRecordSchema),
  /** Stacks taken down, with when (ms): containers of theirs that show up later (a host that was offline) are removed. */
  removed: z.record(z.string(), z.number().int().nonnegative()),
});
export type OrchestratorState = z.infer<typeof OrchestratorStateSchema>;

export const STATE_FILE = 'orchestrator-state.json';

export interface Store {
  readonly file: string;
  load(): Promise<OrchestratorState>;
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
      const parsed = OrchestratorStateSchema.safeParse(json);
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

/** A deep copy that can be edited without touching the state it came from. */
export function cloneRecord(record: StackRecord): StackRecord {
  return structuredClone(record);
}

export type { Assignment };
