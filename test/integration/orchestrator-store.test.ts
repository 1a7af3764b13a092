// The orchestrator's state store on a real file system (a temp dir): round trip, atomic
// replacement (no temp file left, the last write wins), and a damaged file refused with an
// error naming it rather than silently starting from nothing.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, type OrchestratorState, STATE_FILE } from '../../src/orchestrator/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'alicia-store-'));
  dirs.push(d);
  return d;
}

const state = (session: number): OrchestratorState => ({
  v: 1,
  session,
  stacks: {},
  removed: { old: 5 },
  intents: {},
  seq_reserved: 0,
});

describe('orchestrator state store', () => {
  it('starts empty, then reads back exactly what it wrote', async () => {
    const store = createStore(path.join(await tempDir(), 'nested'));
    expect(await store.load()).toEqual({
      v: 1,
      session: 0,
      stacks: {},
      removed: {},
      intents: {},
      seq_reserved: 0,
    });
    await store.save(state(3));
    expect(await store.load()).toEqual(state(3));
  });

  it('serializes writes: the last save wins and no temp file is left behind', async () => {
    const dir = await tempDir();
    const store = createStore(dir);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save(state(i))));
    expect(await store.load()).toEqual(state(19));
    expect(await readdir(dir)).toEqual([STATE_FILE]);
  });

  it('refuses a damaged state file, naming it', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, STATE_FILE), '{"v":1,"session":"two"');
    await expect(createStore(dir).load()).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining(`${path.join(dir, STATE_FILE)}: the state file is not valid JSON`),
    });
    await writeFile(path.join(dir, STATE_FILE), '{"v":1,"session":"two","stacks":{},"removed":{}}');
    await expect(createStore(dir).load()).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining('session'),
    });
  });
});
