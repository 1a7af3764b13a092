// Command signatures (src/protocol/signature.ts).
import { describe, expect, it } from 'vitest';
import { signCommand, verifyCommand } from '../../../src/protocol/signature.js';
import { SAMPLES } from '../../helpers/samples.js';

const command = SAMPLES['alicia/agents/pi-1/cmd/start'] as Record<string, unknown>;

describe('command signatures', () => {
  it('verifies what it signed, whatever the key order on the wire', () => {
    const signed = signCommand(command, 'secret');
    expect(signed.sig).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyCommand(signed, 'secret')).toBe(true);
    const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(signed))).reverse());
    expect(verifyCommand(reordered, 'secret')).toBe(true);
    // Re-signing replaces the old signature instead of signing it.
    expect(signCommand(signed, 'secret').sig).toBe(signed.sig);
  });

  it('refuses a missing, malformed or wrong signature, a wrong secret, and any changed field', () => {
    const signed = signCommand(command, 'secret');
    expect(verifyCommand(command, 'secret')).toBe(false);
    expect(verifyCommand({ ...signed, sig: 'zz' }, 'secret')).toBe(false);
    expect(
      verifyCommand({ ...signed, sig: signed.sig.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }, 'secret'),
    ).toBe(false);
    expect(verifyCommand(signed, 'other')).toBe(false);
    const changed: Record<string, unknown> = { ...signed, expires_at: (signed.expires_at as number) + 1 };
    expect(verifyCommand(changed, 'secret')).toBe(false);
  });
});
