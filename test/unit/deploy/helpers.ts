// Builds deploy plans and instance views from terse descriptions.

import {
  buildDeployPlan,
  type DeployPlan,
  type DeploySpec,
  type DeployStack,
  type InstanceView,
} from '../../../src/core/deploy/index.js';
import { buildGraph } from '../../../src/core/graph/index.js';

export type Svc = {
  deps?: Record<string, string>;
  health?: boolean;
  replicas?: number;
  restart?: string;
  optional?: string[];
};

export function stackOf(services: Record<string, Svc>, timeout?: number): DeployStack {
  const out: Record<string, DeploySpec> = {};
  for (const [name, s] of Object.entries(services)) {
    out[name] = {
      depends_on: Object.fromEntries(
        Object.entries(s.deps ?? {}).map(([d, condition]) => [
          d,
          { condition, required: !(s.optional ?? []).includes(d) },
        ]),
      ),
      restart: s.restart ?? 'no',
      replicas: s.replicas ?? 1,
      ...(s.health ? { healthcheck: { test: ['CMD-SHELL', 'true'], disable: false } } : {}),
    };
  }
  return { name: 'demo', services: out, x_alicia: timeout ? { startup_timeout_ms: timeout } : {} };
}

export function planOf(
  services: Record<string, Svc>,
  options: { timeout?: number; unchanged?: string[] } = {},
): DeployPlan {
  const stack = stackOf(services, options.timeout);
  const built = buildGraph(stack.services);
  if (!built.ok) throw built.error;
  const changed = new Set(Object.keys(services).filter((s) => !(options.unchanged ?? []).includes(s)));
  const replicas = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, s.replicas ?? 1]));
  return buildDeployPlan({ stack, graph: built.graph, replicas, changed });
}

export function view(instance: string, patch: Partial<InstanceView> = {}): InstanceView {
  return {
    instance,
    agent: 'a',
    state: 'running',
    health: 'none',
    exit_code: null,
    started_at: 1,
    restarts: 0,
    gave_up: false,
    start_error: null,
    ...patch,
  };
}

/** A mutable world: what each service's instances look like right now. */
export function world(): {
  set(service: string, views: InstanceView[]): void;
  observe(service: string): InstanceView[];
} {
  const map = new Map<string, InstanceView[]>();
  return {
    set: (service, views) => map.set(service, views),
    observe: (service) => map.get(service) ?? [],
  };
}
