// Transactions already answered (a bounded LRU, persisted): a repeated transaction gets
// the stored answer again and is never run twice, also across an agent restart.
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../src/logging/logger.js';
import { type ActionResponse, ActionResponseSchema } from '../src/protocol/agent-actions.js';
import { coalescedWriter, readJsonFile, writeJsonAtomic } from '../src/store/atomic-file.js';

/** Enough to cover every retry an orchestrator makes within a command's lifetime. */
export const DEFAULT_TRANSACTION_LIMIT = 512;

const FileSchema = z.strictObject({
  v: z.literal(1),
  entries: z.array(z.tuple([z.string(), ActionResponseSchema])),
});

export interface TransactionLog {
  /** The stored answer, the answer still being worked out, or undefined for a new transaction. */
  get(transaction: string): ActionResponse | Promise<ActionResponse> | undefined;
  /** Marks a transaction as running; its answer is stored when `answer` settles. */
  begin(transaction: string, answer: Promise<ActionResponse>): void;
  record(transaction: string, answer: ActionResponse): void;
  readonly size: number;
  flush(): Promise<void>;
}

export async function openTransactionLog(
  dir: string | null,
  log: Logger,
  limit = DEFAULT_TRANSACTION_LIMIT,
): Promise<TransactionLog> {
  const path = dir === null ? null : join(dir, 'transactions.json');
  const done = new Map<string, ActionResponse>();
  const pending = new Map<string, Promise<ActionResponse>>();
  if (path !== null) {
    try {
      const parsed = FileSchema.safeParse(await readJsonFile(path));
      if (parsed.success) for (const [tx, answer] of parsed.data.entries) done.set(tx, answer);
    } catch (err) {
      log.warn({ err, path }, 'transaction log unreadable; starting empty');
    }
  }
  const writer = coalescedWriter(async () => {
    if (path !== null) await writeJsonAtomic(path, { v: 1, entries: [...done] });
  });

  const record = (transaction: string, answer: ActionResponse) => {
    done.delete(transaction);
    done.set(transaction, answer);
    // Map iteration order is insertion order: the first key is the least recently used.
    while (done.size > limit) {
      const oldest = done.keys().next();
      if (oldest.done) break;
      done.delete(oldest.value);
    }
    writer.save().catch((err: unknown) => log.warn({ err }, 'could not persist the transaction log'));
  };

  return {
    get(transaction) {
      const answer = done.get(transaction);
      if (answer !== undefined) {
        done.delete(transaction);
        done.set(transaction, answer);
        return answer;
      }
      return pending.get(transaction);
    },
    begin(transaction, answer) {
      pending.set(transaction, answer);
      answer.then(
        (value) => {
          pending.delete(transaction);
          record(transaction, value);
        },
        () => pending.delete(transaction),
      );
    },
    record,
    get size() {
      return done.size + pending.size;
    },
    flush: () => writer.flush(),
  };
}
