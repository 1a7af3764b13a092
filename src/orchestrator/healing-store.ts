// The healing history and the services' circuits on disk (healing.json beside the desired
// state): an operator asks "what did Alicia do to db last night" after the orchestrator was
// restarted, and an open circuit stays open across a restart (no second service_failed, no
// silent retries). Bounded: the newest HISTORY_LIMIT entries are kept. Written atomically,
// writes coalesced (the last state called is the one on disk).
import { z } from 'zod';
import { HistoryEntrySchema } from '../protocol/index.js';
import { createJsonFile } from '../store/json-file.js';

export const HEALING_FILE = 'healing.json';
/** Entries of the healing history kept on disk (newest). */
export const HISTORY_LIMIT = 1_000;

export const CircuitSchema = z.strictObject({
  state: z.enum(['closed', 'open']),
  attempts: z.number().int().nonnegative(),
  host_failures: z.record(z.string(), z.number().int().nonnegative()),
  healthy_since: z.number().int().nonnegative().nullable(),
  failing_since: z.number().int().nonnegative().nullable(),
  opened_at: z.number().int().nonnegative().nullable(),
  reason: z.string().nullable(),
});

export const HealingFileSchema = z.strictObject({
  v: z.literal(1),
  /** `stack/service` -> its circuit (closed ones with no streak are not kept). */
  circuits: z.record(z.string(), CircuitSchema),
  /** Oldest first. */
  history: z.array(HistoryEntrySchema),
});
export type HealingFile = z.infer<typeof HealingFileSchema>;

export interface HealingStore {
  readonly file: string;
  load(): Promise<HealingFile>;
  save(data: HealingFile): Promise<void>;
}

export function createHealingStore(dir: string): HealingStore {
  const json = createJsonFile({
    dir,
    name: HEALING_FILE,
    what: 'the healing file',
    schema: HealingFileSchema,
    empty: (): HealingFile => ({ v: 1, circuits: {}, history: [] }),
  });
  return {
    file: json.file,
    load: () => json.load(),
    save: (data) => json.save(`${JSON.stringify(data)}\n`),
  };
}
