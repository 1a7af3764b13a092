// MQTT filter algebra used by the ACLs, against a brute-force matcher.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  filterCovers,
  filtersIntersect,
  isValidFilter,
  isValidTopic,
  topicMatches,
} from '../../../src/core/acl/index.js';

function bruteMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if ((f[0] === '+' || f[0] === '#') && (t[0] ?? '').startsWith('$')) return false;
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

const LEVELS = ['a', 'b', '$s', ''] as const;
const level = fc.constantFrom(...LEVELS);
const topicArb = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/'));
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));

/** Every topic over LEVELS with at most 5 levels: the universe the properties quantify over. */
const UNIVERSE: string[] = (() => {
  const out: string[] = [];
  let frontier: string[][] = LEVELS.map((l) => [l]);
  for (let depth = 1; depth <= 5; depth += 1) {
    for (const t of frontier) out.push(t.join('/'));
    frontier = frontier.flatMap((t) => LEVELS.map((l) => [...t, l]));
  }
  return out;
})();

describe('topic filters', () => {
  it('matches like the MQTT spec examples [MQTT-4.7.1]', () => {
    expect(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1')).toBe(true);
    expect(topicMatches('sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon')).toBe(true);
    expect(topicMatches('sport/+', 'sport')).toBe(false);
    expect(topicMatches('sport/+', 'sport/')).toBe(true);
    expect(topicMatches('+/+', '/finance')).toBe(true);
    expect(topicMatches('#', '$SYS/x')).toBe(false);
    expect(topicMatches('+/monitor/Clients', '$SYS/monitor/Clients')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/x')).toBe(true);
  });

  it('validates topics and filters', () => {
    expect(isValidTopic('a/b')).toBe(true);
    expect(isValidTopic('a/+')).toBe(false);
    expect(isValidTopic('')).toBe(false);
    expect(isValidTopic('a\u0000b')).toBe(false);
    expect(isValidFilter('a/+/#')).toBe(true);
    expect(isValidFilter('a/#/b')).toBe(false);
    expect(isValidFilter('a/b#')).toBe(false);
    expect(isValidFilter('a/+b')).toBe(false);
  });

  it('topicMatches agrees with a brute-force matcher', () => {
    fc.assert(
      fc.property(filterArb, topicArb, (f, t) => {
        expect(topicMatches(f, t)).toBe(bruteMatches(f, t));
      }),
      { numRuns: 5000 },
    );
  });

  it('filtersIntersect is true exactly when some topic matches both filters', () => {
    fc.assert(
      fc.property(filterArb, filterArb, (a, b) => {
        const witness = UNIVERSE.some((t) => bruteMatches(a, t) && bruteMatches(b, t));
        expect(filtersIntersect(a, b)).toBe(witness);
        expect(filtersIntersect(b, a)).toBe(filtersIntersect(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('filterCovers is true exactly when every topic matched by inner is matched by outer', () => {
    fc.assert(
      fc.property(filterArb, filterArb, (outer, inner) => {
        const counterexample = UNIVERSE.some((t) => bruteMatches(inner, t) && !bruteMatches(outer, t));
        const innerEmpty = !UNIVERSE.some((t) => bruteMatches(inner, t));
        if (!innerEmpty) expect(filterCovers(outer, inner)).toBe(!counterexample);
      }),
      { numRuns: 2000 },
    );
  });
});
