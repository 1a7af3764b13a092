// The ContainerRuntime port's Docker adapter (dockerode).

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { type Clock, systemClock, type TimerHandle } from '../../src/clock/index.js';
import { aliciaError, isAliciaError } from '../../src/core/errors.js';
import { type Logger, silentLogger } from '../../src/logging/logger.js';
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import type { NetworkAttachment } from '../../src/protocol/container-spec.js';
import { createFileStore } from './container-files.js';
import { watchDockerEvents } from './docker-events.js';
import { dockerError, fromInspect, reasonOf, statusOf } from './docker-inspect.js';
import { containerLogTail } from './docker-logs.js';
import { createNetworkManager, toEndpointSettings } from './docker-networks.js';
import { toDockerCreateOptions } from './docker-options.js';
import { ensureVolumes, resolveVolumesFrom } from './docker-volumes.js';
import { readJsonLines } from './json-lines.js';
import { LABELS } from './labels.js';
import { loadDockerode } from './load-dockerode.js';
import type {
  ContainerRuntime,
  CreateOptions,
  ProbeTest,
  PullProgress,
  RuntimeContainer,
  RuntimeSubscription,
} from './types.js';

export interface DockerRuntimeOptions {
  /** How to reach the engine; default: DOCKER_HOST, else the default socket. */
  docker?: Dockerode.DockerOptions;
  /**
   * network_mode for specs that name neither network_mode nor networks. Absent: Compose's
   * default, the stack's `<stack>_default` bridge network (user-defined bridges and Docker's
   * DNS work even on an engine started with --bridge=none).
   */
  defaultNetworkMode?: string;
  /** Where secret and config files are written (0700); default: a directory under the OS temp dir. */
  filesDir?: string;
  /** A pull that has not finished by then fails with ALICIA_ERR_IMAGE_PULL (ms). */
  pullTimeoutMs?: number;
  /** Event stream reconnect backoff (ms). */
  eventsReconnectMinMs?: number;
  eventsReconnectMaxMs?: number;
  /** Timers for pull and probe timeouts and reconnects (the one Clock port); default systemClock. */
  clock?: Clock;
  log?: Logger;
}

const DEFAULT_PULL_TIMEOUT_MS = 300_000;

/** Docker's stop timeout is whole seconds; round up so a grace period is never cut short. */
function graceSeconds(graceMs: number | undefined): { t?: number } {
  return graceMs === undefined ? {} : { t: Math.ceil(graceMs / 1000) };
}

