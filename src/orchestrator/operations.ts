// Operator actions on deployed stacks: scale, stop, restart, down. Each runs under its
// stack's lock, writes the desired state before touching agents, and reports by events.

import { nanoid } from 'nanoid';
import type { Assignment } from '../core/deploy/index.js';
import { withDependents } from '../core/deploy/index.js';
import { aliciaError } from '../core/errors.js';
import { buildGraph, type ServiceGraph } from '../core/graph/index.js';
import type { DownResult, HostOutcome, ScaleResult, StopResult } from '../protocol/index.js';
import { type Context, findStack, instanceKey } from './context.js';
import { type DeployReport, runDeploy } from './deploy-runner.js';
import { removeInstances, restartInstances, startInstances } from './instance-ops.js';
import { removeInOrder } from './removal.js';
import type { StackRecord } from './store.js';

function graphOf(record: StackRecord): ServiceGraph {
  const built = buildGraph(record.stack.services);
  if (!built.ok) throw built.error;
  return built.graph;
}

export type { ScaleResult };

export async function scaleService(
  ctx: Context,
  request: { stack?: string | undefined; service: string; replicas: number },
): Promise<ScaleResult> {
  const name = findStack(ctx, request.service, request.stack).name;
  return ctx.withLock(name, async () => {
    const record = findStack(ctx, request.service, name);
    const before = record.assignments.filter((a) => a.service === request.service);
    const from = before.length;
    await runDeploy(ctx, record.stack, {
      op: 'scale',
      scale: { [request.service]: request.replicas },
      unstop: [request.service],
    });
    const after = ctx.state.stacks[name];
    const instances = (after?.assignments ?? [])
      .filter((a) => a.service === request.service)
      .map((a) => a.instance);
    const to = request.replicas;
    const direction = to > from ? 'up' : to < from ? 'down' : 'none';
    if (direction !== 'none') {
      ctx.events.emit('service_scaled', {
        stack: name,
        service: request.service,
        from,
        to,
        direction,
        instances,
      });
    }
    const kept = new Set(instances);
    const hosts = hostOutcomes(
      ctx,
      before.filter((a) => !kept.has(a.instance)),
    );
    const pending = hosts.flatMap((h) => (h.status === 'pending' ? h.instances : []));
    const result = { stack: name, service: request.service, from, to, direction, instances } as const;
    return pending.length > 0 ? { ...result, hosts, pending } : result;
  });
}

export type { StopResult };

/** Stops a service and everything that depends on it, dependents first, and removes their containers. */
export async function stopService(
  ctx: Context,
  request: { stack?: string | undefined; service: string },
): Promise<StopResult> {
  const name = findStack(ctx, request.service, request.stack).name;
  return ctx.withLock(name, async () => {
    const record = findStack(ctx, request.service, name);
    const graph = graphOf(record);
    const toStop = withDependents(graph, request.service);
    const assignments = record.assignments.filter((a) => toStop.has(a.service));
    await ctx.desired.markStopped(name, toStop);
    await removeInOrder(ctx, record, assignments, graph, (service, phase) => {
      ctx.events.emit(phase === 'stopping' ? 'service_stopping' : 'service_stopped', {
        stack: name,
        service,
      });
    });
    const hosts = hostOutcomes(ctx, assignments);
    const pending = hosts.flatMap((h) => (h.status === 'pending' ? h.instances : []));
    const stopped = [...toStop].sort();
    return pending.length > 0 ? { stack: name, stopped, hosts, pending } : { stack: name, stopped };
  });
}

export interface RestartResult {
  stack: string;
  service: string;
  instances: string[];
}

