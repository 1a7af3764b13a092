// From a normalized Stack to what the deploy runner does with each service. Pure.
import { type AliciaError, aliciaError } from '../errors.js';
import type { ServiceGraph } from '../graph/index.js';
import type { Target } from './judge.js';
import type { DeployPlan, DeployServicePlan } from './step.js';

/** What the deploy plan needs of a service (compose/model's ServiceSpec fits). */
export interface DeploySpec {
  readonly healthcheck?: { readonly test: readonly string[]; readonly disable: boolean } | undefined;
  readonly depends_on: Readonly<Record<string, { readonly condition: string; readonly required: boolean }>>;
  readonly restart: string;
  readonly replicas: number;
  /** The agent's HTTP/TCP probe (`x-alicia.probe`) gives the service a health too. */
  readonly x_alicia?: { readonly probe?: unknown } | undefined;
}

/** What the deploy plan needs of a stack (compose/model's Stack fits). */
export interface DeployStack {
  readonly name: string;
  readonly services: Readonly<Record<string, DeploySpec>>;
  readonly x_alicia: { readonly startup_timeout_ms?: number | undefined };
}

/** Compose's own default is no timeout; ours is two minutes per service (ms). */
export const DEFAULT_STARTUP_TIMEOUT_MS = 120_000;

export function hasHealthcheck(spec: DeploySpec): boolean {
  if (spec.x_alicia?.probe !== undefined) return true;
  const hc = spec.healthcheck;
  return hc !== undefined && !hc.disable && hc.test[0] !== 'NONE';
}

/** The milestone a service must reach to count as up. */
export function targetOf(stack: DeployStack, name: string): Target {
  for (const other of Object.values(stack.services)) {
    if (other.depends_on[name]?.condition === 'service_completed_successfully') return 'completed';
  }
  const spec = stack.services[name];
  return spec !== undefined && hasHealthcheck(spec) ? 'healthy' : 'started';
}

/**
 * Checks what Compose checks before starting anything: a `service_healthy` dependency
 * must have a healthcheck (Compose: "container … has no healthcheck configured").
 */
export function checkConditions(stack: DeployStack): AliciaError | null {
  for (const name of Object.keys(stack.services).sort()) {
    const spec = stack.services[name];
    if (spec === undefined) continue;
    for (const [dep, edge] of Object.entries(spec.depends_on)) {
      const depSpec = stack.services[dep];
      if (depSpec === undefined) continue;
      if (edge.condition === 'service_healthy' && !hasHealthcheck(depSpec)) {
        return aliciaError(
          'ALICIA_ERR_DEPLOY_FAILED',
          `service "${name}" waits for "${dep}" to be healthy, but "${dep}" has no healthcheck`,
          { details: { service: name, dependency: dep } },
        );
      }
    }
  }
  return null;
}

/** Builds the runner's plan; `changed` names the services with instances to start. */
export function buildDeployPlan(input: {
  stack: DeployStack;
  graph: ServiceGraph;
  /** Instances each service must have (replicas after scale overrides). */
  replicas: Readonly<Record<string, number>>;
  changed: ReadonlySet<string>;
}): DeployPlan {
  const { stack, graph, replicas, changed } = input;
  const timeout = stack.x_alicia.startup_timeout_ms ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const services: Record<string, DeployServicePlan> = {};
  for (const name of graph.startOrder) {
    const spec = stack.services[name];
    if (spec === undefined) continue;
    const depends_on: Record<string, { condition: string; required: boolean }> = {};
    for (const dep of graph.dependenciesOf(name)) {
      const edge = spec.depends_on[dep];
      if (edge) depends_on[dep] = { condition: edge.condition, required: edge.required };
    }
    const expected = replicas[name] ?? spec.replicas;
    services[name] = {
      name,
      depends_on,
      target: targetOf(stack, name),
      restart: spec.restart,
      expected,
      // Nothing to start for a service scaled to zero: it counts as up at once.
      start: changed.has(name) && expected > 0,
      timeout_ms: timeout,
    };
  }
  return { stack: stack.name, order: graph.startOrder, services };
}
