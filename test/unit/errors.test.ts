import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AliciaError, aliciaError, ERRORS, toAliciaError } from '../../src/core/errors.js';

describe('error table', () => {
  it('documents every code in docs/errors.md, with the same meaning, and nothing else', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `(ALICIA_ERR_[A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(rows)).toEqual(ERRORS);
  });

  it('makes errors that carry their code, the table message and the detail', () => {
    const err = aliciaError('ALICIA_ERR_DEPENDENCY_CYCLE', 'a → b → a', {
      details: { cycle: ['a', 'b', 'a'] },
    });
    expect(err).toBeInstanceOf(AliciaError);
    expect(err.code).toBe('ALICIA_ERR_DEPENDENCY_CYCLE');
    expect(err.message).toBe('Services depend on each other in a cycle: a → b → a');
    expect(err.details).toEqual({ cycle: ['a', 'b', 'a'] });
    expect(err.toWire()).toEqual({ code: 'ALICIA_ERR_DEPENDENCY_CYCLE', message: err.message });
  });

  it('wraps foreign throwables with a fallback code and keeps the cause', () => {
    const cause = new Error('connect ENOENT /var/run/docker.sock');
    const err = toAliciaError(cause, 'ALICIA_ERR_DOCKER_UNREACHABLE');
    expect(err.code).toBe('ALICIA_ERR_DOCKER_UNREACHABLE');
    expect(err.message).toContain('ENOENT');
    expect(err.cause).toBe(cause);
    expect(toAliciaError(err, 'ALICIA_ERR_RUNTIME')).toBe(err);
  });
});
