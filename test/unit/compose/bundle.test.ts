// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
// The deploy bundle: what the loader read (files) and looked up (variables), enough for the
// orchestrator to parse the same stack without the CLI's disk or environment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadBundle, parseBundle } from '../../../src/compose/index.js';
import { DeployBundleSchema, MAX_BUNDLE_FILE_BYTES } from '../../../src/protocol/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alicia-bundle-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

describe('loadBundle', () => {
  it('holds the Compose files, .env and every env_file read, and only the variables looked up and set', async () => {
    const file = write(
      'app/compose.yaml',
      [
        'services:',
        '  web:',
        '    image: ${IMG}:${TAG:-latest}',
        '    env_file: [vars.env, ../shared/common.env, { path: absent.env, required: false }]',
        '    volumes: ["~/data:/data"]',
        '',
      ].join('\n'),
    );
    const override = write(
      'app/compose.override.yaml',
      'services:\n  web:\n    environment:\n      - EXTRA=${EXTRA}\n',
    );
    write('app/.env', 'IMG=from-dotenv\n');
    write('app/vars.env', 'A=${TAG}\n');
    write('shared/common.env', 'B=2\n');
    write('app/unrelated.env', 'NOT=read\n');
    const env = { TAG: '1.2', HOME: '/home/me', EXTRA: 'x', PATH: '/bin', SECRET_NOT_USED: 'stays' };
    const { stack, bundle } = await loadBundle({ files: [file, override], env });

    expect(bundle.project_directory).toBe(join(dir, 'app'));
    expect(bundle.compose).toEqual(['compose.yaml', 'compose.override.yaml']);
    expect(bundle.files.map((f) => [f.path, f.kind])).toEqual([
      ['compose.yaml', 'compose'],
      ['compose.override.yaml', 'compose'],
      ['.env', 'dotenv'],
      ['vars.env', 'env_file'],
      ['../shared/common.env', 'env_file'],
    ]);
    // TAG and EXTRA interpolate, HOME resolves "~"; PATH and SECRET_NOT_USED never leave.
    expect(bundle.env).toEqual({ TAG: '1.2', HOME: '/home/me', EXTRA: 'x' });
    expect(bundle.project).toBeUndefined();
    expect(DeployBundleSchema.parse(bundle)).toEqual(bundle);

    // The orchestrator's parse of the bundle is the CLI's parse of the disk.
    expect(parseBundle(bundle)).toEqual(stack);
    expect(stack.services.web?.image).toBe('from-dotenv:1.2');
    expect(stack.services.web?.environment).toEqual({ A: '1.2', B: '2', EXTRA: 'x' });
  });

  it('carries -p, and COMPOSE_PROJECT_NAME from the environment', async () => {
    const file = write('p/compose.yaml', 'services:\n  s:\n    image: busybox\n');
    const named = await loadBundle({
      files: [file],
      projectName: 'given',
      env: { COMPOSE_PROJECT_NAME: 'env' },
    });
    expect(named.bundle.project).toBe('given');
    expect(parseBundle(named.bundle).name).toBe('given');
    const fromEnv = await loadBundle({ files: [file], env: { COMPOSE_PROJECT_NAME: 'env' } });
    expect(fromEnv.bundle.env).toEqual({ COMPOSE_PROJECT_NAME: 'env' });
    expect(parseBundle(fromEnv.bundle).name).toBe('env');
  });

  it('refuses a file larger than a bundle may carry, naming it', async () => {
    const file = write('big/compose.yaml', 'services:\n  s:\n    image: busybox\n    env_file: huge.env\n');
    write('big/huge.env', `A=${'x'.repeat(MAX_BUNDLE_FILE_BYTES)}\n`);
    await expect(loadBundle({ files: [file], env: {} })).rejects.toMatchObject({
      code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(/^Payload is larger than allowed: huge\.env is \d+ bytes; a file sent/),
    });
  });

  it('refuses a bundle larger than one message, naming its largest files', async () => {
    const files = Array.from({ length: 5 }, (_, i) => `e${i}.env`);
    const file = write(
      'many/compose.yaml',
      `services:\n  s:\n    image: busybox\n    env_file: [${files.join(', ')}]\n`,
    );
    for (const name of files) write(`many/${name}`, `A=${'x'.repeat(MAX_BUNDLE_FILE_BYTES - 100)}\n`);
    await expect(loadBundle({ files: [file], env: {} })).rejects.toMatchObject({
      code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(
        /the deploy bundle is \d+ bytes, more than the 1048576 .*largest files: e\d\.env \(\d+ bytes\)/,
      ),
    });
  });
});

describe('parseBundle', () => {
  const bundle = {
    project_directory: '/nowhere/on/this/disk',
    compose: ['compose.yaml'],
    files: [
      {
        path: 'compose.yaml',
        kind: 'compose' as const,
        text: 'services:\n  s:\n    image: ${IMG}\n    env_file: app.env\n',
      },
      { path: 'app.env', kind: 'env_file' as const, text: 'A=1\n' },
    ],
    env: { IMG: 'busybox' },
  };

  it('reads files only from the bundle and variables only from its env', () => {
    const stack = parseBundle(bundle);
    expect(stack.name).toBe('disk');
    expect(stack.services.s?.image).toBe('busybox');
    expect(stack.services.s?.environment).toEqual({ A: '1' });
  });

  it('names a referenced file the bundle lacks with ALICIA_ERR_COMPOSE_NOT_FOUND', () => {
    expect(() => parseBundle({ ...bundle, files: bundle.files.slice(0, 1) })).toThrow(
      expect.objectContaining({
        code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
        message: expect.stringContaining('/nowhere/on/this/disk/app.env not found'),
      }),
    );
    expect(() => parseBundle({ ...bundle, compose: ['other.yaml'] })).toThrow(
      expect.objectContaining({
        code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
        message: 'Compose file not found: other.yaml: not in the deploy bundle',
      }),
    );
  });
});
