// The container operations the agent carries out for one instance: bring it to running
// from a spec (keep, start, replace or create), stop, restart, remove. Callers hold the
// instance's queue; every operation starts from a fresh inspect by name, so it never acts
// on a stale view and never makes a second container for an instance.
import { planInstance, type SeenContainer } from '../src/core/agent-plan/index.js';
import { aliciaError } from '../src/core/errors.js';
import { isOneShotRestart } from '../src/core/restart-policy.js';
import type { Logger } from '../src/logging/logger.js';
import type { InstanceSpec } from '../src/protocol/agent-actions.js';
import type { Healer } from './healer.js';
import { containerName } from './runtime/labels.js';
import type { ContainerRuntime, RuntimeContainer } from './runtime/types.js';
import type { DesiredEntry, StateStore } from './state-store.js';

/** Docker states in which the container's process exists. */
export const RUNNING_STATES: ReadonlySet<string> = new Set(['running', 'restarting', 'paused']);

export type Busy = 'stopping' | 'restarting';

export function toSeen(container: RuntimeContainer): SeenContainer {
  return {
    instance: container.instance,
    container_id: container.id,
    spec_hash: container.specHash,
    running: RUNNING_STATES.has(container.state),
    exit_code: container.exitCode,
  };
}

/** A one-shot job (src/core/restart-policy.ts): a clean exit means it is done, not that it died. */
export function isOneShot(spec: InstanceSpec): boolean {
  return isOneShotRestart(spec.spec.restart.name);
}

/** The stop grace period (ms) of a desired instance; undefined: the container's own StopTimeout. */
export function graceOf(entry: DesiredEntry | undefined): number | undefined {
  return entry?.spec.spec.stop_grace_period_ms;
}

export interface ContainerOpsDeps {
  agent: string;
  runtime: ContainerRuntime;
  store: StateStore;
  env: Readonly<Record<string, string | undefined>>;
  healer: Pick<Healer, 'reset' | 'forget'>;
  /** What the agent is doing to an instance right now (shown in reports). */
  busy: Map<string, Busy>;
  /** Re-reads the instance's container into the agent's view. */
  refresh(instance: string): Promise<void>;
  /** The agent's current view of the instance's container. */
  observed(instance: string): RuntimeContainer | undefined;
  changed(): void;
  log: Logger;
}

export interface ContainerOps {
  /** The container named for `instance` if it is this agent's; null when absent. */
  inspectOwn(instance: string): Promise<RuntimeContainer | null>;
  /**
   * Brings `spec` to running. `rerunCompleted`: start a one-shot job again even though it
   * exited cleanly (an explicit start does, apply and recovery do not).
   */
  ensureRunning(spec: InstanceSpec, rerunCompleted: boolean): Promise<RuntimeContainer>;
  stop(instance: string, id: string, graceMs: number | undefined): Promise<void>;
  restart(instance: string, id: string, graceMs: number | undefined): Promise<void>;
  /** Stops (with its grace period) and removes the instance's container; null when there was none. */
  remove(instance: string, graceMs: number | undefined): Promise<RuntimeContainer | null>;
}

export function createContainerOps(deps: ContainerOpsDeps): ContainerOps {
  const { agent, runtime, store, healer, busy, log } = deps;

  async function inspectOwn(instance: string): Promise<RuntimeContainer | null> {
    const container = await runtime.inspect(containerName(instance));
    if (container && container.agent !== agent) {
      const owner = container.agent ? `agent ${container.agent}` : 'no Alicia agent';
      throw aliciaError(
        'ALICIA_ERR_RUNTIME',
        `container ${containerName(instance)} exists but belongs to ${owner}; remove it by hand`,
      );
    }
    return container;
  }

  async function whileBusy(instance: string, what: Busy, task: () => Promise<void>): Promise<void> {
    busy.set(instance, what);
    deps.changed();
    try {
      await task();
    } finally {
      busy.delete(instance);
    }
  }

  async function ensureRunning(spec: InstanceSpec, rerunCompleted: boolean): Promise<RuntimeContainer> {
    const instance = spec.instance;
    const current = await inspectOwn(instance);
    const step = planInstance(spec, current ? toSeen(current) : undefined);
    if (current && step.type === 'keep') return current;
    if (current && step.type === 'start_existing') {
      if (!rerunCompleted && isOneShot(spec) && current.exitCode === 0) return current;
      healer.reset(instance);
      log.info({ instance, container: current.id }, 'starting existing container');
      await runtime.start(current.id);
      await deps.refresh(instance);
      return deps.observed(instance) ?? current;
    }
    if (current && step.type === 'replace') {
      log.info({ instance, from: current.specHash, to: spec.spec_hash }, 'spec changed; replacing container');
      // The old container keeps its own stop grace period (its StopTimeout).
      await whileBusy(instance, 'stopping', async () => {
        if (RUNNING_STATES.has(current.state)) await runtime.stop(current.id);
        await runtime.remove(current.id);
      });
    }
    // A new container: its restart count and healing history start from zero.
    healer.reset(instance);
    store.restarts.delete(instance);
    log.info({ instance, image: spec.spec.image, specHash: spec.spec_hash }, 'creating container');
    const created = await runtime.create(spec, agent, {
      env: deps.env,
      onPullProgress: (progress) => log.debug({ instance, ...progress }, 'pulling image'),
    });
    await deps.refresh(instance);
    return deps.observed(instance) ?? created;
  }

  return {
    inspectOwn,
    ensureRunning,
    stop: (instance, id, graceMs) => whileBusy(instance, 'stopping', () => runtime.stop(id, graceMs)),
    restart: (instance, id, graceMs) => whileBusy(instance, 'restarting', () => runtime.restart(id, graceMs)),
    async remove(instance, graceMs) {
      healer.forget(instance);
      const current = await inspectOwn(instance);
      if (!current) {
        await deps.refresh(instance);
        return null;
      }
      // Stop first so the process gets its stop signal and grace period, then remove.
      await whileBusy(instance, 'stopping', async () => {
        if (RUNNING_STATES.has(current.state)) await runtime.stop(current.id, graceMs);
        await runtime.remove(current.id);
      });
      log.info({ instance, container: current.id }, 'container removed');
      await deps.refresh(instance);
      return current;
    },
  };
}
