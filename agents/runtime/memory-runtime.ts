// An in-memory ContainerRuntime for fast logic tests and fleet simulation. It passes the
// same contract suite as the Docker adapter and simulates what the agent relies on:
// names, labels, states, exit codes, events, and health. A started process passes its
// healthcheck test unless a test says otherwise with setReady(); the simulated engine probes
// it every healthcheck interval, as Docker does, and the first probe that finds it ready
// turns it healthy; setHealth() forces the engine's verdict.
import { randomBytes } from 'node:crypto';
import { type Clock, systemClock, type TimerHandle } from '../../src/clock/index.js';
import { aliciaError } from '../../src/core/errors.js';
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import { attachmentsOf } from './docker-options.js';
import { containerLabels, containerName, LABELS, reachablePorts } from './labels.js';
import type {
  ContainerRuntime,
  CreateOptions,
  PullProgress,
  RuntimeAction,
  RuntimeContainer,
  RuntimeEvent,
  RuntimeHealth,
  RuntimeState,
} from './types.js';

/**
 * The default clock: systemClock (vitest's fake timers work with it), except that simulated
 * probes must not keep a process alive on their own, so its timeouts are unref'd.
 */
const UNREF_CLOCK: Clock = Object.freeze({
  ...systemClock,
  setTimeout: (fn: () => void, ms: number) => {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return handle;
  },
});

export interface MemoryRuntimeOptions {
  /** Images present locally; undefined: every image is present. */
  images?: readonly string[];
  /** Images a pull can fetch (the rest fail with ALICIA_ERR_IMAGE_PULL). */
  pullable?: readonly string[];
  /** Time and timers (the one Clock port); default systemClock with unref'd timeouts. */
  clock?: Clock;
  defaultNetworkMode?: string;
  /** Engine version reported by version(). */
  engineVersion?: string;
}

export interface MemoryRuntime extends ContainerRuntime {
  /**
   * Test hook: the probe of `instance` now answers `health`. Not sticky (default): a restart
   * makes a fresh container process whose probe passes again. Sticky: it keeps failing.
   */
  setHealth(instance: string, health: 'healthy' | 'unhealthy', options?: { sticky?: boolean }): void;
  /** Test hook: the process of `instance` passes its healthcheck test (or not) from now on, until it restarts. */
  setReady(instance: string, ready: boolean): void;
  /** Test hook: the main process of `instance` exits with `exitCode`. */
  crash(instance: string, exitCode?: number): void;
  /** Test hook: `docker kill` from outside (Docker says `kill`, then `die` with 137). */
  kill(instance: string): void;
  /** Test hook: the engine stops (or starts again) answering; subscribers see it. */
  setReachable(reachable: boolean): void;
  /** Every container, whatever its agent (for assertions and simulations). */
  all(): RuntimeContainer[];
}

interface Box {
  id: string;
  spec: InstanceSpec;
  agent: string;
  name: string;
  labels: Record<string, string>;
  networkMode: string;
  restartPolicy: string;
  state: RuntimeState;
  health: RuntimeHealth;
  exitCode: number | null;
  restartCount: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  probe: TimerHandle | null;
  /** Set by setReady() for this run of the process; null: ready. */
  ready: boolean | null;
  forced: { health: 'healthy' | 'unhealthy'; sticky: boolean } | null;
}

/** Docker's default healthcheck interval (ms) when the spec gives none. */
const DEFAULT_INTERVAL_MS = 30_000;

function hasHealthcheck(spec: InstanceSpec): boolean {
  const check = spec.spec.healthcheck;
  return check !== undefined && check.test[0] !== 'NONE';
}

