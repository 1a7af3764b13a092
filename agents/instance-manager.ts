// The agent's instances: what Docker shows (kept current from its event stream, never by
// polling), what the agent wants (the state store), and the commands that bring one to the
// other. Every operation on an instance runs in that instance's queue (container-ops.ts
// starts each from a fresh inspect), so one instance never gets two containers.

import type { Clock, TimerHandle } from '../src/clock/index.js';
import { type AgentPolicy, checkPolicy, planAfterKill, planRecovery } from '../src/core/agent-plan/index.js';
import { aliciaError, toAliciaError } from '../src/core/errors.js';
import type { Logger } from '../src/logging/logger.js';
import type { InstanceResult, InstanceSpec } from '../src/protocol/agent-actions.js';
import type { ContainerReport } from '../src/protocol/containers.js';
import type { AgentStats } from './agent-stats.js';
import {
  type Busy,
  createContainerOps,
  graceOf,
  isOneShot,
  RUNNING_STATES,
  toSeen,
} from './container-ops.js';
import { createCrashWatch } from './crash-watch.js';
import { createHealer } from './healer.js';
import { createKeyedQueue, mapLimit } from './keyed-queue.js';
import { createKillWatch, type KillWatchAction } from './kill-watch.js';
import { runNetProbe } from './probes/net-probe.js';
import { createNetProber } from './probes/prober.js';
import { toContainerReport } from './reports.js';
import { containerName } from './runtime/labels.js';
import type { ContainerRuntime, RuntimeContainer, RuntimeSubscription } from './runtime/types.js';
import { createStartProber, startProbeFor } from './start-prober.js';
import type { StateStore } from './state-store.js';

/** Docker's events that tell a kill from a crash or a stop (kill-watch.ts). */
const KILL_ACTIONS: ReadonlySet<string> = new Set<KillWatchAction>([
  'start',
  'kill',
  'die',
  'stop',
  'destroy',
]);
/** Containers created or removed at once; a Raspberry Pi's engine is slow at many. */
const PARALLEL_OPERATIONS = 4;
/** How long close() waits for operations in flight (ms); containers keep running anyway. */
const CLOSE_WAIT_MS = 5_000;

export interface InstanceManagerDeps {
  agent: string;
  runtime: ContainerRuntime;
  store: StateStore;
  policy: AgentPolicy;
  address: string | null;
  env: Readonly<Record<string, string | undefined>>;
  /** Time and timers (the one Clock port). */
  clock: Clock;
  stats: AgentStats;
  /** false: no start probes on this host (AgentOptions.startProbe). */
  startProbe: boolean;
  /**
   * Something a containers snapshot shows changed; `urgent` when a container's state or health
   * did (what a deploy may be waiting on to start the next service).
   */
  onChange(urgent: boolean): void;
  log: Logger;
}

export interface InstanceManager {
  /** Subscribes to the runtime's events; each `connected` lists, adopts and recovers. */
  start(): void;
  /** Resolves once the first listing of containers was tried. */
  synced(): Promise<void>;
  startInstances(specs: readonly InstanceSpec[]): Promise<InstanceResult[]>;
  stopInstances(ids: readonly string[], timeoutMs?: number): Promise<InstanceResult[]>;
  removeInstances(ids: readonly string[]): Promise<InstanceResult[]>;
  restartInstances(ids: readonly string[]): Promise<InstanceResult[]>;
  apply(specs: readonly InstanceSpec[]): Promise<InstanceResult[]>;
  reports(): ContainerReport[];
  running(): number;
  close(): Promise<void>;
}

function ok(instance: string, containerId?: string): InstanceResult {
  return { instance, status: 'ok', ...(containerId !== undefined ? { container_id: containerId } : {}) };
}

/** Last entry wins, order of first appearance kept. */
function uniqueSpecs(specs: readonly InstanceSpec[]): InstanceSpec[] {
  const byInstance = new Map<string, InstanceSpec>();
  for (const spec of specs) byInstance.set(spec.instance, spec);
  return [...byInstance.values()];
}

