// In what order moved instances start: the deploy's own plan (core/deploy buildDeployPlan
// over the stack's dependency graph), narrowed to the services that moved. A moved service
// waits for each moved dependency to meet its `depends_on` condition on its new host; a
// dependency that did not move is not waited for (it is where it was: only a deploy judges
// it). The orchestrator drives this plan with the deploy's state machine (deploy-drive.ts).
// Pure.
import { type Assignment, buildDeployPlan, type DeployPlan, type DeployStack } from '../deploy/index.js';
import { buildGraph } from '../graph/index.js';

/**
 * The deploy plan that starts `moved` (instances of `stack`) in dependency order: each
 * moved service expects its moved instances only; every other service expects none, so it
 * counts as up at once. Null when the stack's graph cannot be built (then there is no order
 * to follow: the instances start together).
 */
export function moveStartPlan(input: {
  readonly stack: DeployStack;
  readonly moved: readonly Assignment[];
  /** Startup timeout for stacks that set none (the orchestrator's setting, ms). */
  readonly startupTimeoutMs?: number | undefined;
}): DeployPlan | null {
  const built = buildGraph(input.stack.services);
  if (!built.ok) return null;
  const replicas: Record<string, number> = {};
  for (const name of Object.keys(input.stack.services)) replicas[name] = 0;
  for (const a of input.moved) replicas[a.service] = (replicas[a.service] ?? 0) + 1;
  const changed = new Set(input.moved.map((a) => a.service));
  const stack: DeployStack =
    input.stack.x_alicia.startup_timeout_ms === undefined && input.startupTimeoutMs !== undefined
      ? { ...input.stack, x_alicia: { ...input.stack.x_alicia, startup_timeout_ms: input.startupTimeoutMs } }
      : input.stack;
  return buildDeployPlan({ stack, graph: built.graph, replicas, changed });
}
