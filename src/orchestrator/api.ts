// The orchestrator's API: one handler per request method, typed over every method of the
// protocol's request map (a method without a handler does not compile). The MQTT dispatch
// (requests.ts) and the in-process `Orchestrator.request` both run this table, so embedded
// `alicia up` and a remote one deploy through the same code.
import { prettifyError } from 'zod';
import { parseBundle } from '../compose/bundle.js';
import { aliciaError } from '../core/errors.js';
import { buildGraph } from '../core/graph/index.js';
import { REQUESTS, type ReplyData, type RequestBody, type RequestMethod } from '../protocol/index.js';
import type { Context } from './context.js';
import { runDeploy } from './deploy-runner.js';
import { downStack, restartService, scaleService, stopService } from './operations.js';
import { planStack } from './plan.js';
import { agentRows, allServiceStates, systemHealth } from './status.js';
import type { StackRecord } from './store.js';

/** What a handler runs with: the control plane, and what this one call brings. */
export interface ApiContext {
  readonly orchestrator: Context;
  /** When the orchestrator started (ms), for the health summary's uptime. */
  readonly startedMs: number;
  /** Clears what a removed stack left on the bus (its retained service states). */
  onStackRemoved(record: StackRecord): Promise<void>;
  /** In process only: aborting cancels a deploy where it is (a later down removes what started). */
  readonly signal?: AbortSignal | undefined;
}

export type Handler<M extends RequestMethod> = (
  request: RequestBody<M>,
  api: ApiContext,
) => Promise<ReplyData<M>>;
export type Handlers = { [M in RequestMethod]: Handler<M> };

export const handlers: Handlers = {
  async deploy(bundle, { orchestrator: ctx, signal }) {
    // Parsed once, here, with the loader: the bundle holds every file and variable it reads.
    const stack = parseBundle(bundle);
    // A client re-sending after a restart passes the same deploy_id: it queues behind the
    // resumed deploy (which holds the stack's lock) and is answered by a quick redeploy.
    return ctx.withLock(stack.name, () =>
      runDeploy(ctx, stack, { op: 'deploy', signal, deployId: bundle.deploy_id }),
    );
  },
  plan: async (bundle, { orchestrator: ctx }) => planStack(ctx, parseBundle(bundle)),
  scale: (r, { orchestrator: ctx }) =>
    scaleService(ctx, { stack: r.stack, service: r.service, replicas: r.replicas }),
  restart: (r, { orchestrator: ctx }) => restartService(ctx, { stack: r.stack, service: r.service }),
  async heal(r, { orchestrator: ctx }) {
    ctx.events.emit('healing_action', {
      stack: r.stack,
      service: r.service,
      action: 'restart',
      reason: 'operator',
    });
    // restartService closes an open circuit first.
    return restartService(ctx, { stack: r.stack, service: r.service }, 'heal requested by an operator');
  },
  stop: (r, { orchestrator: ctx }) => stopService(ctx, { stack: r.stack, service: r.service }),
  down: (r, { orchestrator: ctx, onStackRemoved }) => downStack(ctx, { stack: r.stack }, onStackRemoved),
  async ps(r, { orchestrator: ctx }) {
    if (
      r.stack !== undefined &&
      ctx.state.stacks[r.stack] === undefined &&
      ctx.state.intents[r.stack] === undefined
    ) {
      throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${r.stack}" is not deployed`);
    }
    return { services: allServiceStates(ctx, r.stack) };
  },
  agents: async (_r, { orchestrator: ctx }) => ({ agents: agentRows(ctx) }),
  health: async (_r, { orchestrator: ctx, startedMs }) => systemHealth(ctx, startedMs),
  // The persisted history (healing.json): it survives an orchestrator restart.
  history: async (r, { orchestrator: ctx }) => ({
    entries: ctx.healing.history({ service: r.service, limit: r.limit ?? 100 }),
  }),
  async graph(r, { orchestrator: ctx }) {
    if (r.stack !== undefined && ctx.state.stacks[r.stack] === undefined) {
      throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${r.stack}" is not deployed`);
    }
    const records = Object.values(ctx.state.stacks).filter(
      (s) => r.stack === undefined || s.name === r.stack,
    );
    return {
      stacks: records.map((record) => {
        const services = record.stack.services;
        const built = buildGraph(services);
        // A deployed stack's graph was built once already; a failure here cannot happen, but
        // a dashboard still gets every service in one layer rather than nothing.
        const layers = built.ok ? built.graph.layers.map((l) => [...l]) : [Object.keys(services).sort()];
        return {
          stack: record.name,
          layers,
          services: Object.entries(services).map(([service, spec]) => ({
            service,
            depends_on: Object.entries(spec.depends_on).map(([dep, d]) => ({
              service: dep,
              condition: d.condition,
              required: d.required,
            })),
          })),
        };
      }),
    };
  },
};

/**
 * In process: the body gets the checks a request over MQTT gets at the edge (sizes,
 * ranges, strictness), then runs through the same table.
 */
export async function requestInProcess<M extends RequestMethod>(
  method: M,
  body: RequestBody<M>,
  api: ApiContext,
): Promise<ReplyData<M>> {
  const checked = REQUESTS[method].request.safeParse(body);
  if (!checked.success) {
    throw aliciaError(
      'ALICIA_ERR_PAYLOAD_SCHEMA',
      `request ${method}: ${prettifyError(checked.error).replaceAll('\n', '; ')}`,
    );
  }
  return runRequest(method, body, api);
}

/** Runs one request through the table (the same path for MQTT and in process). */
export function runRequest<M extends RequestMethod>(
  method: M,
  request: RequestBody<M>,
  api: ApiContext,
): Promise<ReplyData<M>> {
  const handler: Handler<M> = handlers[method];
  return handler(request, api);
}
