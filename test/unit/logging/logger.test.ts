// Logs: pretty lines on a terminal, one JSON object per line otherwise; levels checked with
// an error that names where the bad value came from.
import { execFile } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, parseLogLevel, prettyLogs } from '../../../src/logging/logger.js';

const run = promisify(execFile);
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function logTo(options: { isTty: boolean; format?: string }): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-log-'));
  const file = path.join(dir, 'log');
  const fd = openSync(file, 'w');
  try {
    const log = createLogger({ level: 'info', destination: fd, ...options });
    log.child({ component: 'agent', agent: 'pi-1' }).info({ containers: 3 }, 'agent started');
    log.debug('not shown at info');
  } finally {
    closeSync(fd);
  }
  return readFileSync(file, 'utf8');
}

describe('logger', () => {
  it('writes JSON lines when not on a terminal', async () => {
    const lines = (await logTo({ isTty: false, format: 'auto' })).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      component: 'agent',
      agent: 'pi-1',
      containers: 3,
      msg: 'agent started',
    });
  });

  it('writes pretty lines on a terminal', async () => {
    const text = await logTo({ isTty: true, format: 'auto' });
    expect(text).toContain('agent started');
    expect(text).toMatch(/INFO/);
    expect(text).not.toMatch(/^\{/);
    expect(text).not.toContain('not shown');
  });

  it('lets ALICIA_LOG_FORMAT (the format option) force either way', async () => {
    expect(prettyLogs('json', true)).toBe(false);
    expect(prettyLogs('pretty', false)).toBe(true);
    expect(prettyLogs('auto', false)).toBe(false);
    expect(await logTo({ isTty: true, format: 'json' })).toMatch(/^\{"level":30/);
  });

  it('names the flag or variable of a bad level', () => {
    expect(parseLogLevel('debug')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow(/--log-level: "loud" is not one of fatal, error/);
    expect(() => parseLogLevel('loud', 'ALICIA_LOG_LEVEL')).toThrow(/: ALICIA_LOG_LEVEL: "loud"/);
    expect(() => createLogger({ format: 'fancy', isTty: false })).toThrow(/ALICIA_LOG_FORMAT: "fancy"/);
  });

  it('every long-running command takes --log-level and refuses a bad one by name', async () => {
    const cli = fileURLToPath(new URL('../../../dist/src/cli/main.js', import.meta.url));
    for (const command of ['agent', 'orchestrator', 'broker', 'up']) {
      const { stdout } = await run(process.execPath, [cli, command, '--help']);
      expect(stdout, command).toContain('--log-level <level>');
    }
    // Refused before anything connects or listens (the broker would bind port 0 otherwise).
    const attempts = {
      orchestrator: ['--broker', 'mqtt://127.0.0.1:1'],
      broker: ['--port', '0'],
      agent: ['--broker', 'mqtt://127.0.0.1:1', '--id', 'x', '--state-dir', os.tmpdir()],
    };
    for (const [command, args] of Object.entries(attempts)) {
      const failed = await run(process.execPath, [cli, command, '--log-level', 'loud', ...args]).then(
        () => null,
        (err: { code: number; stderr: string }) => err,
      );
      expect(failed?.code, command).toBe(1);
      expect(failed?.stderr, command).toMatch(/--log-level: "loud" is not one of/);
    }
  });
});
