// The one place the orchestrator computes what it records and sends for a service: its
// spec and that spec's hash (the hash names the instances and tells a changed service
// from an unchanged one). Whatever turns a Compose service into the wire spec plugs in here.
import type { Stack } from '../compose/model.js';
import { specHash } from '../protocol/index.js';
import type { StackRecord } from './store.js';

export type ServiceSpecRecord = StackRecord['specs'][string];

/** Every service of `stack` with its spec and spec hash. */
export function serviceSpecs(stack: Stack): Map<string, { spec: ServiceSpecRecord; hash: string }> {
  const out = new Map<string, { spec: ServiceSpecRecord; hash: string }>();
  for (const [name, spec] of Object.entries(stack.services)) out.set(name, { spec, hash: specHash(spec) });
  return out;
}

/** The spec hashes a record must keep: those its assignments and its current services use. */
export function usedSpecHashes(record: StackRecord): Set<string> {
  const used = new Set(record.assignments.map((a) => a.spec_hash));
  for (const { hash } of serviceSpecs(record.stack).values()) used.add(hash);
  return used;
}
