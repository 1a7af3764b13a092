// The wire ContainerSpec and its feature rule: a feature is an optional top-level field
// beyond the base set; a spec needs the features it sets; an agent refuses, by name, the
// fields it does not speak.
import { describe, expect, it } from 'vitest';
import {
  ContainerSpecSchema,
  FEATURES,
  missingFeatures,
  requiredFeatures,
  SPEC_FIELDS,
  unsupportedFields,
} from '../../../src/protocol/index.js';
import { sampleContainerSpec } from '../../helpers/samples.js';

const base = () => {
  const { healthcheck: _h, resources: _r, probe: _p, ...rest } = sampleContainerSpec();
  return rest;
};

describe('ContainerSpec', () => {
  it('is strict: an unknown field is a schema error', () => {
    expect(ContainerSpecSchema.safeParse(sampleContainerSpec()).success).toBe(true);
    expect(ContainerSpecSchema.safeParse({ ...sampleContainerSpec(), devices: ['/dev/null'] }).success).toBe(
      false,
    );
  });

  it('knows its features, each an optional top-level field', () => {
    expect(FEATURES).toEqual(
      expect.arrayContaining([
        'devices',
        'extra_hosts',
        'files',
        'healthcheck',
        'networks',
        'probe',
        'resources',
      ]),
    );
    expect(FEATURES).toEqual([...FEATURES].sort());
    for (const feature of FEATURES) expect(SPEC_FIELDS).toContain(feature);
    expect(ContainerSpecSchema.safeParse(base()).success).toBe(true);
  });

  it('needs exactly the features it sets', () => {
    expect(requiredFeatures(ContainerSpecSchema.parse(base()))).toEqual([]);
    expect(requiredFeatures(sampleContainerSpec())).toEqual(['healthcheck']);
    expect(
      requiredFeatures(
        sampleContainerSpec({ probe: { start: false }, resources: { memory_bytes: 1024 * 1024 } }),
      ),
    ).toEqual(['healthcheck', 'probe', 'resources']);
  });

  it('says which needed features an agent lacks (no list: the base set only)', () => {
    expect(missingFeatures(['healthcheck'], ['healthcheck', 'probe'])).toEqual([]);
    expect(missingFeatures(['healthcheck', 'probe'], ['probe'])).toEqual(['healthcheck']);
    expect(missingFeatures(['healthcheck'], undefined)).toEqual(['healthcheck']);
  });

  it('names unknown fields and features outside the spoken set, in a raw spec', () => {
    const raw = { ...sampleContainerSpec(), cdi_devices: ['vendor/gpu=0'], zsysctls: {} };
    expect(unsupportedFields(raw, FEATURES)).toEqual(['cdi_devices', 'zsysctls']);
    expect(unsupportedFields({ ...sampleContainerSpec(), devices: [] }, ['healthcheck'])).toEqual([
      'devices',
    ]);
    expect(unsupportedFields(sampleContainerSpec(), ['probe'])).toEqual(['healthcheck']);
    expect(unsupportedFields(sampleContainerSpec(), FEATURES)).toEqual([]);
    expect(unsupportedFields(base(), [])).toEqual([]);
    expect(unsupportedFields('junk', [])).toEqual([]);
    expect(unsupportedFields(null, [])).toEqual([]);
  });
});
