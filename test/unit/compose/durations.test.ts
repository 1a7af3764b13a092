import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/compose/durations.js';
import { parseBytes, parseCpus } from '../../../src/compose/units.js';

describe('parseDuration', () => {
  it.each([
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h2m3.5s', 3_723_500],
    ['30s', 30_000],
    ['0', 0],
    ['0s', 0],
    ['1.5h', 5_400_000],
    ['0.1s', 100],
    ['2000us', 2],
    ['3000000ns', 3],
    ['1h', 3_600_000],
    [' 10s ', 10_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each([
    ['10', 'has no unit'],
    ['abc', 'is not a duration'],
    ['10 s', 'is not a duration'],
    ['-5s', 'is negative'],
    ['1500us', 'whole number of milliseconds'],
    ['5d', 'is not a duration'],
    ['', 'expected a duration'],
  ])('refuses %j (%s)', (text, reason) => {
    const parsed = parseDuration(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(reason);
  });

  it('refuses a bare number, which Compose would read as nanoseconds', () => {
    const parsed = parseDuration(30);
    expect(parsed).toEqual({ ok: false, message: expect.stringContaining('has no unit') });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1_000, '1s'],
    [1_500, '1.5s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [3_723_500, '1h2m3.5s'],
    [3_723_050, '1h2m3.05s'],
  ])('prints %d ms as %s, like Go', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips every whole number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, value: ms });
      }),
    );
  });
});

describe('parseBytes and parseCpus', () => {
  it.each([
    ['512M', 512 * 1024 ** 2],
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1GB', 1024 ** 3],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['64k', 65_536],
    ['2048', 2048],
    [2048, 2048],
  ])('reads %j as %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toEqual({ ok: true, value: bytes });
  });

  it.each(['lots', '12X', '-1g', '0', 0, 1.5, true])('refuses %j as a size', (input) => {
    expect(parseBytes(input).ok).toBe(false);
  });

  it('reads CPUs from numbers and strings, refusing zero and words', () => {
    expect(parseCpus('0.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseCpus(2)).toEqual({ ok: true, value: 2 });
    expect(parseCpus('0').ok).toBe(false);
    expect(parseCpus('half').ok).toBe(false);
  });
});