export function createMemoryRuntime(options: MemoryRuntimeOptions = {}): MemoryRuntime {
  const clock = options.clock ?? UNREF_CLOCK;
  const images = options.images === undefined ? null : new Set(options.images);
  const pullable = new Set(options.pullable ?? []);
  const boxes = new Map<string, Box>();
  /** By container name: lookups stay O(1) in fleet simulations with thousands of containers. */
  const byName = new Map<string, Box>();
  const subscribers = new Set<{ agent: string; handler: (event: RuntimeEvent) => void }>();
  let reachable = true;

  const view = (box: Box): RuntimeContainer => ({
    id: box.id,
    name: box.name,
    instance: box.spec.instance,
    stack: box.spec.stack,
    service: box.spec.service,
    slot: box.spec.slot,
    agent: box.agent,
    specHash: box.spec.spec_hash,
    image: box.spec.spec.image,
    state: box.state,
    health: box.health,
    exitCode: box.exitCode,
    restartCount: box.restartCount,
    restartPolicy: box.restartPolicy,
    createdAt: box.createdAt,
    startedAt: box.startedAt,
    finishedAt: box.finishedAt,
    networkMode: box.networkMode,
    ports: reachablePorts(box.spec.spec, box.networkMode),
    labels: { ...box.labels },
  });

  const emit = (
    box: Box,
    action: RuntimeAction,
    extra: { health?: 'starting' | 'healthy' | 'unhealthy'; exitCode?: number } = {},
  ) => {
    const event: RuntimeEvent = {
      type: 'container',
      action,
      id: box.id,
      instance: box.spec.instance,
      at: clock.now(),
      ...extra,
    };
    for (const subscriber of subscribers) {
      if (subscriber.agent !== box.agent) continue;
      // Docker delivers events asynchronously; so do we.
      queueMicrotask(() => subscriber.handler(event));
    }
  };

  const ensureReachable = (doing: string) => {
    if (!reachable)
      throw aliciaError('ALICIA_ERR_DOCKER_UNREACHABLE', `${doing}: the in-memory engine is down`);
  };

  const find = (idOrName: string): Box | undefined =>
    boxes.get(idOrName) ?? byName.get(idOrName.replace(/^\//, ''));

  const mustFind = (idOrName: string, doing: string): Box => {
    ensureReachable(doing);
    const box = find(idOrName);
    if (!box) throw aliciaError('ALICIA_ERR_NOT_FOUND', `${doing}: No such container: ${idOrName}`);
    return box;
  };

  const isReady = (box: Box): boolean =>
    box.state === 'running' && box.forced?.health !== 'unhealthy' && box.ready !== false;

  const setHealthNow = (box: Box, health: 'healthy' | 'unhealthy') => {
    if (box.state !== 'running' || box.health === health) return;
    box.health = health;
    emit(box, 'health_status', { health });
  };

  const scheduleProbe = (box: Box) => {
    if (box.probe !== null) clock.clearTimeout(box.probe);
    box.probe = null;
    if (!hasHealthcheck(box.spec)) return;
    const interval = box.spec.spec.healthcheck?.interval_ms ?? DEFAULT_INTERVAL_MS;
    box.probe = clock.setTimeout(() => {
      box.probe = null;
      if (box.forced) setHealthNow(box, box.forced.health);
      else if (isReady(box)) setHealthNow(box, 'healthy');
      // Not ready yet: like Docker during start_period, no verdict; probe again.
      else if (box.health === 'starting') scheduleProbe(box);
    }, interval);
  };

  const run = (box: Box) => {
    box.state = 'running';
    box.exitCode = null;
    box.startedAt = clock.now();
    box.health = hasHealthcheck(box.spec) ? 'starting' : 'none';
    box.ready = null;
    if (box.forced && !box.forced.sticky) box.forced = null;
    emit(box, 'start');
    scheduleProbe(box);
  };

  const halt = (box: Box, exitCode: number) => {
    if (box.probe !== null) clock.clearTimeout(box.probe);
    box.probe = null;
    box.state = 'exited';
    box.exitCode = exitCode;
    box.finishedAt = clock.now();
    emit(box, 'die', { exitCode });
  };

  const pullImage = async (image: string, onProgress?: (progress: PullProgress) => void) => {
    ensureReachable(`pull ${image}`);
    if (images === null || images.has(image)) return;
    if (!pullable.has(image)) {
      throw aliciaError(
        'ALICIA_ERR_IMAGE_PULL',
        `${image}: repository does not exist or may require authorization`,
      );
    }
    onProgress?.({ image, status: 'Pulling from memory' });
    images.add(image);
    onProgress?.({ image, status: 'Pull complete' });
  };

  return {
    kind: 'memory',

    async version() {
      return reachable ? (options.engineVersion ?? 'memory') : null;
    },

    async create(spec: InstanceSpec, agent: string, createOptions: CreateOptions = {}) {
      ensureReachable(`create container for instance ${spec.instance}`);
      const name = containerName(spec.instance);
      if (find(name)) {
        throw aliciaError(
          'ALICIA_ERR_RUNTIME',
          `create container for instance ${spec.instance}: Conflict. The container name "/${name}" is already in use`,
          { details: { status: 409 } },
        );
      }
      await pullImage(spec.spec.image, createOptions.onPullProgress);
      const box: Box = {
        id: randomBytes(32).toString('hex'),
        spec,
        agent,
        name,
        labels: containerLabels(spec, agent),
        // As the Docker adapter: the first network joined, else the mode, else Compose's default.
        networkMode:
          attachmentsOf(spec, options.defaultNetworkMode)[0]?.network.name ??
          spec.spec.network_mode ??
          options.defaultNetworkMode ??
          `${spec.stack}_default`,
        restartPolicy: spec.spec.restart.name,
        state: 'created',
        health: 'none',
        exitCode: null,
        restartCount: 0,
        createdAt: clock.now(),
        startedAt: null,
        finishedAt: null,
        probe: null,
        ready: null,
        forced: null,
      };
      boxes.set(box.id, box);
      byName.set(box.name, box);
      emit(box, 'create');
      run(box);
      return view(box);
    },

    async start(idOrName) {
      const box = mustFind(idOrName, `start container ${idOrName}`);
      if (box.state === 'running') return;
      run(box);
    },

    async stop(idOrName) {
      const box = mustFind(idOrName, `stop container ${idOrName}`);
      if (box.state !== 'running') return;
      halt(box, 0);
      emit(box, 'stop');
    },

    async restart(idOrName) {
      const box = mustFind(idOrName, `restart container ${idOrName}`);
      if (box.state === 'running') {
        halt(box, 0);
        emit(box, 'stop');
      }
      run(box);
      emit(box, 'restart');
    },

    async remove(idOrName) {
      const box = mustFind(idOrName, `remove container ${idOrName}`);
      if (box.state === 'running') halt(box, 137);
      boxes.delete(box.id);
      byName.delete(box.name);
      emit(box, 'destroy');
    },

    async probe(idOrName) {
      const box = mustFind(idOrName, `probe container ${idOrName}`);
      return isReady(box);
    },

    async logs(idOrName) {
      ensureReachable(`read the logs of container ${idOrName}`);
      // Its processes write nothing: a crash loop here reports an empty tail.
      return [];
    },

    async inspect(idOrName) {
      ensureReachable(`inspect container ${idOrName}`);
      const box = find(idOrName);
      return box ? view(box) : null;
    },

    async list(agent) {
      ensureReachable('list containers');
      return [...boxes.values()].filter((box) => box.labels[LABELS.agent] === agent).map(view);
    },

    pullImage,

    events(agent, handler) {
      const subscriber = { agent, handler };
      subscribers.add(subscriber);
      if (reachable) queueMicrotask(() => subscribers.has(subscriber) && handler({ type: 'connected' }));
      return { close: () => subscribers.delete(subscriber) };
    },

    async close() {
      subscribers.clear();
      for (const box of boxes.values()) if (box.probe !== null) clock.clearTimeout(box.probe);
    },

    setHealth(instance, health, hookOptions = {}) {
      const box = find(containerName(instance));
      if (!box) throw aliciaError('ALICIA_ERR_NOT_FOUND', `no container for instance ${instance}`);
      box.forced = { health, sticky: hookOptions.sticky ?? false };
      if (box.probe !== null) clock.clearTimeout(box.probe);
      box.probe = null;
      setHealthNow(box, health);
    },

    setReady(instance, ready) {
      const box = find(containerName(instance));
      if (!box) throw aliciaError('ALICIA_ERR_NOT_FOUND', `no container for instance ${instance}`);
      box.ready = ready;
    },

    crash(instance, exitCode = 1) {
      const box = find(containerName(instance));
      if (!box) throw aliciaError('ALICIA_ERR_NOT_FOUND', `no container for instance ${instance}`);
      if (box.state === 'running') halt(box, exitCode);
    },

    kill(instance) {
      const box = find(containerName(instance));
      if (!box) throw aliciaError('ALICIA_ERR_NOT_FOUND', `no container for instance ${instance}`);
      if (box.state !== 'running') return;
      emit(box, 'kill');
      halt(box, 137);
    },

    setReachable(value) {
      if (value === reachable) return;
      reachable = value;
      const event: RuntimeEvent = value
        ? { type: 'connected' }
        : { type: 'disconnected', error: new Error('the in-memory engine is down') };
      for (const subscriber of subscribers) queueMicrotask(() => subscriber.handler(event));
    },

    all() {
      return [...boxes.values()].map(view);
    },
  };
}
