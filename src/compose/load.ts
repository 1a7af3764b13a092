// The file-system edge of the loader: finds and reads the Compose files, `.env` and env
// files, then hands everything to the pure parseStack.

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { composeError } from './diagnostics.js';
import type { Stack } from './model.js';
import { type ComposeSource, parseStack } from './parse-stack.js';

export interface LoadOptions {
  /** Files as given with -f, merged in order. */
  files: readonly string[];
  projectName?: string | undefined;
  projectDirectory?: string | undefined;
  /** Defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Active profiles (`--profile`); default: COMPOSE_PROFILES. */
  profiles?: readonly string[] | undefined;
}

export async function loadStack(options: LoadOptions): Promise<Stack> {
  const first = options.files[0];
  if (first === undefined) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_NOT_FOUND',
      { file: '', path: '' },
      'no Compose file given; pass one with -f',
    );
  }
  const sources: ComposeSource[] = await Promise.all(
    options.files.map(async (file) => ({ file, text: await readComposeFile(file) })),
  );
  return parseStack(sources, {
    projectName: options.projectName,
    projectDirectory: resolve(options.projectDirectory ?? dirname(first)),
    profiles: options.profiles,
    env: options.env ?? process.env,
    readFile: readOptionalFile,
  });
}

/** Reads one Compose file; a missing one is ALICIA_ERR_COMPOSE_NOT_FOUND naming it. */
export async function readComposeFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw composeError('ALICIA_ERR_COMPOSE_NOT_FOUND', { file, path: '' }, reason, err);
  }
}

/** Reads `.env` and env files: undefined when they cannot be read (the loader decides if that is an error). */
export function readOptionalFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const CANDIDATES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

/**
 * The files Compose reads when no -f is given: COMPOSE_FILE (":"-separated), else the first
 * of compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in the directory or
 * the nearest parent holding one, plus its override file (compose.override.yaml…) if present.
 */
export function findComposeFiles(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): string[] {
  const fromEnv = env.COMPOSE_FILE;
  if (fromEnv) return fromEnv.split(env.COMPOSE_PATH_SEPARATOR ?? ':').filter((file) => file !== '');
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const found = CANDIDATES.find((name) => exists(join(dir, name)));
    if (found) {
      const stem = found.replace(/\.ya?ml$/, '');
      const override = ['yaml', 'yml']
        .map((ext) => `${stem}.override.${ext}`)
        .find((name) => exists(join(dir, name)));
      const base = dir === resolve(cwd) ? found : join(dir, found);
      return override ? [base, dir === resolve(cwd) ? override : join(dir, override)] : [base];
    }
    if (dirname(dir) === dir) break;
  }
  throw composeError(
    'ALICIA_ERR_COMPOSE_NOT_FOUND',
    { file: cwd, path: '' },
    `no ${CANDIDATES.join(', ')} here or in a parent directory; pass the file with -f`,
  );
}