export function createInstanceManager(deps: InstanceManagerDeps): InstanceManager {
  const { agent, runtime, store, stats, log } = deps;
  /** What the agent reports: Docker's view, with start probe verdicts (start-prober.ts). */
  const observed = new Map<string, RuntimeContainer>();
  /** Docker's own latest view, before the probes' verdicts. */
  const docker = new Map<string, RuntimeContainer>();
  const busy = new Map<string, Busy>();
  /** Stopped desired instances a resync is about to start again (reported restarting). */
  const recovering = new Set<string>();
  const queue = createKeyedQueue();
  const refreshes = createKeyedQueue();
  let subscription: RuntimeSubscription | null = null;
  let closed = false;
  let markSynced: () => void = () => undefined;
  const syncedOnce = new Promise<void>((resolve) => {
    markSynced = resolve;
  });

  const changed = (urgent = false) => {
    if (!closed) deps.onChange(urgent);
  };
  const save = () =>
    store.save().catch((err: unknown) => log.error({ err }, 'could not persist the agent state'));
  const countRestart = (instance: string) =>
    store.restarts.set(instance, (store.restarts.get(instance) ?? 0) + 1);

  const healer = createHealer({
    clock: deps.clock,
    policyFor(instance) {
      const entry = store.desired.get(instance);
      return entry?.run ? entry.spec.spec.healing.backoff : null;
    },
    restart: (instance) =>
      queue.run(instance, async () => {
        const entry = store.desired.get(instance);
        const current = await ops.inspectOwn(instance);
        // Stopped, removed or replaced meanwhile: nothing left to heal.
        if (!entry?.run || !current || current.specHash !== entry.spec.spec_hash) return true;
        // Its exit is the agent's restart, not a crash (else healing looks like a crash loop).
        crashes.onPurpose(instance);
        await ops.restart(instance, current.id, graceOf(entry));
        countRestart(instance);
        stats.heal_restarts += 1;
        await save();
        await refresh(instance);
        return true;
      }),
    giveUp: (instance, attempts) =>
      queue.run(instance, async () => {
        store.failed.set(instance, attempts);
        stats.heal_gave_up += 1;
        await save();
        const current = await ops.inspectOwn(instance);
        if (current && RUNNING_STATES.has(current.state)) {
          crashes.onPurpose(instance);
          await ops.stop(instance, current.id, graceOf(store.desired.get(instance)));
        }
        await refresh(instance);
      }),
    currentHealth(instance) {
      const container = observed.get(instance);
      return container?.state === 'running' ? container.health : null;
    },
    onChange: changed,
    log,
  });

  const prober = createStartProber({
    runtime,
    clock: deps.clock,
    // An HTTP/TCP probe is the start probe too (a socket instead of a docker exec).
    probeFor: (container) => {
      const entry = store.desired.get(container.instance);
      if (!deps.startProbe || entry?.spec.spec.health_probe !== undefined) return null;
      return startProbeFor(entry, container);
    },
    // Docker's view has not changed, only the verdict on it: no need to ask Docker again.
    changed: (instance) => {
      void refreshes.run(instance, async () => {
        const seen = prober.seen(instance);
        if (seen !== undefined) setObserved(instance, seen);
      });
    },
    log,
  });

  const crashes = createCrashWatch({
    clock: deps.clock,
    logs: (containerId, tail) => runtime.logs(containerId, tail),
    changed: () => changed(true),
    log,
  });

  // A kill from outside (kill-watch.ts): started again in place, counted as the agent's restart.
  const kills = createKillWatch({
    clock: deps.clock,
    busy: (instance) => busy.has(instance),
    restart: (instance, killedId) =>
      queue.run(instance, async () => {
        const entry = store.desired.get(instance);
        const current = await ops.inspectOwn(instance);
        const next = planAfterKill({
          killed_id: killedId,
          run: entry?.run === true,
          gave_up: store.failed.has(instance) || healer.state(instance)?.gave_up === true,
          spec_hash: entry?.spec.spec_hash ?? '',
          container: current
            ? { id: current.id, running: RUNNING_STATES.has(current.state), spec_hash: current.specHash }
            : null,
        });
        if (next.type === 'leave') {
          log.info({ instance, reason: next.reason }, 'killed container left as it is');
        } else {
          await runtime.start(killedId);
          countRestart(instance);
          stats.heal_restarts += 1;
          await save();
        }
        await refresh(instance);
      }),
    changed: () => changed(true),
    log,
  });

  const netProber = createNetProber({
    clock: deps.clock,
    probeFor(container) {
      const entry = store.desired.get(container.instance);
      // Only the container made from the desired spec: not one being replaced.
      if (!entry?.run || entry.spec.spec_hash !== container.specHash) return null;
      return entry.spec.spec.health_probe ?? null;
    },
    run: runNetProbe,
    changed: (instance) => {
      void refreshes.run(instance, async () => {
        const seen = docker.get(instance);
        if (seen !== undefined) setObserved(instance, seen);
      });
    },
    log,
  });

  const ops = createContainerOps({
    agent,
    runtime,
    store,
    env: deps.env,
    healer,
    busy,
    refresh: (instance) => refresh(instance),
    observed: (instance) => observed.get(instance),
    changed,
    log,
  });

  function setObserved(instance: string, found: RuntimeContainer | null): void {
    const previous = observed.get(instance);
    if (found === null || found.agent !== agent) {
      prober.forget(instance);
      netProber.forget(instance);
      docker.delete(instance);
      if (previous) {
        observed.delete(instance);
        changed(true);
      }
      return;
    }
    docker.set(instance, found);
    const container = netProber.view(prober.view(found));
    observed.set(instance, container);
    const fresh =
      previous === undefined ||
      previous.id !== container.id ||
      previous.health !== container.health ||
      previous.state !== container.state;
    if (fresh && container.state === 'running') healer.observe(instance, container.health);
    changed(fresh);
  }

  /** Re-reads one instance's container; serialized per instance so the newest read wins. */
  function refresh(instance: string): Promise<void> {
    return refreshes.run(instance, async () => {
      try {
        setObserved(instance, await runtime.inspect(containerName(instance)));
      } catch (err) {
        log.warn({ err, instance }, 'could not inspect container');
      }
    });
  }

  /** Runs one instance's operation in its queue; a failure becomes that instance's error result. */
  function guarded(instance: string, task: () => Promise<InstanceResult>): Promise<InstanceResult> {
    return queue.run(instance, task).catch((err: unknown) => {
      const error = toAliciaError(err, 'ALICIA_ERR_RUNTIME');
      if (error.code === 'ALICIA_ERR_DOCKER_UNREACHABLE' || error.code === 'ALICIA_ERR_RUNTIME') {
        stats.runtime_errors += 1;
      }
      // The registry's reason goes back in the answer; retrying is the orchestrator's call
      // (its backoff and budget), never a loop here.
      if (error.code === 'ALICIA_ERR_IMAGE_PULL') stats.pull_failures += 1;
      log.warn({ err: error, instance }, 'instance operation failed');
      return { instance, status: 'error', error: error.toWire() };
    });
  }

  function refused(spec: InstanceSpec): InstanceResult | null {
    const refusal = checkPolicy(spec, deps.policy);
    if (refusal === null) return null;
    stats.policy_refusals += 1;
    log.warn({ instance: spec.instance, code: refusal.code }, refusal.message);
    return {
      instance: spec.instance,
      status: 'error',
      error: { code: refusal.code, message: refusal.message },
    };
  }

  /** Forgets a desired instance (on disk first) and removes its container. */
  function removeDesired(
    instance: string,
    grace = graceOf(store.desired.get(instance)),
  ): Promise<InstanceResult> {
    return guarded(instance, async () => {
      store.desired.delete(instance);
      store.restarts.delete(instance);
      store.failed.delete(instance);
      crashes.forget(instance);
      await save();
      const removed = await ops.remove(instance, grace);
      return ok(instance, removed?.id);
    });
  }

  /** Lists the engine's containers, adopts them as they are, then starts what is missing. */
  async function resyncAndRecover(): Promise<void> {
    let listed: RuntimeContainer[];
    try {
      listed = await runtime.list(agent);
    } catch (err) {
      log.warn({ err }, 'could not list containers; will retry when the engine answers');
      markSynced();
      return;
    }
    const names = new Set(listed.map((c) => c.instance));
    // Desired instances Docker shows stopped (a reboot, a power cut, an engine restart) are
    // started again below: until then they read as restarting, not failed — their exit (137
    // after a power cut) is the host's, not the service's, and the orchestrator took each one
    // for its agent giving up (the long soak's 26 recreates after host reboots).
    for (const step of planRecovery(
      [...store.desired.values()].map((entry) => ({
        want: entry.spec,
        run: entry.run,
        gave_up: store.failed.has(entry.spec.instance),
        one_shot: isOneShot(entry.spec),
      })),
      listed.map(toSeen),
    )) {
      if (step.type === 'start_existing') recovering.add(step.want.instance);
    }
    await Promise.all([
      ...listed.map((c) => refreshes.run(c.instance, async () => setObserved(c.instance, c))),
      ...[...observed.keys()].filter((instance) => !names.has(instance)).map(refresh),
    ]);
    for (const [instance, attempts] of store.failed) {
      if (!healer.state(instance)?.gave_up) healer.restoreGaveUp(instance, attempts);
    }
    log.info({ containers: listed.length, desired: store.desired.size }, 'containers adopted');
    markSynced();
    const steps = planRecovery(
      [...store.desired.values()].map((entry) => ({
        want: entry.spec,
        run: entry.run,
        gave_up: store.failed.has(entry.spec.instance),
        one_shot: isOneShot(entry.spec),
      })),
      [...observed.values()].map(toSeen),
    );
    await mapLimit(steps, PARALLEL_OPERATIONS, (step) =>
      guarded(step.want.instance, async () => {
        const entry = store.desired.get(step.want.instance);
        if (closed || !entry?.run) return ok(step.want.instance);
        log.info({ instance: step.want.instance, step: step.type }, 'recovering desired instance');
        return ok(step.want.instance, (await ops.ensureRunning(entry.spec, false)).id);
      }),
    );
    // Started, or not (the engine refused): from now on the report says what Docker says.
    if (recovering.size > 0) {
      recovering.clear();
      changed(true);
    }
  }

  return {
    start() {
      subscription = runtime.events(agent, (event) => {
        if (closed) return;
        switch (event.type) {
          case 'connected':
            resyncAndRecover().catch((err: unknown) => log.error({ err }, 'resync failed'));
            break;
          case 'disconnected':
            log.warn({ err: event.error }, 'container engine unreachable; containers keep running');
            break;
          case 'container': {
            const killed =
              event.instance !== null && KILL_ACTIONS.has(event.action)
                ? kills.event(event.instance, event.action as KillWatchAction, event.id)
                : false;
            if (event.instance !== null && event.action === 'start') {
              crashes.started(event.instance, event.id, event.at);
            } else if (event.instance !== null && event.action === 'die') {
              const seen = observed.get(event.instance);
              crashes.died(
                event.instance,
                event.id,
                event.at,
                event.exitCode ?? null,
                seen?.id === event.id ? seen.startedAt : null,
                killed,
              );
            }
            if (event.instance !== null) {
              refresh(event.instance).catch((err: unknown) => log.error({ err }, 'refresh failed'));
            }
            break;
          }
        }
      });
    },

    synced: () => syncedOnce,

    startInstances(specs) {
      return mapLimit(uniqueSpecs(specs), PARALLEL_OPERATIONS, async (spec) => {
        const refusal = refused(spec);
        if (refusal) return refusal;
        return guarded(spec.instance, async () => {
          store.desired.set(spec.instance, { spec, run: true });
          if (store.failed.delete(spec.instance)) healer.reset(spec.instance);
          crashes.forget(spec.instance);
          await save();
          return ok(spec.instance, (await ops.ensureRunning(spec, true)).id);
        });
      });
    },

    stopInstances(ids, timeoutMs) {
      return mapLimit([...new Set(ids)], PARALLEL_OPERATIONS, (instance) =>
        guarded(instance, async () => {
          const entry = store.desired.get(instance);
          if (entry) entry.run = false;
          await save();
          healer.forget(instance);
          crashes.forget(instance);
          const current = await ops.inspectOwn(instance);
          if (!current) {
            throw aliciaError(
              'ALICIA_ERR_NOT_FOUND',
              `instance ${instance} has no container on agent ${agent}`,
            );
          }
          if (RUNNING_STATES.has(current.state)) {
            crashes.onPurpose(instance);
            await ops.stop(instance, current.id, timeoutMs ?? graceOf(entry));
          }
          await refresh(instance);
          return ok(instance, current.id);
        }),
      );
    },

    removeInstances(ids) {
      return mapLimit([...new Set(ids)], PARALLEL_OPERATIONS, (instance) => removeDesired(instance));
    },

    restartInstances(ids) {
      return mapLimit([...new Set(ids)], PARALLEL_OPERATIONS, (instance) =>
        guarded(instance, async () => {
          const entry = store.desired.get(instance);
          if (entry) {
            entry.run = true;
            store.failed.delete(instance);
            await save();
          }
          healer.reset(instance);
          crashes.forget(instance);
          const current = await ops.inspectOwn(instance);
          if (!current) {
            if (!entry)
              throw aliciaError(
                'ALICIA_ERR_NOT_FOUND',
                `instance ${instance} is not known to agent ${agent}`,
              );
            return ok(instance, (await ops.ensureRunning(entry.spec, true)).id);
          }
          if (RUNNING_STATES.has(current.state)) crashes.onPurpose(instance);
          await ops.restart(instance, current.id, graceOf(entry));
          countRestart(instance);
          await save();
          await refresh(instance);
          return ok(instance, current.id);
        }),
      );
    },

    async apply(specs) {
      const wanted = uniqueSpecs(specs);
      const results: InstanceResult[] = [];
      const allowed: InstanceSpec[] = [];
      for (const spec of wanted) {
        const refusal = refused(spec);
        if (refusal) results.push(refusal);
        else allowed.push(spec);
      }
      const listed = new Set(wanted.map((spec) => spec.instance));
      const unlisted = new Set([...store.desired.keys()].filter((instance) => !listed.has(instance)));
      try {
        for (const container of await runtime.list(agent)) {
          if (!listed.has(container.instance)) unlisted.add(container.instance);
        }
      } catch (err) {
        log.warn({ err }, 'apply: could not list containers; removing only what was desired before');
      }
      // The new desired set goes to disk first: a crash half-way still converges to it.
      const graces = new Map(
        [...unlisted].map((instance) => [instance, graceOf(store.desired.get(instance))]),
      );
      for (const instance of unlisted) store.desired.delete(instance);
      for (const spec of allowed) {
        const previous = store.desired.get(spec.instance);
        if (previous && previous.spec.spec_hash !== spec.spec_hash) store.failed.delete(spec.instance);
        store.desired.set(spec.instance, { spec, run: true });
      }
      await save();
      const [started, removed] = await Promise.all([
        mapLimit(allowed, PARALLEL_OPERATIONS, (spec) =>
          guarded(spec.instance, async () => {
            if (store.failed.has(spec.instance)) {
              // Healing gave up on this very spec: it stays stopped until a start or restart.
              const current = await ops.inspectOwn(spec.instance);
              if (current && current.specHash === spec.spec_hash) return ok(spec.instance, current.id);
              store.failed.delete(spec.instance);
            }
            return ok(spec.instance, (await ops.ensureRunning(spec, false)).id);
          }),
        ),
        mapLimit([...unlisted], PARALLEL_OPERATIONS, (instance) =>
          removeDesired(instance, graces.get(instance)),
        ),
      ]);
      return [...results, ...started, ...removed];
    },

    reports() {
      return [...observed.values()]
        .sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0))
        .map((container) =>
          toContainerReport(container, {
            agentRestarts: store.restarts.get(container.instance) ?? 0,
            healing: healer.state(container.instance),
            failedAttempts: store.failed.get(container.instance),
            desiredRun: store.desired.get(container.instance)?.run,
            // A killed container, or one a resync is about to start, is restarting, not failed.
            busy:
              busy.get(container.instance) ??
              (kills.pending(container.instance) || recovering.has(container.instance) ? 'restarting' : null),
            address: deps.address,
            crashLoop: crashes.view(container.instance),
            probe: netProber.report(container.instance),
          }),
        );
    },

    running() {
      let count = 0;
      for (const container of observed.values()) if (container.state === 'running') count += 1;
      return count;
    },

    async close() {
      closed = true;
      subscription?.close();
      healer.close();
      prober.close();
      crashes.close();
      kills.close();
      netProber.close();
      let timer: TimerHandle | undefined;
      await Promise.race([
        Promise.all([queue.idle(), refreshes.idle()]),
        new Promise<void>((resolve) => {
          timer = deps.clock.setTimeout(resolve, CLOSE_WAIT_MS);
        }),
      ]);
      deps.clock.clearTimeout(timer);
    },
  };
}
