// The agent's own memory on disk (its state dir): the desired instances, the restarts it
// did itself, the instances healing gave up on, and the session counter. With it a host
// rebooted while the broker is away still runs its workloads.
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../src/logging/logger.js';
import { type InstanceSpec, InstanceSpecSchema } from '../src/protocol/agent-actions.js';
import {
  coalescedWriter,
  readJsonFile,
  readJsonFileSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from '../src/store/atomic-file.js';

export interface DesiredEntry {
  spec: InstanceSpec;
  /** false after a stop command: the instance stays stopped until started again. */
  run: boolean;
}

const StateFileSchema = z.strictObject({
  v: z.literal(1),
  desired: z.record(z.string(), z.strictObject({ spec: InstanceSpecSchema, run: z.boolean() })),
  /** Restarts the agent did itself (healing, restart commands), per instance. */
  restarts: z.record(z.string(), z.number().int().nonnegative()),
  /** Instances healing gave up on, with the attempts made. */
  failed: z.record(z.string(), z.number().int().nonnegative()),
});

const SessionFileSchema = z.strictObject({ session: z.number().int().nonnegative() });

export interface StateStore {
  readonly desired: Map<string, DesiredEntry>;
  readonly restarts: Map<string, number>;
  readonly failed: Map<string, number>;
  /** The session of the current (or last) connection. */
  readonly session: number;
  /** Counts one more connect and persists it before returning (synchronous: the will needs it). */
  nextSession(): number;
  save(): Promise<void>;
  flush(): Promise<void>;
}

async function quarantine(path: string, log: Logger, err: unknown): Promise<void> {
  const aside = `${path}.corrupt-${Date.now()}`;
  log.error({ err, path, movedTo: aside }, 'state file is unreadable; starting from an empty one');
  await rename(path, aside).catch(() => undefined);
}

export async function openStateStore(dir: string, log: Logger): Promise<StateStore> {
  const statePath = join(dir, 'agent-state.json');
  const sessionPath = join(dir, 'session.json');
  const desired = new Map<string, DesiredEntry>();
  const restarts = new Map<string, number>();
  const failed = new Map<string, number>();

  let raw: unknown = null;
  try {
    raw = await readJsonFile(statePath);
  } catch (err) {
    await quarantine(statePath, log, err);
  }
  if (raw !== null) {
    const parsed = StateFileSchema.safeParse(raw);
    if (parsed.success) {
      for (const [instance, entry] of Object.entries(parsed.data.desired)) desired.set(instance, entry);
      for (const [instance, count] of Object.entries(parsed.data.restarts)) restarts.set(instance, count);
      for (const [instance, attempts] of Object.entries(parsed.data.failed)) failed.set(instance, attempts);
    } else {
      await quarantine(statePath, log, new Error(z.prettifyError(parsed.error)));
    }
  }

  let session = 0;
  try {
    const parsed = SessionFileSchema.safeParse(readJsonFileSync(sessionPath));
    if (parsed.success) session = parsed.data.session;
  } catch (err) {
    log.warn({ err, path: sessionPath }, 'session file unreadable; counting from 0');
  }

  const writer = coalescedWriter(() =>
    writeJsonAtomic(statePath, {
      v: 1,
      desired: Object.fromEntries(desired),
      restarts: Object.fromEntries(restarts),
      failed: Object.fromEntries(failed),
    }),
  );

  return {
    desired,
    restarts,
    failed,
    get session() {
      return session;
    },
    nextSession() {
      session += 1;
      try {
        writeJsonAtomicSync(sessionPath, { session });
      } catch (err) {
        // The counter still grows in memory, so this process never reuses a session.
        log.error({ err, path: sessionPath }, 'could not persist the session counter');
      }
      return session;
    },
    save: () => writer.save(),
    flush: () => writer.flush(),
  };
}