export function createDockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  const Docker = loadDockerode();
  const docker = new Docker(options.docker);
  const log = (options.log ?? silentLogger()).child({ component: 'docker-runtime' });
  const defaultNetworkMode = options.defaultNetworkMode;
  const networks = createNetworkManager(docker, log);
  const files = createFileStore(options.filesDir ?? join(tmpdir(), 'alicia-agent-files'));
  const pullTimeoutMs = options.pullTimeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;
  const subscriptions = new Set<RuntimeSubscription>();

  async function inspect(idOrName: string): Promise<RuntimeContainer | null> {
    try {
      return fromInspect(await docker.getContainer(idOrName).inspect());
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw dockerError(err, `inspect container ${idOrName}`);
    }
  }

  async function imagePresent(image: string): Promise<boolean> {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw dockerError(err, `inspect image ${image}`);
    }
  }

  async function pullImage(image: string, onProgress?: (progress: PullProgress) => void): Promise<void> {
    const pullLog = log.child({ image });
    pullLog.info('pulling image');
    let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        stream?.destroy?.();
        reject(aliciaError('ALICIA_ERR_IMAGE_PULL', `${image}: no answer within ${pullTimeoutMs} ms`));
      }, pullTimeoutMs);
    });
    const pull = (async () => {
      try {
        stream = (await docker.pull(image)) as NodeJS.ReadableStream & { destroy?: () => void };
      } catch (err) {
        const mapped = dockerError(err, `pull ${image}`);
        if (mapped.code === 'ALICIA_ERR_DOCKER_UNREACHABLE') throw mapped;
        // The registry's (or the engine's) own words, without dockerode's "(HTTP code 500) server error".
        throw aliciaError(
          'ALICIA_ERR_IMAGE_PULL',
          `${image}: ${reasonOf(err)
            .replace(/^\(HTTP code \d+\) [^-]*- /, '')
            .trim()}`,
          { cause: err },
        );
      }
      let failure: string | null = null;
      let lastStatus = '';
      await readJsonLines(stream, (line) => {
        if (line === null || typeof line !== 'object') return;
        const item = line as {
          status?: string;
          id?: string;
          error?: string;
          progressDetail?: { current?: number; total?: number };
        };
        // A failed pull still answers 200; the failure is a line with `error`.
        if (typeof item.error === 'string') failure = item.error;
        if (typeof item.status === 'string') {
          const progress: PullProgress = {
            image,
            status: item.status,
            ...(item.id !== undefined ? { layer: item.id } : {}),
            ...(item.progressDetail?.current !== undefined ? { current: item.progressDetail.current } : {}),
            ...(item.progressDetail?.total !== undefined ? { total: item.progressDetail.total } : {}),
          };
          onProgress?.(progress);
          if (item.status !== lastStatus) {
            lastStatus = item.status;
            pullLog.debug({ status: item.status, layer: item.id }, 'pull progress');
          }
        }
      });
      if (failure !== null) throw aliciaError('ALICIA_ERR_IMAGE_PULL', `${image}: ${failure}`);
      if (!(await imagePresent(image))) {
        throw aliciaError('ALICIA_ERR_IMAGE_PULL', `${image}: the pull ended but the image is not present`);
      }
    })();
    try {
      await Promise.race([pull, timeout]);
      pullLog.info('image pulled');
    } catch (err) {
      const mapped = isAliciaError(err)
        ? err
        : aliciaError('ALICIA_ERR_IMAGE_PULL', `${image}: ${String(err)}`, { cause: err });
      pullLog.warn({ err: mapped }, 'image pull failed');
      throw mapped;
    } finally {
      clock.clearTimeout(timer);
      pull.catch(() => undefined);
    }
  }

  /** Creates the container; when Docker has no such image, pulls it and creates again. */
  async function createOrPull(
    spec: InstanceSpec,
    createOptions: Dockerode.ContainerCreateOptions,
    options: CreateOptions,
  ): Promise<Dockerode.Container> {
    const policy = spec.spec.pull_policy ?? 'missing';
    // pull_policy always: pull before every create, as `docker compose up --pull always`.
    if (policy === 'always') await pullImage(spec.spec.image, options.onPullProgress);
    try {
      return await docker.createContainer(createOptions);
    } catch (err) {
      // 404 is also a missing network or volume driver: pull only if the image is absent.
      if (statusOf(err) !== 404 || (await imagePresent(spec.spec.image))) throw err;
    }
    if (policy === 'never') {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `image ${spec.spec.image} is not on this host and the service's pull_policy is never; load it here (docker load) or use pull_policy: missing`,
      );
    }
    await pullImage(spec.spec.image, options.onPullProgress);
    return docker.createContainer(createOptions);
  }

  /**
   * Tests still running past their timeout, by container. The Engine API cannot kill an exec:
   * a container whose last test is still running gets no new one (it counts as failed), so a
   * hanging test never piles up processes in it.
   */
  const lingering = new Set<string>();

  /** Runs the test with its output attached (and dropped) so the call ends when it exits. */
  async function probe(idOrName: string, test: ProbeTest, timeoutMs: number): Promise<boolean> {
    if (lingering.has(idOrName)) return false;
    // As Docker's own healthcheck: CMD-SHELL runs under the image's shell, /bin/sh -c.
    const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1]] : test.slice(1);
    let exec: Dockerode.Exec;
    try {
      exec = await docker.getContainer(idOrName).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    } catch (err) {
      if (statusOf(err) === 409) return false; // not running (stopped, paused, restarting)
      throw dockerError(err, `probe container ${idOrName}`);
    }
    let timer: TimerHandle | undefined;
    let settled = false;
    const finished = (async () => {
      const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve) => {
        stream.once('end', resolve);
        stream.once('close', resolve);
        stream.once('error', () => resolve());
        stream.resume();
      });
      return (await exec.inspect()).ExitCode === 0;
    })().finally(() => {
      settled = true;
      lingering.delete(idOrName);
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = clock.setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([finished, timedOut]);
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw dockerError(err, `probe container ${idOrName}`);
    } finally {
      clock.clearTimeout(timer);
      // A test past its timeout is left to finish in the container; until it has, no other.
      if (!settled) lingering.add(idOrName);
      finished.catch(() => undefined);
    }
  }

  /**
   * Runs `task` with the networks present. A prune by the stack's last other container may
   * remove a network between ensure and use (404): ensure again, a few times.
   */
  async function withNetworks<T>(
    stack: string,
    attachments: readonly NetworkAttachment[],
    agent: string,
    task: () => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      await networks.ensure(stack, attachments, agent);
      try {
        return await task();
      } catch (err) {
        const networkGone = statusOf(err) === 404 && /network/i.test(String((err as Error).message));
        if (!networkGone || attachments.length === 0 || attempt >= 3) throw err;
      }
    }
  }

  /** network_mode `service:x`: the running container of service x of the same stack here. */
  async function resolveNetworkMode(spec: InstanceSpec): Promise<string | undefined> {
    const mode = spec.spec.network_mode;
    if (mode === undefined || !mode.startsWith('service:')) return undefined;
    const service = mode.slice('service:'.length);
    const found = await docker.listContainers({
      filters: {
        label: [`${LABELS.stack}=${spec.stack}`, `${LABELS.service}=${service}`],
        status: ['running'],
      },
    });
    const target = found[0];
    if (target === undefined) {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `instance ${spec.instance} shares the network of service ${service}, which has no running container on this host; place both on the same host`,
      );
    }
    return `container:${target.Id}`;
  }

  async function removeQuietly(id: string): Promise<void> {
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      log.warn({ err, id }, 'could not remove a container that failed to start');
    }
  }

  return {
    kind: 'docker',

    async version() {
      try {
        return (await docker.version()).Version;
      } catch (err) {
        log.debug({ err }, 'docker version unavailable');
        return null;
      }
    },

    async create(spec: InstanceSpec, agent: string, createOptions: CreateOptions = {}) {
      const filePaths = await files.write(spec.instance, spec.spec.files ?? []);
      const plan = toDockerCreateOptions(spec, {
        agent,
        defaultNetworkMode,
        resolvedNetworkMode: await resolveNetworkMode(spec),
        resolvedVolumesFrom: await resolveVolumesFrom(docker, spec),
        filePaths,
        env: createOptions.env ?? process.env,
      });
      for (const warning of plan.warnings) log.warn({ instance: spec.instance }, warning);
      let container: Dockerode.Container;
      try {
        await ensureVolumes(docker, spec.stack, spec.spec.volumes ?? [], agent);
        container = await withNetworks(spec.stack, plan.networks, agent, () =>
          // Create first, pull only when that finds no image (as `docker run` does): an image
          // check before every create costs a round trip on the start path for nothing.
          createOrPull(spec, plan.options, createOptions),
        );
      } catch (err) {
        await files.remove(spec.instance);
        throw dockerError(err, `create container for instance ${spec.instance}`);
      }
      try {
        for (const attachment of plan.connect) {
          await withNetworks(spec.stack, [attachment], agent, () =>
            docker.getNetwork(attachment.network.name).connect({
              Container: container.id,
              EndpointConfig: toEndpointSettings(attachment),
            }),
          );
        }
        await container.start();
      } catch (err) {
        // Leave nothing half-made behind: a retry creates the container afresh.
        await removeQuietly(container.id);
        await files.remove(spec.instance);
        await networks.prune(spec.stack);
        throw dockerError(err, `start container for instance ${spec.instance}`);
      }
      const created = await inspect(container.id);
      if (!created)
        throw aliciaError(
          'ALICIA_ERR_RUNTIME',
          `container for instance ${spec.instance} vanished after start`,
        );
      return created;
    },

    async start(idOrName) {
      try {
        await docker.getContainer(idOrName).start();
      } catch (err) {
        if (statusOf(err) === 304) return; // already running
        throw dockerError(err, `start container ${idOrName}`);
      }
    },

    async stop(idOrName, graceMs) {
      try {
        await docker.getContainer(idOrName).stop(graceSeconds(graceMs));
      } catch (err) {
        if (statusOf(err) === 304) return; // already stopped
        throw dockerError(err, `stop container ${idOrName}`);
      }
    },

    async restart(idOrName, graceMs) {
      try {
        await docker.getContainer(idOrName).restart(graceSeconds(graceMs));
      } catch (err) {
        throw dockerError(err, `restart container ${idOrName}`);
      }
    },

    async remove(idOrName) {
      const before = await inspect(idOrName);
      try {
        await docker.getContainer(idOrName).remove({ force: true, v: true });
      } catch (err) {
        throw dockerError(err, `remove container ${idOrName}`);
      }
      if (before !== null) {
        // Its secret files go with it; its stack's networks with the stack's last container.
        await files.remove(before.instance);
        if (before.stack !== '') await networks.prune(before.stack);
      }
    },

    probe,

    logs: (idOrName, tail) => containerLogTail(docker, idOrName, tail),

    inspect,

    async list(agent) {
      let summaries: Dockerode.ContainerInfo[];
      try {
        summaries = await docker.listContainers({
          all: true,
          filters: { label: [`${LABELS.agent}=${agent}`] },
        });
      } catch (err) {
        throw dockerError(err, 'list containers');
      }
      const found = await Promise.all(summaries.map((summary) => inspect(summary.Id)));
      return found.filter((c): c is RuntimeContainer => c !== null);
    },

    pullImage,

    events(agent, handler) {
      const subscription = watchDockerEvents(docker, agent, handler, {
        minMs: options.eventsReconnectMinMs ?? 250,
        maxMs: options.eventsReconnectMaxMs ?? 5_000,
        clock,
        log,
      });
      subscriptions.add(subscription);
      return {
        close() {
          subscriptions.delete(subscription);
          subscription.close();
        },
      };
    },

    async close() {
      for (const subscription of subscriptions) subscription.close();
      subscriptions.clear();
    },
  };
}
