// The ContainerRuntime port: what the agent needs from a container engine. The Docker
// adapter (dockerode) and the in-memory one both pass test/contract/container-runtime.contract.ts.
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import type { ProbeTest } from '../../src/protocol/container-spec.js';

/** A healthcheck test that runs something: `['CMD', exe, ...args]` or `['CMD-SHELL', script]`. */
export type { ProbeTest };

/** Docker's container states. */
export type RuntimeState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's health states; `none` when the container has no healthcheck. */
export type RuntimeHealth = 'starting' | 'healthy' | 'unhealthy' | 'none';

/** One managed container as the engine reports it (labels already read back). */
export interface RuntimeContainer {
  readonly id: string;
  /** Without Docker's leading slash: alicia-<instance>. */
  readonly name: string;
  readonly instance: string;
  readonly stack: string;
  readonly service: string;
  readonly slot: number;
  readonly agent: string;
  readonly specHash: string;
  readonly image: string;
  readonly state: RuntimeState;
  readonly health: RuntimeHealth;
  /** Exit code of the last run; null while running or before the first run. */
  readonly exitCode: number | null;
  /** Restarts done by the engine's restart policy (Docker's RestartCount). */
  readonly restartCount: number;
  /** Docker's restart policy name (no, always, unless-stopped, on-failure). */
  readonly restartPolicy: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly networkMode: string;
  /** Ports the service listens on, as reachable from the host. */
  readonly ports: readonly number[];
  readonly labels: Readonly<Record<string, string>>;
}

export type RuntimeAction =
  | 'create'
  | 'start'
  | 'die'
  | 'oom'
  | 'kill'
  | 'stop'
  | 'restart'
  | 'destroy'
  | 'pause'
  | 'unpause'
  | 'health_status';

export type RuntimeEvent =
  /** Something happened to one managed container. */
  | {
      readonly type: 'container';
      readonly action: RuntimeAction;
      readonly id: string;
      /** From the alicia.instance label; null when the container carries none. */
      readonly instance: string | null;
      /** With health_status. */
      readonly health?: Exclude<RuntimeHealth, 'none'>;
      /** With die. */
      readonly exitCode?: number;
      /** Epoch milliseconds. */
      readonly at: number;
    }
  /** The event stream is (re)connected: list containers again, events may have been missed. */
  | { readonly type: 'connected' }
  /** The event stream broke (engine restarted or unreachable); it reconnects by itself. */
  | { readonly type: 'disconnected'; readonly error: Error };

export interface PullProgress {
  readonly image: string;
  /** Docker's status line: "Pulling fs layer", "Downloading", "Pull complete", … */
  readonly status: string;
  readonly layer?: string;
  readonly current?: number;
  readonly total?: number;
}

export interface RuntimeSubscription {
  close(): void;
}

export interface CreateOptions {
  /** Environment used for `KEY` entries without a value (Compose `- FOO`): default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onPullProgress?: (progress: PullProgress) => void;
}

export interface ContainerRuntime {
  readonly kind: 'docker' | 'memory';
  /** The engine's version, or null when it cannot be asked. */
  version(): Promise<string | null>;
  /**
   * Creates the container `alicia-<instance>` from the spec, labelled for `agent`, and
   * starts it; pulls the image first when it is not present. Fails (nothing created) when a
   * container of that name exists already.
   */
  create(spec: InstanceSpec, agent: string, options?: CreateOptions): Promise<RuntimeContainer>;
  start(idOrName: string): Promise<void>;
  /** Stops with a grace period (ms) before the engine kills; default: the container's own. */
  stop(idOrName: string, graceMs?: number): Promise<void>;
  restart(idOrName: string, graceMs?: number): Promise<void>;
  /** Removes the container, killing it if it still runs, and its anonymous volumes. */
  remove(idOrName: string): Promise<void>;
  /**
   * Runs a healthcheck test in the running container once, now, as the engine's own
   * healthcheck would (CMD: the program; CMD-SHELL: `/bin/sh -c`), and answers whether it
   * exited 0 within `timeoutMs`. The engine's health verdict is left as it is. false when
   * the container is not running; ALICIA_ERR_NOT_FOUND when there is no such container.
   */
  probe(idOrName: string, test: ProbeTest, timeoutMs: number): Promise<boolean>;
  /**
   * The last `tail` lines the container wrote (stdout and stderr), oldest first; [] when it
   * wrote none or is gone. Read when it is crash-looping, to say why.
   */
  logs(idOrName: string, tail: number): Promise<string[]>;
  /** null when no such container exists. */
  inspect(idOrName: string): Promise<RuntimeContainer | null>;
  /** Every container (running or not) labelled alicia.agent=<agent>. */
  list(agent: string): Promise<RuntimeContainer[]>;
  /** Makes the image present, pulling it when missing; ALICIA_ERR_IMAGE_PULL when it cannot. */
  pullImage(image: string, onProgress?: (progress: PullProgress) => void): Promise<void>;
  /** Events of the containers labelled alicia.agent=<agent>; reconnects by itself. */
  events(agent: string, handler: (event: RuntimeEvent) => void): RuntimeSubscription;
  close(): Promise<void>;
}
