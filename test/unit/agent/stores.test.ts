// The agent's files: state (desired instances, counters), session counter, transaction log.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateStore } from '../../../agents/state-store.js';
import { openTransactionLog } from '../../../agents/transactions.js';
import { silentLogger } from '../../../src/logging/logger.js';
import type { ActionResponse } from '../../../src/protocol/agent-actions.js';
import { instanceSpec } from '../../contract/specs.js';

let dir: string;
const log = silentLogger();
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-agent-stores-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const answer = (transaction: string): ActionResponse => ({
  v: 1,
  transaction,
  status: 'ok',
  ts: 1,
  data: { results: [] },
});

describe('state store', () => {
  it('keeps desired instances, restarts, failures and the session across a reopen, with no temp files left', async () => {
    const store = await openStateStore(dir, log);
    expect(store.session).toBe(0);
    expect(store.nextSession()).toBe(1);
    expect(store.nextSession()).toBe(2);
    const spec = instanceSpec('demo', 'web', 1);
    store.desired.set(spec.instance, { spec, run: false });
    store.restarts.set(spec.instance, 3);
    store.failed.set(spec.instance, 5);
    await Promise.all([store.save(), store.save(), store.save()]);
    await store.flush();

    const again = await openStateStore(dir, log);
    expect(again.session).toBe(2);
    expect(again.desired.get(spec.instance)).toEqual({ spec, run: false });
    expect(again.restarts.get(spec.instance)).toBe(3);
    expect(again.failed.get(spec.instance)).toBe(5);
    expect((await readdir(dir)).sort()).toEqual(['agent-state.json', 'session.json']);
  });

  it('moves an unreadable state file aside instead of failing to start', async () => {
    await writeFile(join(dir, 'agent-state.json'), '{"v":1,"desired":');
    const store = await openStateStore(dir, log);
    expect(store.desired.size).toBe(0);
    const files = await readdir(dir);
    expect(files.some((f) => f.startsWith('agent-state.json.corrupt-'))).toBe(true);
  });

  it('refuses a state file that does not match its schema (moved aside, not half-loaded)', async () => {
    await writeFile(
      join(dir, 'agent-state.json'),
      JSON.stringify({ v: 1, desired: { x: { spec: {}, run: true } }, restarts: {}, failed: {} }),
    );
    const store = await openStateStore(dir, log);
    expect(store.desired.size).toBe(0);
  });
});

describe('transaction log', () => {
  it('answers a known transaction, survives a reopen and forgets the least recently used past its limit', async () => {
    const txs = await openTransactionLog(dir, log, 3);
    txs.record('a', answer('a'));
    txs.record('b', answer('b'));
    txs.record('c', answer('c'));
    expect(txs.get('a')).toEqual(answer('a')); // a is now the most recent
    txs.record('d', answer('d'));
    expect(txs.get('b')).toBeUndefined();
    await txs.flush();
    const again = await openTransactionLog(dir, log, 3);
    expect(again.get('a')).toEqual(answer('a'));
    expect(again.get('c')).toEqual(answer('c'));
    expect(again.get('d')).toEqual(answer('d'));
    expect(JSON.parse(await readFile(join(dir, 'transactions.json'), 'utf8')).entries).toHaveLength(3);
  });

  it('hands out the pending answer of a transaction still running, then stores it', async () => {
    const txs = await openTransactionLog(null, log);
    let finish: (value: ActionResponse) => void = () => undefined;
    const pending = new Promise<ActionResponse>((resolve) => {
      finish = resolve;
    });
    txs.begin('x', pending);
    const seen = txs.get('x');
    expect(seen).toBeInstanceOf(Promise);
    finish(answer('x'));
    expect(await seen).toEqual(answer('x'));
    await pending;
    expect(txs.get('x')).toEqual(answer('x'));
  });
});
