// Carrying instance changes out on the agents: start, stop + remove, restart. Commands go
// one per agent with all of that agent's instances; per-instance errors are recorded so
// the deploy runner can fail the service that owns them.
import type { Assignment } from '../core/deploy/index.js';
import { aliciaError, toAliciaError } from '../core/errors.js';
import {
  type ActionResponse,
  type InstanceSpec,
  missingFeatures,
  requiredFeatures,
} from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import { withHostLinks } from './host-links.js';
import type { StackRecord } from './store.js';

function byAgent(assignments: readonly Assignment[]): Map<string, Assignment[]> {
  const out = new Map<string, Assignment[]>();
  for (const a of assignments) {
    const list = out.get(a.agent) ?? [];
    list.push(a);
    out.set(a.agent, list);
  }
  return out;
}

function specOf(ctx: Context, record: StackRecord, a: Assignment): InstanceSpec {
  const spec = record.specs[a.spec_hash];
  if (spec === undefined) {
    throw aliciaError('ALICIA_ERR_NOT_FOUND', `no spec ${a.spec_hash} recorded for instance ${a.instance}`);
  }
  return {
    instance: a.instance,
    stack: a.stack,
    service: a.service,
    slot: a.slot,
    spec: withHostLinks(ctx, record, a, spec),
    spec_hash: a.spec_hash,
  };
}

/**
 * The error for an instance whose spec uses a feature the agent does not announce, or null.
 * Placement already keeps such specs off such agents; this guards the paths that reuse an
 * earlier placement (reconcile, restart of an agent pinned to fewer features), so the
 * orchestrator never sends an agent a field it does not know. Unknown info: not judged here.
 */
function unsupportedBy(ctx: Context, agent: string, spec: InstanceSpec) {
  const info = ctx.registry.get(agent)?.info;
  if (info === null || info === undefined) return null;
  const lacking = missingFeatures(requiredFeatures(spec.spec), info.features);
  if (lacking.length === 0) return null;
  const names = lacking.map((f) => `"${f}"`).join(', ');
  return aliciaError(
    'ALICIA_ERR_UNSUPPORTED',
    `service "${spec.stack}/${spec.service}" needs feature${lacking.length > 1 ? 's' : ''} ${names}; agent ${agent} speaks protocol ${info.protocol ?? 1} without ${lacking.length > 1 ? 'them' : 'it'} — upgrade it`,
  );
}

/** Records per-instance errors of a response; returns the instances that failed. */
function recordErrors(
  ctx: Context,
  agent: string,
  instances: readonly string[],
  response: ActionResponse,
): string[] {
  const failed: string[] = [];
  // A start that failed is not in flight: its retry is the healing ladder's to time, not
  // held back by the allowance for a start that has yet to show up.
  if (response.status === 'error') {
    for (const instance of instances) {
      ctx.startErrors.set(instanceKey(agent, instance), response.error);
      ctx.pendingStarts.delete(instanceKey(agent, instance));
      failed.push(instance);
    }
    return failed;
  }
  for (const result of response.data?.results ?? []) {
    if (result.status === 'error') {
      ctx.pendingStarts.delete(instanceKey(agent, result.instance));
      ctx.startErrors.set(
        instanceKey(agent, result.instance),
        result.error ?? { code: 'ALICIA_ERR_COMMAND_FAILED', message: 'the agent reported an error' },
      );
      failed.push(result.instance);
    }
  }
  return failed;
}

/**
 * Sends start commands (one per agent). Resolves when every agent answered; start errors
 * are recorded in ctx.startErrors and reported through `onError`, never thrown.
 */
