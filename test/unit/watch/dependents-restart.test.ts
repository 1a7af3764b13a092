// Compose `depends_on.restart: true` (src/core/healing/dependents.ts): who restarts after a
// dependency came back, and in what order.
import { describe, expect, it } from 'vitest';
import { dependentsToRestart } from '../../../src/core/healing/index.js';

const svc = (deps: Record<string, boolean> = {}) => ({
  depends_on: Object.fromEntries(Object.entries(deps).map(([d, restart]) => [d, { restart }])),
});

describe('dependents to restart', () => {
  it('takes only the direct restart: true dependents (theirs follow when they are healthy)', () => {
    const services = {
      db: svc(),
      api: svc({ db: true }),
      worker: svc({ db: false }),
      web: svc({ api: true }),
      admin: svc({ api: false, db: true }),
    };
    expect(dependentsToRestart(services, 'db')).toEqual(['admin', 'api']);
    expect(dependentsToRestart(services, 'api')).toEqual(['web']);
    expect(dependentsToRestart(services, 'web')).toEqual([]);
  });
});
