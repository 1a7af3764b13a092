// The agent's refusal of spec fields it does not speak, read from the raw command before the
// schema (which would only say "invalid"): named, for start and apply, never for other actions.
import { describe, expect, it } from 'vitest';
import { rawBody, unsupportedIn } from '../../../agents/action-handler.js';
import { FEATURES } from '../../../src/protocol/index.js';
import { instanceSpec } from '../../contract/specs.js';

const payload = (body: unknown) => rawBody(Buffer.from(JSON.stringify(body)));

describe('unsupportedIn', () => {
  const web = instanceSpec('demo', 'web', 1);
  const checked = instanceSpec('demo', 'api', 1, {
    healthcheck: { test: ['CMD', 'true'], disable: false },
  });

  it('names unknown fields and the instances that carry them', () => {
    // Fields of a protocol newer than this one (devices and dns are known since issue 11).
    const raw = { ...web, spec: { ...web.spec, cdi_devices: ['vendor/gpu=0'], zdns: ['1.1.1.1'] } };
    const found = unsupportedIn('start', payload({ instances: [raw, checked] }), FEATURES);
    expect(found?.fields).toEqual(['cdi_devices', 'zdns']);
    expect(found?.message).toContain('"cdi_devices", "zdns"');
    expect(found?.message).toContain(`${web.instance} (cdi_devices, zdns)`);
    expect(found?.message).not.toContain(checked.instance);
  });

  it('names features outside the pinned set, for apply too', () => {
    const found = unsupportedIn('apply', payload({ instances: [web, checked] }), ['resources']);
    expect(found?.fields).toEqual(['healthcheck']);
    expect(found?.message).toContain('speaks features: resources');
    expect(unsupportedIn('apply', payload({ instances: [web] }), [])).toBeNull();
  });

  it('leaves everything else to the schema', () => {
    const raw = { ...web, spec: { ...web.spec, devices: [] } };
    expect(unsupportedIn('stop', payload({ instances: [raw] }), FEATURES)).toBeNull();
    expect(unsupportedIn('start', rawBody(Buffer.from('{not json')), FEATURES)).toBeNull();
    expect(unsupportedIn('start', payload({ instances: 'x' }), FEATURES)).toBeNull();
    expect(unsupportedIn('start', payload(null), FEATURES)).toBeNull();
    expect(unsupportedIn('start', payload({ instances: [web, checked] }), FEATURES)).toBeNull();
  });
});
