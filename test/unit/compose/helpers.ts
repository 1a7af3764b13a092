// Shared helpers for the Compose loader tests: parse inline YAML, catch the AliciaError.
import { expect } from 'vitest';
import type { Stack } from '../../../src/compose/model.js';
import { type ComposeSource, type ParseOptions, parseStack } from '../../../src/compose/parse-stack.js';
import { type AliciaError, isAliciaError } from '../../../src/core/errors.js';

export const DIR = '/project';
export const FILE = '/project/compose.yaml';

/** Parses one inline Compose file (or several), with files on a virtual disk for .env / env_file. */
export function parse(
  text: string | readonly ComposeSource[],
  options: ParseOptions & { disk?: Record<string, string> } = {},
): Stack {
  const { disk = {}, ...rest } = options;
  const sources = typeof text === 'string' ? [{ file: FILE, text }] : text;
  return parseStack(sources, { projectDirectory: DIR, env: {}, readFile: (path) => disk[path], ...rest });
}

export function errorOf(run: () => unknown): AliciaError {
  try {
    run();
  } catch (err) {
    if (isAliciaError(err)) return err;
    throw err;
  }
  throw new Error('expected an AliciaError, but nothing was thrown');
}

/** Asserts the code and where the error points, and returns it for message checks. */
export function expectError(
  run: () => unknown,
  expected: { code: string; file?: string; path?: string; line?: number; column?: number },
): AliciaError {
  const err = errorOf(run);
  expect(err.code).toBe(expected.code);
  const { code: _code, ...where } = expected;
  expect(err.details).toMatchObject({ file: FILE, ...where });
  return err;
}

export function service(stack: Stack, name: string): Stack['services'][string] {
  const found = stack.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
}
