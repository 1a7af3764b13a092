// Crash-safe files for every process's state (agent, orchestrator, broker): write a
// temporary file, fsync it, rename it over the old one, fsync the directory. A crash leaves
// either the old or the new content, never half. Files are owner-only (0600) by default:
// they hold desired state, credentials and password hashes.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

let counter = 0;
function tempPath(path: string): string {
  counter += 1;
  return `${path}.tmp-${process.pid}-${counter}`;
}

/** Persists the rename itself; some filesystems refuse fsync on a directory, which is fine. */
function syncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not supported here: the rename is still atomic, only its durability is weaker.
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = tempPath(path);
  const handle = await open(temp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  syncDirSync(dirname(path));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value)}\n`);
}

export function writeJsonAtomicSync(path: string, value: unknown): void {
  const temp = tempPath(path);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  syncDirSync(dirname(path));
}

/** The parsed file, or null when it does not exist. Throws on unreadable or invalid JSON. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
}

export function readJsonFileSync(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Runs `write` so that calls never overlap and a burst of calls ends in one last write:
 * callers await the write that includes their change. A write starts one turn of the event
 * loop after the first call (setImmediate, well under 1 ms), so calls made in the same turn
 * (three start commands read from one packet) share it instead of waiting for a second fsync.
 */
export function coalescedWriter(write: () => Promise<void>): {
  save(): Promise<void>;
  flush(): Promise<void>;
} {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const save = (): Promise<void> => {
    if (queued !== null) return queued;
    const before = running ?? Promise.resolve();
    queued = before
      .catch(() => undefined)
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        queued = null;
        const current = write().finally(() => {
          if (running === current) running = null;
        });
        running = current;
        return current;
      });
    return queued;
  };
  return {
    save,
    async flush() {
      await (queued ?? running ?? Promise.resolve()).catch(() => undefined);
    },
  };
}
