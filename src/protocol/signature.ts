// Optional command signatures: when the orchestrator and an agent share a secret, every
// command carries `sig` = hex HMAC-SHA256 over the stable JSON of the command without
// `sig` (keys sorted, so key order on the wire does not matter). The agent refuses a
// command whose signature is missing or wrong with ALICIA_ERR_SIGNATURE.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { stableStringify } from './spec-hash.js';

function withoutSig<C extends { sig?: string | undefined }>(command: C): Omit<C, 'sig'> {
  const { sig: _sig, ...rest } = command;
  return rest;
}

function hmacHex(command: object, secret: string): string {
  return createHmac('sha256', secret).update(stableStringify(command)).digest('hex');
}

/** The command with `sig` set (any previous `sig` is replaced). */
export function signCommand<C extends { sig?: string | undefined }>(
  command: C,
  secret: string,
): C & { sig: string } {
  const unsigned = withoutSig(command);
  return { ...command, sig: hmacHex(unsigned, secret) };
}

/** True when `sig` is present and is the HMAC of the rest of the command under `secret`. */
export function verifyCommand(command: { sig?: string | undefined }, secret: string): boolean {
  if (typeof command.sig !== 'string' || !/^[0-9a-f]{64}$/.test(command.sig)) return false;
  const expected = Buffer.from(hmacHex(withoutSig(command), secret), 'hex');
  const given = Buffer.from(command.sig, 'hex');
  // Constant-time comparison: the time taken says nothing about how much of sig was right.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
