// Hostile payloads for the fuzz tests, made with fast-check from a fixed seed so a failure
// can be replayed: malformed JSON, invalid UTF-8, prototype-pollution keys, deep nesting,
// huge strings, wrong types and valid-looking JSON with fields missing, built around the
// valid sample of each topic (test/helpers/samples.ts).
import fc from 'fast-check';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '../../src/protocol/version.js';
import { SAMPLES } from '../helpers/samples.js';

export type FuzzKind =
  | 'bad-json'
  | 'invalid-utf8'
  | 'proto-pollution'
  | 'deep-nesting'
  | 'huge-string'
  | 'wrong-type'
  | 'missing-field'
  | 'random-json'
  | 'scalar';

export interface FuzzPayload {
  kind: FuzzKind;
  payload: Buffer;
}

function sampleFor(topic: string): Record<string, unknown> {
  const exact = SAMPLES[topic];
  if (exact && typeof exact === 'object') return exact as Record<string, unknown>;
  // Topics without a sample of their own (another agent id…) borrow the one of their kind.
  const generic = topic.replace(/^alicia\/agents\/[^/]+\//, 'alicia/agents/pi-1/');
  const fallback = SAMPLES[generic] ?? SAMPLES['alicia/agents/pi-1/cmd/start'];
  return (fallback ?? {}) as Record<string, unknown>;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function payloadArb(topic: string): fc.Arbitrary<FuzzPayload> {
  const sample = sampleFor(topic);
  const keys = Object.keys(sample);
  const key = keys.length > 0 ? fc.constantFrom(...keys) : fc.constant('v');
  const sampleText = JSON.stringify(sample);
  const of =
    (kind: FuzzKind) =>
    (payload: Buffer): FuzzPayload => ({ kind, payload });

  const badJson = fc
    .oneof(
      fc.string({ maxLength: 40 }).map((s) => `{${s}`),
      fc
        .string({ maxLength: 40 })
        .map((s) => `${sampleText.slice(0, Math.max(1, sampleText.length - 1 - s.length))}`),
      fc.constantFrom('{"v":1,}', "{'v':1}", '{"v":NaN}', '[1,2', 'undefined', '{"a":1e400x}', '\u0000{}'),
    )
    .map((s) => Buffer.from(s))
    .map(of('bad-json'));
  const invalidUtf8 = fc
    .tuple(
      fc.uint8Array({ maxLength: 32 }),
      fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]),
    )
    .map(([bytes, bad]) =>
      Buffer.concat([Buffer.from('{"v":1,"x":"'), Buffer.from(bytes), Buffer.from(bad), Buffer.from('"}')]),
    )
    .map(of('invalid-utf8'));
  const protoPollution = fc
    .constantFrom(
      '"__proto__":{"polluted":true,"v":2}',
      '"constructor":{"prototype":{"polluted":true}}',
      '"__proto__":{"__proto__":{"polluted":true}}',
      '"prototype":{"polluted":true}',
      '"__proto__":null',
    )
    .map((inject) => Buffer.from(`{${inject},${sampleText.slice(1)}`))
    .map(of('proto-pollution'));
  const deepNesting = fc
    .tuple(fc.integer({ min: 500, max: 50_000 }), fc.constantFrom('[', '{"a":'))
    .map(([depth, open]) => {
      const close = open === '[' ? ']' : '}';
      return Buffer.from(`${open.repeat(depth)}1${close.repeat(depth)}`);
    })
    .map(of('deep-nesting'));
  const hugeString = fc
    .tuple(key, fc.integer({ min: 10_000, max: 120_000 }))
    .map(([k, n]) => json({ ...sample, [k]: 'x'.repeat(n) }))
    .map(of('huge-string'));
  const wrongType = fc
    .tuple(key, fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 1e308, '', null, [], {}, true)))
    .map(([k, value]) => json({ ...sample, [k]: value }))
    .map(of('wrong-type'));
  const missingField = key
    .map((k) => {
      const copy: Record<string, unknown> = { ...sample };
      delete copy[k];
      return json(copy);
    })
    .map(of('missing-field'));
  const randomJson = fc.jsonValue({ maxDepth: 3 }).map(json).map(of('random-json'));
  const scalar = fc
    .constantFrom('null', 'true', '0', '""', '[]', '{}', '"{}"', '-0')
    .map((s) => Buffer.from(s))
    .map(of('scalar'));
  return fc.oneof(
    badJson,
    invalidUtf8,
    protoPollution,
    deepNesting,
    hugeString,
    wrongType,
    missingField,
    randomJson,
    scalar,
  );
}

/** `count` hostile payloads for `topic`, deterministic for a given seed. */
export function hostilePayloads(topic: string, count: number, seed: number): FuzzPayload[] {
  return fc.sample(payloadArb(topic), { numRuns: count, seed });
}

/** Payloads over the protocol's limit but under the broker's packet limit (bytes). */
export function oversizedPayloads(count: number): FuzzPayload[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'huge-string' as const,
    payload: Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1 + i * 1024, 0x7b),
  }));
}
