// Sizes and CPU counts as Compose writes them. Sizes follow docker/go-units RAMInBytes
// (binary multiples: "512m" = 512 MiB, "1g" = 1 GiB), which is what Compose uses for
// memory limits; CPUs are fractional cores ("0.5").
import { describe, type Parsed } from './durations.js';

const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** Parses "512M", "1g", "1.5GiB", "2048" or 2048 into bytes. */
export function parseBytes(input: unknown): Parsed<number> {
  const hint = 'write a size such as "512M", "1g" or a number of bytes';
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input > 0
      ? { ok: true, value: input }
      : { ok: false, message: `${input} is not a positive whole number of bytes; ${hint}` };
  }
  if (typeof input !== 'string') {
    return { ok: false, message: `expected a size, got ${describe(input)}; ${hint}` };
  }
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(input.trim());
  const multiplier = MULTIPLIER[(match?.[2] ?? '').toLowerCase()];
  if (!match || multiplier === undefined) return { ok: false, message: `"${input}" is not a size; ${hint}` };
  const bytes = Math.trunc(Number(match[1]) * multiplier);
  if (bytes <= 0 || !Number.isSafeInteger(bytes)) {
    return { ok: false, message: `"${input}" must be more than 0 bytes; ${hint}` };
  }
  return { ok: true, value: bytes };
}

/** Parses 0.5, "0.5" or "2" into a positive number of CPUs. */
export function parseCpus(input: unknown): Parsed<number> {
  const value = typeof input === 'string' && /^\d+(\.\d+)?$/.test(input.trim()) ? Number(input) : input;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    return {
      ok: false,
      message: `expected a positive number of CPUs such as 0.5 or 2, got ${describe(input)}`,
    };
  }
  return { ok: true, value };
}
