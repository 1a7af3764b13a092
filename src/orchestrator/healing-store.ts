// The healing history and the services' circuits on disk (healing.json beside the desired
// state): an operator asks "what did Alicia do to db last night" after the orchestrator was
// restarted, and an open circuit stays open across a restart (no second service_failed, no
// silent retries). Bounded: the newest HISTORY_LIMIT entries are kept. Written atomically,
// writes coalesced (the last state called is the one on disk).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prettifyError, z } from 'zod';
import { aliciaError } from '../core/errors.js';
import { HistoryEntrySchema } from '../protocol/index.js';
import { writeFileAtomic } from '../store/atomic-file.js';

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
  const file = path.join(dir, HEALING_FILE);
  let chain: Promise<void> = Promise.resolve();
  return {
    file,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { v: 1, circuits: {}, history: [] };
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: cannot read the healing file`, {
          cause: err,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: the healing file is not valid JSON`, {
          cause: err,
        });
      }
      const parsed = HealingFileSchema.safeParse(json);
      if (!parsed.success) {
        throw aliciaError(
          'ALICIA_ERR_CONFIG_INVALID',
          `${file}: ${prettifyError(parsed.error).replaceAll('\n', '; ')}`,
        );
      }
      return parsed.data;
    },
    save(data) {
      const text = `${JSON.stringify(data)}\n`;
      const next = chain.then(async () => {
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(file, text);
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