/** Restarts a service's instances in place; a stopped service is started again instead. */
export async function restartService(
  ctx: Context,
  request: { stack?: string | undefined; service: string },
  reason = 'operator',
): Promise<RestartResult> {
  const name = findStack(ctx, request.service, request.stack).name;
  return ctx.withLock(name, async () => {
    const record = findStack(ctx, request.service, name);
    if (record.stopped.includes(request.service)) {
      const report: DeployReport = await runDeploy(ctx, record.stack, {
        op: 'scale',
        unstop: [request.service],
      });
      const instances = report.services.find((s) => s.service === request.service)?.instances ?? [];
      return { stack: name, service: request.service, instances };
    }
    const mine = record.assignments.filter((a) => a.service === request.service);
    if (mine.length === 0) {
      throw aliciaError('ALICIA_ERR_NOT_FOUND', `service "${request.service}" has no instance to restart`);
    }
    // An operator's restart or heal closes an open circuit: healing starts over.
    ctx.healing.closeCircuit(name, request.service, reason);
    // Instances with no container (their starts failed) are started; the others restarted.
    const missing = mine.filter((a) => ctx.registry.report(a.agent, a.instance) === undefined);
    const present = mine.filter((a) => !missing.includes(a));
    const countsBefore = new Map(
      present.map((a) => [
        instanceKey(a.agent, a.instance),
        ctx.registry.report(a.agent, a.instance)?.restarts ?? 0,
      ]),
    );
    if (missing.length > 0) await startInstances(ctx, record, missing);
    const failed = [
      ...missing.flatMap((a) => {
        const error = ctx.startErrors.get(instanceKey(a.agent, a.instance));
        return error === undefined ? [] : [`${a.instance}: ${error.message}`];
      }),
      ...(present.length > 0 ? await restartInstances(ctx, present) : []),
    ];
    if (failed.length > 0) {
      throw aliciaError('ALICIA_ERR_COMMAND_FAILED', `restart of "${request.service}": ${failed.join('; ')}`);
    }
    // Held under the lock until the agents report the restarts: the watcher then sees them as
    // this operation's, not as restarts of the agents' own (no second service_restarted).
    await reportsCounted(ctx, present, countsBefore, RESTART_REPORT_WAIT_MS);
    const instances = mine.map((a) => a.instance);
    ctx.events.emit('service_restarted', { stack: name, service: request.service, instances, reason });
    return { stack: name, service: request.service, instances };
  });
}

export type { DownResult };

/** Per host: the instances removed (online) or still to remove (offline: done when it returns). */
export function hostOutcomes(ctx: Context, assignments: readonly Assignment[]): HostOutcome[] {
  const byAgent = new Map<string, string[]>();
  for (const a of assignments) byAgent.set(a.agent, [...(byAgent.get(a.agent) ?? []), a.instance]);
  return [...byAgent]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agent, instances]) => ({
      agent,
      status: ctx.registry.status(agent) === 'online' ? ('done' as const) : ('pending' as const),
      instances: instances.sort(),
    }));
}

/**
 * What a stack has anywhere: its desired instances, plus every container of it an agent
 * reports (an interrupted down already took some out of the desired set; an offline host's
 * last report still counts: its containers are still there).
 */
function everything(ctx: Context, stack: string, record: StackRecord | undefined): Assignment[] {
  const out = new Map<string, Assignment>();
  for (const a of record?.assignments ?? []) out.set(instanceKey(a.agent, a.instance), a);
  for (const r of ctx.registry.reports()) {
    if (r.stack !== stack || out.has(instanceKey(r.agent, r.instance))) continue;
    out.set(instanceKey(r.agent, r.instance), {
      instance: r.instance,
      stack: r.stack,
      service: r.service,
      slot: 1,
      agent: r.agent,
      spec_hash: r.spec_hash,
      created_ms: r.created_at,
    });
  }
  return [...out.values()];
}

/**
 * Removes everything a stack created, dependents first, and forgets the stack. The intent
 * is persisted first: an orchestrator killed in the middle resumes the down (intents.ts).
 * A host that is offline keeps its containers until it returns: the answer says so per
 * host, the down intent stays until they are gone, then `stack_removed` is emitted. A down
 * of a stack already removed (a client re-sending after a restart) reports what is left.
 */
