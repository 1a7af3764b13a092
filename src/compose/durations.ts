// Durations as Compose writes them (Go's time.ParseDuration: "1m30s", "500ms", "1h2m3.5s")
// and as Compose prints them (Go's time.Duration.String: "1m30s", "1m0s", "500ms").
// The model keeps whole milliseconds, so sub-millisecond remainders are refused rather than
// rounded: a silently rounded "1500us" would be a different setting from the one written.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

// Nanoseconds per unit, as bigint so "0.1s" + "1.1s" stay exact (floats would not).
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const NS_PER_MS = 1_000_000n;
const PART = /(\d*)(?:\.(\d*))?([a-zµμ]+)/y;

/** Parses a Compose duration into whole milliseconds. */
export function parseDuration(input: unknown): Parsed<number> {
  const hint = 'write a duration such as "30s", "1m30s" or "500ms" (units: h, m, s, ms, us, ns)';
  if (input === 0 || input === '0') return { ok: true, value: 0 };
  if (typeof input === 'number') {
    return { ok: false, message: `${input} has no unit; ${hint}` };
  }
  if (typeof input !== 'string' || input.trim() === '') {
    return { ok: false, message: `expected a duration, got ${describe(input)}; ${hint}` };
  }
  const text = input.trim();
  if (/^-/.test(text)) return { ok: false, message: `"${input}" is negative; ${hint}` };
  if (/^\+?\d+(\.\d+)?$/.test(text)) return { ok: false, message: `"${input}" has no unit; ${hint}` };
  let ns = 0n;
  let at = text.startsWith('+') ? 1 : 0;
  while (at < text.length) {
    PART.lastIndex = at;
    const match = PART.exec(text);
    const whole = match?.[1] ?? '';
    const fraction = match?.[2] ?? '';
    const unit = match?.[3] ?? '';
    const perUnit = UNIT_NS[unit];
    if (!match || (whole === '' && fraction === '') || perUnit === undefined) {
      return { ok: false, message: `"${input}" is not a duration; ${hint}` };
    }
    ns += BigInt(whole || '0') * perUnit;
    if (fraction !== '') ns += (BigInt(fraction) * perUnit) / 10n ** BigInt(fraction.length);
    at = PART.lastIndex;
  }
  if (ns % NS_PER_MS !== 0n) {
    return { ok: false, message: `"${input}" is not a whole number of milliseconds; Alicia counts in ms` };
  }
  const ms = ns / NS_PER_MS;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `"${input}" is too long` };
  return { ok: true, value: Number(ms) };
}

/** Formats milliseconds the way Compose (Go's Duration.String) prints them: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  const seconds = `${Math.floor(rest / 1000)}${
    rest % 1000 === 0
      ? ''
      : `.${String(rest % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
  }`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return `${typeof value} ${String(value)}`;
}
