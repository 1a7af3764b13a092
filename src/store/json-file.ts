// One JSON state file of a process: read and checked against its schema (a missing file is
// the empty value; an unreadable, malformed or invalid one is refused, naming the file, never
// replaced by the empty value), and written crash-safe, one write at a time (the last call is
// what ends up on disk).
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { prettifyError, type z } from 'zod';
import { aliciaError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-file.js';

export interface JsonFile<T> {
  readonly file: string;
  load(): Promise<T>;
  /** Serialized: writes happen in call order. */
  save(text: string): Promise<void>;
}

export function createJsonFile<S extends z.ZodType>(options: {
  dir: string;
  name: string;
  /** How errors name it: "the state file", "the healing file". */
  what: string;
  schema: S;
  empty: () => z.infer<S>;
  /** Applied to the parsed JSON before the schema (older formats). */
  upgrade?: (json: unknown) => unknown;
}): JsonFile<z.infer<S>> {
  const { dir, what, schema } = options;
  const file = path.join(dir, options.name);
  let chain: Promise<void> = Promise.resolve();
  return {
    file,
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return options.empty();
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: cannot read ${what}`, { cause: err });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `${file}: ${what} is not valid JSON`, { cause: err });
      }
      const parsed = schema.safeParse(options.upgrade ? options.upgrade(json) : json);
      if (!parsed.success) {
        throw aliciaError(
          'ALICIA_ERR_CONFIG_INVALID',
          `${file}: ${prettifyError(parsed.error).replaceAll('\n', '; ')}`,
        );
      }
      return parsed.data;
    },
    save(text) {
      const next = chain.then(async () => {
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(file, text);
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
