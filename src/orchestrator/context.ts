// What every part of the control plane shares: adapters, the desired state (read here,
// changed only through its named operations), per-stack locks and in-flight bookkeeping.
import type { Clock } from '../clock/index.js';
import { type AliciaError, aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Topics, WireError } from '../protocol/index.js';
import type { Transport } from '../transport/index.js';
import type { AgentClient } from './agent-client.js';
import type { DesiredState } from './desired-state.js';
import type { EventPublisher } from './events.js';
import type { Healing } from './healing.js';
import type { Registry } from './registry.js';
import type { OrchestratorState, StackRecord } from './store.js';

export interface Settings {
  /** Interval agents heartbeat at (ms); liveness thresholds derive from it. */
  heartbeatMs: number;
  /** An agent offline this long has its instances rescheduled elsewhere (ms). */
  rescheduleGraceMs: number;
  /** A deploy that finds no agent online waits this long for one (ms). */
  agentWaitMs: number;
  /** Startup timeout for stacks that set none (ms). */
  startupTimeoutMs?: number | undefined;
  /** A start not yet visible in the agent's snapshot is not issued again before this long (ms). */
  pendingStartMs: number;
}

export interface Context {
  readonly log: Logger;
  /** Time and every timer of the control plane (the one Clock port). */
  readonly clock: Clock;
  /** `clock.now()`, for the many readers that only need the time. */
  readonly now: () => number;
  readonly topics: Topics;
  readonly transport: Transport;
  readonly registry: Registry;
  readonly agentClient: AgentClient;
  readonly events: EventPublisher;
  readonly settings: Settings;
  /** The desired state, read only (`desired.state`). */
  readonly state: OrchestratorState;
  /** The one writer of the desired state: named operations that persist before they resolve. */
  readonly desired: DesiredState;
  /** Runs `fn` alone for `stack`: deploys, scales, stops and downs of one stack never interleave. */
  withLock<T>(stack: string, fn: () => Promise<T>): Promise<T>;
  isLocked(stack: string): boolean;
  /** agent/instance -> until (ms): starts issued and not yet seen. */
  readonly pendingStarts: Map<string, number>;
  /** agent/instance being stopped and removed -> until when to leave it alone (ms; Infinity while in flight). */
  readonly removing: Map<string, number>;
  /** agent/instance -> the agent's error for its start. */
  readonly startErrors: Map<string, WireError>;
  /** The healing ladder above the agents' restarts: circuits, holds, the persisted history. */
  readonly healing: Healing;
  /** Promises of background work (for close). */
  track(work: Promise<unknown>): void;
}

export const instanceKey = (agent: string, instance: string): string => `${agent}/${instance}`;

export function findStack(ctx: Context, service: string, stack?: string): StackRecord {
  if (stack !== undefined) {
    const record = ctx.state.stacks[stack];
    if (record === undefined) throw notFound(`stack "${stack}" is not deployed`);
    if (!Object.hasOwn(record.stack.services, service)) {
      throw notFound(`stack "${stack}" has no service "${service}"`);
    }
    return record;
  }
  const matches = Object.values(ctx.state.stacks).filter((r) => Object.hasOwn(r.stack.services, service));
  const [only, ...more] = matches;
  if (only === undefined) throw notFound(`no deployed stack has a service "${service}"`);
  if (more.length > 0) {
    throw notFound(
      `service "${service}" is in several stacks (${matches.map((r) => r.name).join(', ')}); name the stack`,
    );
  }
  return only;
}

function notFound(message: string): AliciaError {
  return aliciaError('ALICIA_ERR_NOT_FOUND', message);
}
