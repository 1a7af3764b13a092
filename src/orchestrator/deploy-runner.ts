// Runs one deploy of a stack: plans instances (placement, keep/replace/add/remove), then
// drives the pure deploy state machine with every containers snapshot the agents publish
// (they publish on every Docker event, health_status included: no polling), starts each
// service as soon as its own dependencies are met, replaces changed services start-first,
// removes surplus in reverse dependency order, and resolves or throws with the reason.

import { nanoid } from 'nanoid';
import type { Stack } from '../compose/model.js';
import {
  type Assignment,
  buildDeployPlan,
  checkConditions,
  type DeployPlan,
  type DeployState,
  type InstancePlan,
  planInstances,
  type ServiceTarget,
} from '../core/deploy/index.js';
import { aliciaError } from '../core/errors.js';
import { buildGraph, type ServiceGraph } from '../core/graph/index.js';
import { createPlacer } from '../core/placement/index.js';
import type { Context } from './context.js';
import { drive } from './deploy-drive.js';
import { removeInstances } from './instance-ops.js';
import { pruneSpecs, removeInOrder } from './removal.js';
import { serviceSpecs, serviceTarget } from './service-spec.js';
import type { StackRecord, StackRecordData } from './store.js';

export interface DeployOptions {
  /** `scale` keeps stopped services stopped and emits no deploy_* events. */
  op: 'deploy' | 'scale';
  /** Replica overrides to apply (scale). */
  scale?: Readonly<Record<string, number>>;
  /** Services to start again although they were stopped (scale of a stopped service). */
  unstop?: readonly string[];
  /** The deploy's id (the client's, when it sent one); default: a new one. */
  deployId?: string | undefined;
  /**
   * Resuming a deploy a crash interrupted: desired instances that the agents' reports do
   * not show (assigned, but the start never went out) are started again in order.
   */
  resume?: boolean;
  /** Aborting stops the deploy where it is (nothing more is started); it then fails as cancelled. */
  signal?: AbortSignal | undefined;
}

export interface ServiceReport {
  service: string;
  phase: string;
  replicas: number;
  hosts: string[];
  instances: string[];
  reason: string | null;
}

export interface DeployReport {
  stack: string;
  duration_ms: number;
  changed: string[];
  removed: string[];
  services: ServiceReport[];
  warnings: { file: string; path: string; message: string }[];
}

const byService = (list: readonly Assignment[]): Map<string, Assignment[]> => {
  const out = new Map<string, Assignment[]>();
  for (const a of list) out.set(a.service, [...(out.get(a.service) ?? []), a]);
  return out;
};

function graphOf(stack: Stack): ServiceGraph {
  const built = buildGraph(stack.services);
  if (!built.ok) throw built.error;
  return built.graph;
}

/** Waits until at least one agent is online with its info, or the wait runs out. */
async function waitForAgents(ctx: Context): Promise<void> {
  if (ctx.registry.nodes().length > 0) return;
  await new Promise<void>((resolve) => {
    const timer = ctx.clock.setTimeout(done, ctx.settings.agentWaitMs);
    const off = ctx.registry.onChange(() => {
      if (ctx.registry.nodes().length > 0) done();
    });
    function done(): void {
      ctx.clock.clearTimeout(timer);
      off();
      resolve();
    }
  });
}

/** Instances per agent over every stack: placement's load. */
function loadOf(ctx: Context): Map<string, number> {
  const load = new Map<string, number>();
  for (const record of Object.values(ctx.state.stacks)) {
    for (const a of record.assignments) load.set(a.agent, (load.get(a.agent) ?? 0) + 1);
  }
  return load;
}

