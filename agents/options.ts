// What startAgent takes and returns (the API the orchestrator's `alicia up` embeds).
import type { Clock } from '../src/clock/index.js';
import type { AgentPolicy } from '../src/core/agent-plan/index.js';
import type { Logger } from '../src/logging/logger.js';
import type { ContainerReport } from '../src/protocol/containers.js';
import type { Transport } from '../src/transport/index.js';
import type { AgentStats } from './agent-stats.js';
import type { ContainerRuntime } from './runtime/types.js';

export type { AgentPolicy };

export interface AgentOptions {
  /** Agent id (TopicIdSchema): one topic level, also the MQTT user name by convention. */
  id: string;
  brokerUrl: string;
  username?: string;
  password?: string;
  /** CA, client certificate and key files for mqtts:// */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Topic prefix; default 'alicia'. */
  prefix?: string;
  /** node.labels.* for placement. */
  labels?: Record<string, string>;
  role?: 'worker' | 'manager';
  /** node.hostname for placement; default os.hostname(). */
  hostname?: string;
  /** Desired instances, session counter and transaction log live here (atomic writes). */
  stateDir: string;
  /** Heartbeat period (ms); default 1000. */
  heartbeatMs?: number;
  /** Default: the dockerode adapter (DOCKER_HOST or the default socket). */
  runtime?: ContainerRuntime;
  /** Enforced whatever the broker says; default: no privileged, no host paths, any image. */
  policy?: AgentPolicy;
  /** Shared secret: when set, commands must carry a valid `sig` (HMAC-SHA256). */
  commandSecret?: string;
  log?: Logger;
  /** Address reported for this host's containers; default: loopback for a loopback broker, else the first external IPv4. */
  address?: string;
  /** MQTT keepalive (s); the broker publishes the will after 1.5× without traffic. Default 5. */
  keepaliveS?: number;
  /** First broker reconnect delay (ms), doubling up to maxReconnectMs. Defaults 500 / 5000. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /**
   * Containers snapshot throttle (ms): the first change after a quiet period is published at
   * once, later ones at most once per this period. Default 100.
   */
  snapshotDebounceMs?: number;
  /**
   * false: leave health to Docker's own probes on this host — no start probe whatever the
   * stacks say (a host short of CPU: each probe is a `docker exec`). Default true.
   */
  startProbe?: boolean;
  /** Time and timers (the one Clock port); default systemClock. */
  clock?: Clock;
  /**
   * The ContainerSpec features this agent speaks and announces in its info; default all of
   * this version's (FEATURES). Pinning fewer is for tests and rolling upgrades: the agent then
   * behaves as an older one would, refusing any other feature field as unsupported.
   */
  protocolFeatures?: readonly string[];
}

export interface Agent {
  readonly id: string;
  /** Session of the current connection (grows on every connect, persisted). */
  readonly session: number;
  readonly stats: Readonly<AgentStats>;
  /** Its MQTT connection (read-only use: metrics). */
  readonly transport: Pick<Transport, 'stats' | 'connected' | 'protocolVersion'>;
  /** The managed containers as last reported. */
  containers(): ContainerReport[];
  /** Clean stop: publishes offline, leaves containers running. */
  close(): Promise<void>;
}
