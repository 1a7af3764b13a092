// The one place the orchestrator computes what it records and sends for a service: the
// service compiled to the protocol's ContainerSpec (what the agents receive) and that
// spec's hash (the hash names the instances and tells a changed service from an unchanged one).
import { compileContainerSpec } from '../compose/compile.js';
import { sharesHostWith } from '../compose/finalize.js';
import type { ServiceSpec, Stack } from '../compose/model.js';
import type { ServiceTarget } from '../core/deploy/index.js';
import { holdsOnHost } from '../core/placement/index.js';
import { type ContainerSpec, requiredFeatures, specHash } from '../protocol/index.js';
import type { StackRecord } from './store.js';

export interface CompiledService {
  /** The Compose service (placement, replicas, x-alicia). */
  readonly service: ServiceSpec;
  /** What the agents receive. */
  readonly spec: ContainerSpec;
  readonly hash: string;
}

/** Every service of `stack` with its compiled spec and spec hash. */
export function serviceSpecs(stack: Stack): Map<string, CompiledService> {
  const out = new Map<string, CompiledService>();
  for (const [name, service] of Object.entries(stack.services)) {
    const spec = compileContainerSpec(stack.name, service);
    out.set(name, { service, spec, hash: specHash(spec) });
  }
  return out;
}

/** What placement needs of a service (one shape for deploys and plans): `replicas` of it. */
export function serviceTarget({ service, spec, hash }: CompiledService, replicas: number): ServiceTarget {
  const holds = holdsOnHost(spec, service.x_alicia.movable);
  return {
    replicas,
    spec_hash: hash,
    constraints: service.constraints,
    hosts: service.x_alicia.hosts,
    features: requiredFeatures(spec),
    with: sharesHostWith(service),
    ...(holds !== undefined ? { holds } : {}),
  };
}

/** The spec hashes a record must keep: those its assignments and its current services use. */
export function usedSpecHashes(record: StackRecord): Set<string> {
  const used = new Set(record.assignments.map((a) => a.spec_hash));
  for (const { hash } of serviceSpecs(record.stack).values()) used.add(hash);
  return used;
}
