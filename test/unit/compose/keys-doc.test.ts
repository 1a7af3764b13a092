// docs/compose.md has one table: every service key of the Compose specification (as listed in
// src/compose/keys.ts) → honoured / partly / no. This keeps the table and the code together.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HONOURED_SERVICE_KEYS, IGNORED_SERVICE_KEYS } from '../../../src/compose/keys.js';

const doc = readFileSync(new URL('../../../docs/compose.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Every key of the Compose specification'));
const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| key |')));

/** Each table row: the keys named in its first cell (before any parenthesis) and its verdict. */
const rows = table
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| key') && !line.startsWith('|---'))
  .map((line) => {
    const [, first = '', verdict = ''] = line.split('|').map((cell) => cell.trim());
    const keys = first
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    return { keys, verdict };
  });
const verdictOf = new Map(rows.flatMap((row) => row.keys.map((key) => [key, row.verdict] as const)));

const ALL = [...HONOURED_SERVICE_KEYS.filter((k) => k !== 'x-alicia'), ...Object.keys(IGNORED_SERVICE_KEYS)];
/** Read by the loader but not (fully) honoured: each says so with a warning. */
const NOT_FULLY: Record<string, string> = { build: 'partly', container_name: 'no' };

describe('docs/compose.md key table', () => {
  it('names every service key of the specification once', () => {
    expect(ALL.length).toBe(92);
    expect(ALL.filter((key) => !verdictOf.has(key))).toEqual([]);
    const named = rows.flatMap((row) => row.keys);
    expect(named.filter((key, i) => named.indexOf(key) !== i)).toEqual([]);
    expect(named.filter((key) => !ALL.includes(key))).toEqual([]);
  });

  it('gives each key the verdict the code has, and the honoured count in the text', () => {
    for (const key of ALL) {
      const expected = NOT_FULLY[key] ?? (Object.hasOwn(IGNORED_SERVICE_KEYS, key) ? 'no' : 'honoured');
      expect(`${key}: ${verdictOf.get(key)}`).toBe(`${key}: ${expected}`);
    }
    const honoured = ALL.filter((key) => verdictOf.get(key) === 'honoured').length;
    expect(section).toContain(`**Honoured: ${honoured}**`);
    expect(honoured).toBe(80);
  });
});
