import { describe, expect, it } from 'vitest';
import { specHash, stableStringify } from '../../../src/protocol/index.js';
import { sampleContainerSpec as sampleSpec } from '../../helpers/samples.js';

describe('specHash', () => {
  it('ignores key order and undefined fields', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const spec = sampleSpec();
    const reordered = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
    expect(specHash(reordered)).toBe(specHash(spec));
    expect(specHash(spec)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when the spec changes', () => {
    expect(specHash(sampleSpec({ image: 'other:1' }))).not.toBe(specHash(sampleSpec()));
    expect(specHash(sampleSpec({ env: { MODE: 'prod', FROM_HOST: null } }))).not.toBe(specHash(sampleSpec()));
  });
});