export async function runDeploy(ctx: Context, stack: Stack, options: DeployOptions): Promise<DeployReport> {
  const graph = graphOf(stack);
  const conditions = checkConditions(stack);
  if (conditions) throw conditions;
  const previous = ctx.state.stacks[stack.name];
  const stopped = new Set(options.op === 'deploy' ? [] : (previous?.stopped ?? []));
  for (const s of options.unstop ?? []) stopped.delete(s);

  // Scale overrides survive a redeploy of the same replicas; a file that changes a
  // service's replicas wins over an older override.
  const scale: Record<string, number> = {};
  for (const [service, n] of Object.entries(previous?.scale ?? {})) {
    const before = previous?.stack.services[service]?.replicas;
    if (stack.services[service] !== undefined && before === stack.services[service]?.replicas)
      scale[service] = n;
  }
  Object.assign(scale, options.scale ?? {});

  const replicas: Record<string, number> = {};
  const targets: Record<string, ServiceTarget> = {};
  const specs: StackRecordData['specs'] = { ...(previous?.specs ?? {}) };
  for (const [name, compiled] of serviceSpecs(stack)) {
    const n = stopped.has(name) ? 0 : (scale[name] ?? compiled.service.replicas);
    replicas[name] = n;
    specs[compiled.hash] = compiled.spec;
    targets[name] = serviceTarget(compiled, n);
  }

  await waitForAgents(ctx);
  const nodes = ctx.registry.nodes();
  const current = previous?.assignments ?? [];
  const planned = planInstances({
    stack: stack.name,
    targets,
    current,
    nodes,
    placer: createPlacer(nodes, loadOf(ctx)),
    now: ctx.now(),
  });
  if (!planned.ok) throw planned.error;
  const plan = planned.plan;

  // The new record: the new stack, but only the current assignments so far. Assignments
  // of a service are added when it starts, so the background reconcile never starts a
  // service ahead of its dependencies. The intent goes in the same write: from now on a
  // crash resumes this deploy (intents.ts) instead of leaving it half done.
  const deployId = options.deployId ?? nanoid();
  const [, record] = await Promise.all([
    ctx.desired.beginIntent(stack.name, {
      kind: 'deploy',
      id: deployId,
      op: options.op,
      scale: { ...(options.scale ?? {}) },
      unstop: [...(options.unstop ?? [])],
      started_ms: ctx.now(),
    }),
    ctx.desired.applyStack(stack.name, {
      stack,
      specs,
      scale,
      stopped: [...stopped].sort(),
      assignments: current,
      deployed_ms: ctx.now(),
    }),
  ]);
  try {
    return await driveDeploy(ctx, stack, graph, replicas, plan, record, options, deployId, previous?.stack);
  } finally {
    await ctx.desired.endIntent(stack.name, deployId);
  }
}

async function driveDeploy(
  ctx: Context,
  stack: Stack,
  graph: ServiceGraph,
  replicas: Record<string, number>,
  plan: InstancePlan,
  record: StackRecord,
  options: DeployOptions,
  deployId: string,
  previousStack?: Stack,
): Promise<DeployReport> {
  // Resumed: a kept instance its (reachable) agent does not report was assigned by the
  // interrupted run but never started; it is started again, in dependency order. (The
  // agent's start is idempotent per instance: one that did start is adopted, not doubled.)
  const seen = (agent: string): boolean =>
    ctx.registry.status(agent) === 'online' && (ctx.registry.get(agent)?.containers ?? null) !== null;
  const missing = options.resume
    ? plan.keep.filter((a) => seen(a.agent) && ctx.registry.report(a.agent, a.instance) === undefined)
    : [];
  const fresh = byService([...plan.add, ...plan.replace.map((r) => r.next), ...missing]);
  const replaced = byService(plan.replace.map((r) => r.old));
  const kept = byService(plan.keep.filter((a) => !missing.includes(a)));
  const changed = new Set(fresh.keys());
  const withTimeout: Stack =
    stack.x_alicia.startup_timeout_ms === undefined && ctx.settings.startupTimeoutMs !== undefined
      ? { ...stack, x_alicia: { ...stack.x_alicia, startup_timeout_ms: ctx.settings.startupTimeoutMs } }
      : stack;
  const built = buildDeployPlan({ stack: withTimeout, graph, replicas, changed });
  // A scale judges only the services it changes: another service being unhealthy right
  // now is the healer's business, not a reason to refuse a scale.
  const deployPlan: DeployPlan =
    options.op === 'scale'
      ? {
          ...built,
          services: Object.fromEntries(
            Object.entries(built.services).map(([n, svc]) => [
              n,
              changed.has(n) ? svc : { ...svc, expected: 0 },
            ]),
          ),
        }
      : built;
  const quietDeploy = options.op === 'scale';
  const started = ctx.now();

  const outcome = await drive(ctx, record, deployPlan, {
    fresh,
    replaced,
    kept,
    quietDeploy,
    deployId,
    signal: options.signal,
  });

  const rolledBack =
    outcome.state.outcome?.ok === false
      ? await rollBack(ctx, stack.name, fresh, replaced, outcome.state, previousStack)
      : [];

  // Surplus (scale down, services gone from the file) goes after a successful deploy,
  // dependents first. After a failed one it stays: the next deploy plans it again.
  const surplus = plan.remove.filter((a) => !plan.replace.some((r) => r.old.instance === a.instance));
  if (outcome.state.outcome?.ok) {
    await removeInOrder(ctx, record, surplus, graph);
  }
  await pruneSpecs(ctx, record);

  const report: DeployReport = {
    stack: stack.name,
    duration_ms: ctx.now() - started,
    changed: [...changed].sort(),
    removed: surplus.map((a) => a.instance),
    services: deployPlan.order.map((service) => {
      const progress = outcome.state.services[service];
      const mine = record.assignments.filter((a) => a.service === service);
      return {
        service,
        phase: progress?.phase ?? 'unknown',
        replicas: replicas[service] ?? 0,
        hosts: [...new Set(mine.map((a) => a.agent))].sort(),
        instances: mine.map((a) => a.instance),
        reason: progress?.failure?.reason ?? null,
      };
    }),
    warnings: stack.warnings,
  };
  const result = outcome.state.outcome;
  if (result && !result.ok) {
    const back = rolledBack.length > 0 ? `; rolled back to the previous spec: ${rolledBack.join(', ')}` : '';
    throw aliciaError('ALICIA_ERR_DEPLOY_FAILED', `stack "${stack.name}": ${result.reason}${back}`, {
      details: { stack: stack.name, failed: result.failed, blocked: result.blocked, report },
    });
  }
  return report;
}

