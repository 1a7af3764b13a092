import { describe, expect, it } from 'vitest';
import { movedNames } from '../../../src/orchestrator/host-links.js';

describe('movedNames: which cross-host names a running container has that are now wrong', () => {
  it('a name added by a later layer is not a move; a changed or vanished address is', () => {
    expect(movedNames('db:10.0.0.1', 'db:10.0.0.1,web:10.0.0.2')).toEqual([]);
    expect(movedNames('', 'web:10.0.0.2')).toEqual([]);
    expect(movedNames('db:10.0.0.1,api:10.0.0.3', 'db:10.0.0.4,api:10.0.0.3')).toEqual(['db']);
    // Moved onto this container's own host: no entry any more, the old one points away.
    expect(movedNames('db:10.0.0.1', '')).toEqual(['db']);
  });
});
