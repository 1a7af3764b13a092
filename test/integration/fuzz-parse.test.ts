// Unit-level fuzz of the protocol's edge parser: 12,000+ hostile payloads on every topic of
// the protocol (and unknown ones) never throw, are refused with a payload error code, and
// never pollute Object.prototype.
import { describe, expect, it } from 'vitest';
import { parseIncoming } from '../../src/protocol/messages.js';
import { SAMPLES } from '../helpers/samples.js';
import { type FuzzKind, hostilePayloads, oversizedPayloads } from './fuzz-payloads.js';

const TOPICS = [
  ...Object.keys(SAMPLES),
  'alicia/agents/pi-1/cmd/bogus',
  'alicia/orchestrator/request/bogus',
  'alicia/agents/pi-2/response/apply',
];
const PER_TOPIC = 400;
const CODES = new Set([
  'ALICIA_ERR_PAYLOAD_JSON',
  'ALICIA_ERR_PAYLOAD_SCHEMA',
  'ALICIA_ERR_PAYLOAD_TOO_LARGE',
  'ALICIA_ERR_TOPIC_UNKNOWN',
]);

describe('fuzz: parseIncoming', () => {
  it(`refuses hostile payloads on ${TOPICS.length} topics without throwing or polluting prototypes`, () => {
    const byKind = new Map<FuzzKind, { total: number; refused: number }>();
    let total = 0;
    let refused = 0;
    for (const [i, topic] of TOPICS.entries()) {
      for (const { kind, payload } of [
        ...hostilePayloads(topic, PER_TOPIC, 1000 + i),
        ...oversizedPayloads(1),
      ]) {
        const result = parseIncoming(topic, payload);
        total += 1;
        const k = byKind.get(kind) ?? { total: 0, refused: 0 };
        k.total += 1;
        if (!result.ok) {
          refused += 1;
          k.refused += 1;
          expect(CODES.has(result.error.code)).toBe(true);
          expect(result.error.message.length).toBeGreaterThan(0);
        } else {
          // What passes is a plain object of the schema: no inherited pollution.
          expect(typeof result.payload).toBe('object');
          expect((result.payload as { polluted?: unknown }).polluted).toBeUndefined();
        }
        byKind.set(kind, k);
      }
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(total).toBeGreaterThanOrEqual(12_000);
    // Nearly everything is refused; the few that pass are mutations that stayed valid
    // (an optional field removed, a value swapped for another valid one).
    expect(refused / total).toBeGreaterThan(0.9);
    for (const kind of ['bad-json', 'invalid-utf8', 'deep-nesting', 'scalar'] as const) {
      const k = byKind.get(kind);
      expect(k?.total).toBeGreaterThan(0);
      expect(k?.refused).toBe(k?.total);
    }
  });
});