/**
 * A changed service that failed its deploy step while its previous instances still run
 * (start-first replacement keeps them until the new ones are ready): the new instances go,
 * the previous ones stay, and the stack record gets the previous definition of the service
 * back, so the reconcile and the next deploy start from what serves. Returns the services
 * rolled back. (A stop-first replacement — published ports — has nothing left to go back to.)
 */
async function rollBack(
  ctx: Context,
  stackName: string,
  fresh: ReadonlyMap<string, Assignment[]>,
  replaced: ReadonlyMap<string, Assignment[]>,
  state: DeployState,
  previousStack: Stack | undefined,
): Promise<string[]> {
  const live = ctx.state.stacks[stackName];
  if (live === undefined || previousStack === undefined) return [];
  const assigned = new Set(live.assignments.map((a) => `${a.agent}/${a.instance}`));
  const services = [...replaced.keys()].filter((service) => {
    const phase = state.services[service]?.phase;
    const old = replaced.get(service) ?? [];
    return (
      phase === 'failed' &&
      previousStack.services[service] !== undefined &&
      old.length > 0 &&
      old.every((a) => assigned.has(`${a.agent}/${a.instance}`))
    );
  });
  if (services.length === 0) return [];
  const drop = services.flatMap((service) => fresh.get(service) ?? []);
  await ctx.desired.unassign(stackName, drop);
  const current = ctx.state.stacks[stackName];
  if (current === undefined) return [];
  const restored: Stack = {
    ...current.stack,
    services: {
      ...current.stack.services,
      ...Object.fromEntries(services.map((s) => [s, previousStack.services[s] as Stack['services'][string]])),
    },
  };
  await ctx.desired.applyStack(stackName, {
    stack: restored,
    specs: { ...current.specs },
    scale: { ...current.scale },
    stopped: [...current.stopped],
    assignments: [...current.assignments],
    deployed_ms: current.deployed_ms,
  });
  for (const service of services) {
    const reason = state.services[service]?.failure?.reason ?? 'never became healthy';
    ctx.healing.closeCircuit(stackName, service, 'rolled back to the previous spec');
    ctx.events.emit('healing_action', {
      stack: stackName,
      service,
      action: 'rollback',
      instances: (fresh.get(service) ?? []).map((a) => a.instance),
      reason: `the changed spec failed (${reason}); the previous instances ${(replaced.get(service) ?? [])
        .map((a) => a.instance)
        .join(', ')} kept serving`,
    });
  }
  await removeInstances(ctx, drop);
  return services.sort();
}
