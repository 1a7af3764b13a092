// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose text whose ${VAR} the loader interpolates
// The file-system edge: reading files, .env and env_file, finding the default files.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findComposeFiles, loadStack } from '../../../src/compose/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'alicia-compose-'));
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

describe('loadStack', () => {
  it('reads the files, .env from the project directory and env files, the process env winning', async () => {
    const file = write(
      'app/compose.yaml',
      'services:\n  s:\n    image: ${IMG}:${TAG}\n    env_file: [vars.env]\n',
    );
    write('app/.env', 'IMG=from-dotenv\nTAG=from-dotenv\n');
    write('app/vars.env', 'A=${TAG}\n');
    const stack = await loadStack({ files: [file], env: { TAG: 'from-env' } });
    expect(stack.name).toBe('app');
    expect(stack.services.s?.image).toBe('from-dotenv:from-env');
    expect(stack.services.s?.environment).toEqual({ A: 'from-env' });
  });

  it('uses --project-directory for .env, relative paths and the name', async () => {
    const file = write(
      'files/compose.yaml',
      'services:\n  s:\n    image: ${IMG}\n    volumes: [./data:/data]\n',
    );
    write('elsewhere/.env', 'IMG=busybox\n');
    const stack = await loadStack({ files: [file], projectDirectory: join(dir, 'elsewhere'), env: {} });
    expect(stack.name).toBe('elsewhere');
    expect(stack.services.s?.volumes[0]?.source).toBe(join(dir, 'elsewhere/data'));
  });

  it('reports a missing file with its name', async () => {
    const missing = join(dir, 'nope.yaml');
    await expect(loadStack({ files: [missing], env: {} })).rejects.toMatchObject({
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
      details: { file: missing, path: '' },
      message: expect.stringContaining('no such file'),
    });
    await expect(loadStack({ files: [], env: {} })).rejects.toMatchObject({
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
    });
  });

  it('reports a missing env file with its full path', async () => {
    const file = write('compose.yaml', 'services:\n  s:\n    image: x\n    env_file: secrets.env\n');
    await expect(loadStack({ files: [file], env: {} })).rejects.toMatchObject({
      code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
      details: { file, path: 'services.s.env_file', line: 4, column: 5 },
      message: expect.stringContaining(join(dir, 'secrets.env')),
    });
  });
});

describe('findComposeFiles', () => {
  it('prefers compose.yaml and adds its override file', () => {
    write('compose.yaml', '');
    write('docker-compose.yml', '');
    expect(findComposeFiles(dir, {}, existsSync)).toEqual(['compose.yaml']);
    write('compose.override.yaml', '');
    expect(findComposeFiles(dir, {}, existsSync)).toEqual(['compose.yaml', 'compose.override.yaml']);
  });

  it('falls back to docker-compose.yml and its override', () => {
    write('docker-compose.yml', '');
    write('docker-compose.override.yml', '');
    expect(findComposeFiles(dir, {}, existsSync)).toEqual([
      'docker-compose.yml',
      'docker-compose.override.yml',
    ]);
  });

  it('looks in parent directories, as Compose does', () => {
    write('compose.yml', '');
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    expect(findComposeFiles(join(dir, 'a/b'), {}, existsSync)).toEqual([join(dir, 'compose.yml')]);
  });

  it('takes COMPOSE_FILE first', () => {
    expect(findComposeFiles(dir, { COMPOSE_FILE: 'a.yaml:b.yaml' }, existsSync)).toEqual([
      'a.yaml',
      'b.yaml',
    ]);
  });

  it('says what it looked for when nothing is there', () => {
    expect(() => findComposeFiles(dir, {}, () => false)).toThrow(
      expect.objectContaining({
        code: 'ALICIA_ERR_COMPOSE_NOT_FOUND',
        message: expect.stringContaining('pass the file with -f'),
      }),
    );
  });
});