export async function downStack(
  ctx: Context,
  request: { stack: string; id?: string | undefined },
  onRemoved?: (record: StackRecord) => Promise<void>,
): Promise<DownResult> {
  if (ctx.state.stacks[request.stack] === undefined && ctx.state.removed[request.stack] === undefined) {
    throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${request.stack}" is not deployed`);
  }
  return ctx.withLock(request.stack, () => takeDown(ctx, request, onRemoved));
}

/** The body of a down, under the stack's lock (held by downStack, or by a resume). */
export async function takeDown(
  ctx: Context,
  request: { stack: string; id?: string | undefined },
  onRemoved?: (record: StackRecord) => Promise<void>,
): Promise<DownResult> {
  {
    const name = request.stack;
    const record = ctx.state.stacks[name];
    const all = everything(ctx, name, record);
    const services = record
      ? Object.keys(record.stack.services).sort()
      : [...new Set(all.map((a) => a.service))].sort();
    const intent = ctx.state.intents[name];
    if (record !== undefined) {
      // A resumed down keeps its id; the count is of everything there was to remove.
      const id = intent?.kind === 'down' ? intent.id : (request.id ?? nanoid());
      const instances = intent?.kind === 'down' ? Math.max(intent.instances, all.length) : all.length;
      const agents = [
        ...new Set([...all.map((a) => a.agent), ...(intent?.kind === 'down' ? intent.agents : [])]),
      ].sort();
      await ctx.desired.beginIntent(name, {
        kind: 'down',
        id,
        started_ms: ctx.now(),
        services,
        instances,
        agents,
      });
      const graph = graphOf(record);
      // Containers of services the file no longer has (left by an older deploy) have no place
      // in the dependency order: removed first, alongside.
      const known = all.filter((a) => Object.hasOwn(record.stack.services, a.service));
      const strays = all.filter((a) => !Object.hasOwn(record.stack.services, a.service));
      if (strays.length > 0) await removeInstances(ctx, strays);
      await removeInOrder(ctx, record, known, graph, (service, phase) => {
        ctx.events.emit(phase === 'stopping' ? 'service_stopping' : 'service_stopped', {
          stack: record.name,
          service,
        });
        if (phase === 'stopped') ctx.events.emit('service_removed', { stack: record.name, service });
      });
      // Remembered as removed so that containers of this stack on a host that was offline are removed when it returns.
      await ctx.desired.removeStack(record.name, ctx.now());
      await onRemoved?.(record);
    }
    const hosts = hostOutcomes(ctx, all);
    const pending = hosts.flatMap((h) => (h.status === 'pending' ? h.instances : []));
    const removed = hosts.flatMap((h) => (h.status === 'done' ? h.instances : []));
    if (pending.length === 0) await finishDown(ctx, name);
    return { stack: name, removed, services, hosts, pending };
  }
}

/** A down is over: nothing of the stack is left on any host. */
export async function finishDown(ctx: Context, stack: string): Promise<void> {
  const intent = ctx.state.intents[stack];
  if (intent?.kind !== 'down') return;
  await ctx.desired.endIntent(stack, intent.id);
  ctx.events.emit('stack_removed', { stack, services: [...intent.services], instances: intent.instances });
}

/** How long an operator restart waits for the agents to report it (ms). */
const RESTART_REPORT_WAIT_MS = 2_000;

/** Resolves once every instance's reported restart count grew past `before`, or after `timeoutMs`. */
function reportsCounted(
  ctx: Context,
  assignments: readonly Assignment[],
  before: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<void> {
  const done = (): boolean =>
    assignments.every(
      (a) =>
        (ctx.registry.report(a.agent, a.instance)?.restarts ?? 0) >
        (before.get(instanceKey(a.agent, a.instance)) ?? 0),
    );
  if (assignments.length === 0 || done()) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      ctx.clock.clearTimeout(timer);
      off();
      resolve();
    };
    const timer = ctx.clock.setTimeout(finish, timeoutMs);
    const off = ctx.registry.onChange((change) => {
      if (change.kind === 'containers' && done()) finish();
    });
  });
}
