// Secret and config files of containers on this host: written under the agent's state dir
// before the container is created, bind-mounted read-only, removed with the container.
// Directories are 0700 (only root on the host reaches the files); each file gets the mode,
// uid and gid the Compose file asks for (Compose's default 0444), so a non-root process in
// the container can read it through the bind mount. Contents are never logged.
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerFile } from '../../src/protocol/container-spec.js';

export interface FileStore {
  /** Writes the instance's files afresh; answers their host paths in the same order. */
  write(instance: string, files: readonly ContainerFile[]): Promise<string[]>;
  remove(instance: string): Promise<void>;
}

/** A numeric id, or undefined (a name cannot be resolved on the host: left to root). */
function numericId(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

export function createFileStore(root: string): FileStore {
  const dirOf = (instance: string) => join(root, instance);
  return {
    async write(instance, files) {
      if (files.length === 0) return [];
      const dir = dirOf(instance);
      await rm(dir, { recursive: true, force: true });
      await mkdir(root, { recursive: true, mode: 0o700 });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const paths: string[] = [];
      for (const [index, file] of files.entries()) {
        const path = join(dir, `${index}-${file.kind}-${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
        // Created 0600 so it is never readable by others, even for a moment, then given its mode.
        await writeFile(path, Buffer.from(file.content_base64, 'base64'), { mode: 0o600 });
        const uid = numericId(file.uid);
        const gid = numericId(file.gid);
        if (uid !== undefined || gid !== undefined) await chown(path, uid ?? 0, gid ?? 0);
        await chmod(path, file.mode);
        paths.push(path);
      }
      return paths;
    },
    async remove(instance) {
      await rm(dirOf(instance), { recursive: true, force: true });
    },
  };
}
