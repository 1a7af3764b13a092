// The deploy bundle: what `alicia up` sends to the orchestrator, embedded or remote. The
// CLI loads the stack once with a recording reader (every file the loader reads, every
// variable it looks up), so the bundle holds exactly what the orchestrator needs to parse
// the same stack with the same loader, without reading the CLI's disk or environment.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { aliciaError } from '../core/errors.js';
import {
  type BundleFile,
  type DeployBundle,
  MAX_BUNDLE_BYTES,
  MAX_BUNDLE_FILE_BYTES,
} from '../protocol/requests.js';
import { composeError } from './diagnostics.js';
import { type LoadOptions, readComposeFile, readOptionalFile } from './load.js';
import type { Stack } from './model.js';
import { type ComposeSource, parseStack, type ReadFile } from './parse-stack.js';

/** Room left in the payload limit for the request envelope (v, transaction, reply_to). */
const ENVELOPE_BYTES = 1024;

export interface LoadedBundle {
  stack: Stack;
  bundle: DeployBundle;
}

/**
 * Loads the stack from disk as `loadStack` does, and the bundle that reproduces it: the
 * Compose files, the `.env` and env files the loader read, and the variables it looked up
 * that are set here. Refuses a file or a bundle too large to send, naming the file.
 */
export async function loadBundle(options: LoadOptions): Promise<LoadedBundle> {
  const first = options.files[0];
  if (first === undefined) {
    throw composeError(
      'ALICIA_ERR_COMPOSE_NOT_FOUND',
      { file: '', path: '' },
      'no Compose file given; pass one with -f',
    );
  }
  const projectDirectory = resolve(options.projectDirectory ?? dirname(first));
  const sources: ComposeSource[] = await Promise.all(
    options.files.map(async (file) => ({ file, text: await readComposeFile(file) })),
  );
  const files = new Map<string, BundleFile>();
  const pathOf = (file: string) => relative(projectDirectory, resolve(file)) || '.';
  for (const source of sources) {
    const path = pathOf(source.file);
    files.set(path, { path, kind: 'compose', text: source.text });
  }
  const readFile: ReadFile = (full, kind) => {
    const text = readOptionalFile(full);
    const path = pathOf(full);
    if (text !== undefined && !files.has(path)) files.set(path, { path, kind, text });
    return text;
  };
  const env: Record<string, string> = {};
  const stack = parseStack(sources, {
    projectName: options.projectName,
    projectDirectory,
    profiles: options.profiles,
    env: options.env ?? process.env,
    readFile,
    onLookup: (name, value) => {
      if (value !== undefined) env[name] = value;
    },
  });
  const bundle: DeployBundle = {
    project_directory: projectDirectory,
    compose: sources.map((s) => pathOf(s.file)),
    files: [...files.values()],
    env,
    ...(options.projectName !== undefined && options.projectName !== ''
      ? { project: options.projectName }
      : {}),
    ...(options.profiles !== undefined ? { profiles: [...options.profiles] } : {}),
  };
  checkSize(bundle);
  return { stack, bundle };
}

function checkSize(bundle: DeployBundle): void {
  const sizes = bundle.files.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.text) }));
  for (const { path, bytes } of sizes) {
    if (bytes > MAX_BUNDLE_FILE_BYTES) {
      throw aliciaError(
        'ALICIA_ERR_PAYLOAD_TOO_LARGE',
        `${path} is ${bytes} bytes; a file sent with a deploy may hold at most ${MAX_BUNDLE_FILE_BYTES}`,
        { details: { file: path } },
      );
    }
  }
  const total = Buffer.byteLength(JSON.stringify(bundle)) + ENVELOPE_BYTES;
  if (total > MAX_BUNDLE_BYTES) {
    const largest = [...sizes]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3)
      .map((s) => `${s.path} (${s.bytes} bytes)`)
      .join(', ');
    throw aliciaError(
      'ALICIA_ERR_PAYLOAD_TOO_LARGE',
      `the deploy bundle is ${total} bytes, more than the ${MAX_BUNDLE_BYTES} one message may hold; largest files: ${largest}`,
    );
  }
}

/**
 * The orchestrator's side: parses a bundle with the same loader, reading files only from
 * the bundle and variables only from its `env`. A file the loader needs and the bundle
 * lacks is ALICIA_ERR_COMPOSE_NOT_FOUND naming it.
 */
export function parseBundle(bundle: DeployBundle): Stack {
  const dir = bundle.project_directory;
  if (!isAbsolute(dir)) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `the deploy's project_directory must be absolute, got ${JSON.stringify(dir)}`,
    );
  }
  const byPath = new Map(bundle.files.map((f) => [resolve(dir, f.path), f.text]));
  const sources: ComposeSource[] = bundle.compose.map((path) => {
    const text = byPath.get(resolve(dir, path));
    if (text === undefined) {
      throw composeError(
        'ALICIA_ERR_COMPOSE_NOT_FOUND',
        { file: path, path: '' },
        'not in the deploy bundle',
      );
    }
    return { file: path, text };
  });
  return parseStack(sources, {
    projectName: bundle.project,
    projectDirectory: dir,
    profiles: bundle.profiles,
    env: bundle.env,
    readFile: (path) => byPath.get(path),
  });
}
