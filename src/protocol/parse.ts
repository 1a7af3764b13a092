// Turns an incoming buffer into a typed message or a typed error — never a throw.
import type { z } from 'zod';
import { prettifyError } from 'zod';
import type { ErrorCode } from '../core/errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './version.js';

export type ParseError = { code: Extract<ErrorCode, `ALICIA_ERR_PAYLOAD_${string}`>; message: string };
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ParseError };

export interface ParseOptions {
  /** Payloads larger than this are refused before decoding (bytes). */
  maxBytes?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 JSON, then validates it with `schema`. */
export function parsePayload<S extends z.ZodType>(
  schema: S,
  payload: Uint8Array | string,
  options: ParseOptions = {},
): ParseResult<z.infer<S>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > maxBytes) {
    return fail('ALICIA_ERR_PAYLOAD_TOO_LARGE', `payload is ${size} bytes, the limit is ${maxBytes}`);
  }
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return fail('ALICIA_ERR_PAYLOAD_JSON', 'payload is not valid UTF-8');
  }
  let json: unknown;
  try {
    // A RangeError from absurd nesting lands here too.
    json = JSON.parse(text);
  } catch (err) {
    return fail(
      'ALICIA_ERR_PAYLOAD_JSON',
      `payload is not valid JSON (${err instanceof Error ? err.message : 'parse error'})`,
    );
  }
  let result: ReturnType<S['safeParse']>;
  try {
    result = schema.safeParse(json) as ReturnType<S['safeParse']>;
  } catch (err) {
    // Deep nesting can exhaust the stack inside validation as well.
    return fail(
      'ALICIA_ERR_PAYLOAD_SCHEMA',
      `payload could not be validated (${err instanceof Error ? err.message : 'error'})`,
    );
  }
  if (!result.success) {
    return fail('ALICIA_ERR_PAYLOAD_SCHEMA', prettifyError(result.error).replaceAll('\n', '; '));
  }
  return { ok: true, value: result.data as z.infer<S> };
}

function fail(code: ParseError['code'], message: string): { ok: false; error: ParseError } {
  return { ok: false, error: { code, message } };
}

/** Reads one string field of a payload that may have failed validation (for error replies). */
function peekString(
  payload: Uint8Array | string,
  field: string,
  valid: (value: string) => boolean,
): string | null {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > DEFAULT_MAX_PAYLOAD_BYTES) return null;
  try {
    const json: unknown = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload));
    if (json !== null && typeof json === 'object' && Object.hasOwn(json, field)) {
      const value = (json as Record<string, unknown>)[field];
      if (typeof value === 'string' && valid(value)) return value;
    }
  } catch {
    // Nothing to peek at: the error reply goes without it.
  }
  return null;
}

/** The `transaction` of a command or request that failed validation, so its error reply can carry it. */
export function peekTransaction(payload: Uint8Array | string): string | null {
  return peekString(payload, 'transaction', (t) => t.length > 0 && t.length <= 64);
}

/** The `reply_to` of a request that failed validation: requests are answered even when invalid. */
export function peekReplyTo(payload: Uint8Array | string): string | null {
  return peekString(payload, 'reply_to', (r) => r.length > 0 && r.length <= 512 && !/[+#]/.test(r));
}