export async function startInstances(
  ctx: Context,
  record: StackRecord,
  assignments: readonly Assignment[],
  onError: () => void = () => undefined,
): Promise<void> {
  const until = ctx.now() + ctx.settings.pendingStartMs;
  await Promise.all(
    [...byAgent(assignments)].map(async ([agent, list]) => {
      for (const a of list) {
        ctx.pendingStarts.set(instanceKey(agent, a.instance), until);
        ctx.startErrors.delete(instanceKey(agent, a.instance));
      }
      // What goes to the agent: the specs it can take (the others fail here, never sent).
      let sendable: InstanceSpec[] = [];
      try {
        const specs = list.map((a) => specOf(ctx, record, a));
        sendable = specs.filter((spec) => {
          const refusal = unsupportedBy(ctx, agent, spec);
          if (refusal === null) return true;
          ctx.startErrors.set(instanceKey(agent, spec.instance), refusal.toWire());
          ctx.log.warn({ agent, instance: spec.instance }, refusal.message);
          return false;
        });
        if (sendable.length < specs.length) onError();
        if (sendable.length === 0) return;
        const response = await ctx.agentClient.send(agent, 'start', { instances: sendable });
        const failed = recordErrors(
          ctx,
          agent,
          sendable.map((s) => s.instance),
          response,
        );
        if (failed.length > 0) {
          ctx.log.warn({ agent, failed }, 'agent could not start instances');
          onError();
        }
      } catch (err) {
        const error = toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED');
        // specOf failed before anything was sent: every instance of this agent failed with it.
        const failed = sendable.length > 0 ? sendable.map((s) => s.instance) : list.map((a) => a.instance);
        for (const instance of failed) ctx.startErrors.set(instanceKey(agent, instance), error.toWire());
        onError();
      }
    }),
  );
}

/**
 * Stops (with the spec's grace period) and removes instances. An agent that is not online
 * gets the commands queued by the broker (persistent session) and is not waited for; the
 * background reconcile removes what is left when it comes back.
 */
export async function removeInstances(ctx: Context, assignments: readonly Assignment[]): Promise<void> {
  await Promise.all(
    [...byAgent(assignments)].map(async ([agent, list]) => {
      const instances = list.map((a) => a.instance);
      for (const i of instances) ctx.removing.set(instanceKey(agent, i), Number.POSITIVE_INFINITY);
      const work = (async () => {
        try {
          // The agent's remove stops each container with its own grace period first.
          const response = await ctx.agentClient.send(agent, 'remove', { instances });
          if (response.status === 'error')
            ctx.log.warn({ agent, instances, error: response.error }, 'remove refused');
        } catch (err) {
          ctx.log.warn({ err, agent, instances }, 'stop/remove not confirmed');
        } finally {
          // The agent's next snapshot may still list them for a moment: leave them alone a while.
          const until = ctx.now() + ctx.settings.pendingStartMs;
          for (const i of instances) {
            ctx.removing.set(instanceKey(agent, i), until);
            ctx.pendingStarts.delete(instanceKey(agent, i));
            ctx.startErrors.delete(instanceKey(agent, i));
          }
        }
      })();
      if (ctx.registry.status(agent) === 'online') await work;
      else ctx.track(work);
    }),
  );
}

/** Restarts instances in place (agent `restart`). */
export async function restartInstances(ctx: Context, assignments: readonly Assignment[]): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    [...byAgent(assignments)].map(async ([agent, list]) => {
      const instances = list.map((a) => a.instance);
      try {
        const response = await ctx.agentClient.send(agent, 'restart', { instances });
        if (response.status === 'error')
          failed.push(...instances.map((i) => `${i}: ${response.error.message}`));
        else {
          for (const r of response.data?.results ?? []) {
            if (r.status === 'error') failed.push(`${r.instance}: ${r.error?.message ?? 'error'}`);
          }
        }
      } catch (err) {
        failed.push(...instances.map((i) => `${i}: ${err instanceof Error ? err.message : String(err)}`));
      }
    }),
  );
  return failed;
}

/**
 * Stops instances and leaves their containers (and logs) in place: the agent no longer
 * restarts them (its desired `run` turns false) until a start or restart.
 */
export async function stopInstances(ctx: Context, assignments: readonly Assignment[]): Promise<void> {
  await Promise.all(
    [...byAgent(assignments)].map(async ([agent, list]) => {
      const instances = list.map((a) => a.instance);
      try {
        const response = await ctx.agentClient.send(agent, 'stop', { instances });
        if (response.status === 'error')
          ctx.log.warn({ agent, instances, error: response.error }, 'stop refused');
      } catch (err) {
        ctx.log.warn({ err, agent, instances }, 'stop not confirmed');
      }
    }),
  );
}
