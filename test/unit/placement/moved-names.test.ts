import { describe, expect, it } from 'vitest';
import { linksVerdict, movedNames } from '../../../src/core/placement/index.js';

describe('movedNames: which cross-host names a running container has that are now wrong', () => {
  it('a name added by a later layer is not a move; a changed or vanished address is', () => {
    expect(movedNames('db:10.0.0.1', 'db:10.0.0.1,web:10.0.0.2')).toEqual([]);
    expect(movedNames('', 'web:10.0.0.2')).toEqual([]);
    expect(movedNames('db:10.0.0.1,api:10.0.0.3', 'db:10.0.0.4,api:10.0.0.3')).toEqual(['db']);
    // Moved onto this container's own host: no entry any more, the old one points away.
    expect(movedNames('db:10.0.0.1', '')).toEqual(['db']);
  });
});

describe('linksVerdict: what a running instance needs when its cross-host entries change', () => {
  const base = { before: 'db:10.0.0.1,api:10.0.0.3', sticky: false, dependsOn: ['db'] };
  it('keeps it when only names were added, recreates a stateless one when a name it has moved', () => {
    expect(linksVerdict({ ...base, now: 'db:10.0.0.1,api:10.0.0.3,web:10.0.0.2' })).toBe('keep');
    expect(linksVerdict({ ...base, now: 'db:10.0.0.1,api:10.0.0.4' })).toBe('recreate');
  });
  it('a stateful one is recreated only when one of its own dependencies moved', () => {
    expect(linksVerdict({ ...base, sticky: true, now: 'db:10.0.0.1,api:10.0.0.4' })).toBe('accept');
    expect(linksVerdict({ ...base, sticky: true, now: 'db:10.0.0.9,api:10.0.0.3' })).toBe('recreate');
  });
});
