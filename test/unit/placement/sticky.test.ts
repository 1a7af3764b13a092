// Data stays with its host (pure): what ties a spec to its host, and x-alicia.movable.
import { describe, expect, it } from 'vitest';
import { dataOnHost, isSticky } from '../../../src/core/placement/index.js';

describe('sticky services', () => {
  it('named volumes, bind mounts and devices tie a service to its host', () => {
    expect(dataOnHost({ mounts: [{ type: 'volume', source: 'pg_data' }] })).toBe('volume "pg_data"');
    expect(dataOnHost({ mounts: [{ type: 'bind', source: '/srv/x' }] })).toBe('bind mount "/srv/x"');
    expect(dataOnHost({ mounts: [], devices: [{}] })).toBe('devices');
    expect(isSticky({ mounts: [{ type: 'volume', source: 'pg_data' }] }, undefined)).toBe(true);
  });

  it('anonymous volumes and tmpfs do not; movable: true lets a service with data move', () => {
    expect(dataOnHost({ mounts: [{ type: 'volume' }, { type: 'tmpfs' }] })).toBeNull();
    expect(isSticky({ mounts: [{ type: 'tmpfs' }] }, undefined)).toBe(false);
    expect(isSticky({ mounts: [{ type: 'volume', source: 'nfs' }] }, true)).toBe(false);
  });
});
