// Operator actions on deployed stacks: scale, stop, restart, down. Each runs under its
// stack's lock, writes the desired state before touching agents, and reports by events.
import { withDependents } from '../core/deploy/index.js';
import { aliciaError } from '../core/errors.js';
import { buildGraph, type ServiceGraph } from '../core/graph/index.js';
import { type Context, findStack } from './context.js';
import { type DeployReport, runDeploy } from './deploy-runner.js';
import { restartInstances } from './instance-ops.js';
import { removeInOrder } from './removal.js';
import type { StackRecord } from './store.js';

function graphOf(record: StackRecord): ServiceGraph {
  const built = buildGraph(record.stack.services);
  if (!built.ok) throw built.error;
  return built.graph;
}

export interface ScaleResult {
  stack: string;
  service: string;
  from: number;
  to: number;
  direction: 'up' | 'down' | 'none';
  instances: string[];
}

export async function scaleService(
  ctx: Context,
  request: { stack?: string | undefined; service: string; replicas: number },
): Promise<ScaleResult> {
  const name = findStack(ctx, request.service, request.stack).name;
  return ctx.withLock(name, async () => {
    const record = findStack(ctx, request.service, name);
    const from = record.assignments.filter((a) => a.service === request.service).length;
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
    return { stack: name, service: request.service, from, to, direction, instances };
  });
}

export interface StopResult {
  stack: string;
  stopped: string[];
}

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
    return { stack: name, stopped: [...toStop].sort() };
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
    const failed = await restartInstances(ctx, mine);
    if (failed.length > 0) {
      throw aliciaError('ALICIA_ERR_COMMAND_FAILED', `restart of "${request.service}": ${failed.join('; ')}`);
    }
    const instances = mine.map((a) => a.instance);
    ctx.events.emit('service_restarted', { stack: name, service: request.service, instances, reason });
    return { stack: name, service: request.service, instances };
  });
}

export interface DownResult {
  stack: string;
  removed: string[];
  services: string[];
}

/** Removes everything a stack created, dependents first, and forgets the stack. */
export async function downStack(
  ctx: Context,
  request: { stack: string },
  onRemoved?: (record: StackRecord) => Promise<void>,
): Promise<DownResult> {
  if (ctx.state.stacks[request.stack] === undefined) {
    throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${request.stack}" is not deployed`);
  }
  return ctx.withLock(request.stack, async () => {
    const record = ctx.state.stacks[request.stack];
    if (record === undefined)
      throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${request.stack}" is not deployed`);
    const graph = graphOf(record);
    const assignments = [...record.assignments];
    await removeInOrder(ctx, record, assignments, graph, (service, phase) => {
      ctx.events.emit(phase === 'stopping' ? 'service_stopping' : 'service_stopped', {
        stack: record.name,
        service,
      });
      if (phase === 'stopped') ctx.events.emit('service_removed', { stack: record.name, service });
    });
    // Remembered as removed so that containers of this stack on a host that was offline are removed when it returns.
    await ctx.desired.removeStack(record.name, ctx.now());
    await onRemoved?.(record);
    const services = Object.keys(record.stack.services).sort();
    ctx.events.emit('stack_removed', { stack: record.name, services, instances: assignments.length });
    return { stack: record.name, removed: assignments.map((a) => a.instance), services };
  });
}
