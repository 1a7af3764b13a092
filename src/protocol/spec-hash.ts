// A stable hash of a ContainerSpec: the agent labels containers with it, so a changed spec
// (and only a changed spec) is noticed after a restart or a redeploy.
import { createHash } from 'node:crypto';
import type { ContainerSpec } from './container-spec.js';

/** JSON with object keys sorted, so key order never changes the hash. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 16 hex digits of SHA-256 over the stable JSON of the spec. */
export function specHash(spec: ContainerSpec): string {
  return createHash('sha256').update(stableStringify(spec)).digest('hex').slice(0, 16);
}
