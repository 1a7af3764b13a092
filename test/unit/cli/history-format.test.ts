// `alicia history` output (src/cli/commands/history.ts): one line per entry, newest first as
// given, with the result and the recovery time when there is one.
import { describe, expect, it } from 'vitest';
import { formatHistory } from '../../../src/cli/commands/history.js';

describe('alicia history', () => {
  it('prints one line per entry with action, subject, result, recovery time and reason', () => {
    const text = formatHistory([
      {
        time: '2026-11-24T18:24:16.905Z',
        action: 'service_failed',
        service: 'db',
        instance: 'shop_db_1_3a441d',
        reason: 'gave up after 2 healing attempts',
        success: false,
        recovery_ms: null,
      },
      {
        time: '2026-11-24T18:20:00.000Z',
        action: 'service_recovered',
        service: 'db',
        instance: 'shop_db_1_3a441d',
        reason: null,
        success: true,
        recovery_ms: 1500,
      },
    ]);
    expect(text.split('\n')).toEqual([
      '2026-11-24T18:24:16.905Z  service_failed       db shop_db_1_3a441d  FAILED: gave up after 2 healing attempts',
      '2026-11-24T18:20:00.000Z  service_recovered    db shop_db_1_3a441d  ok (recovered in 1500 ms)',
      '',
    ]);
    expect(formatHistory([])).toBe('no healing actions\n');
  });
});
