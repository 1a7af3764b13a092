// Commands to agents with at-least-once delivery: a command whose response does not arrive
// is published again with the same transaction (the agent answers again from its record
// and never runs it twice) until it expires; then we wait for a late answer up to a limit.
import { nanoid } from 'nanoid';
import type { Clock, TimerHandle } from '../clock/index.js';
import { aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import {
  type Action,
  type ActionResponse,
  type AgentAction,
  PROTOCOL_VERSION,
  type Topics,
} from '../protocol/index.js';
import { signCommand } from '../protocol/signature.js';
import type { Transport } from '../transport/index.js';

export interface AgentClientOptions {
  transport: Transport;
  topics: Topics;
  log: Logger;
  clock: Clock;
  /** The orchestrator's presence session, carried in every command. */
  session: () => number;
  /** Re-publish an unanswered command after this long (ms). */
  retryMs?: number;
  /** The agent refuses a command older than this (expires_at = issued_at + ttlMs) (ms). */
  ttlMs?: number;
  /** Give up waiting for any answer after this long (ms): starts may pull images. */
  answerTimeoutMs?: number;
  /** Shared secret: commands carry an HMAC signature the agents verify. */
  commandSecret?: string | undefined;
}

type Body<A extends AgentAction> = Omit<
  Action<A>,
  'v' | 'transaction' | 'issued_at' | 'expires_at' | 'session' | 'sig'
>;

export interface AgentClient {
  send<A extends AgentAction>(agent: string, action: A, body: Body<A>): Promise<ActionResponse>;
  /** Feed a response that arrived on alicia/agents/<agent>/response/<action>. */
  onResponse(agent: string, response: ActionResponse): void;
  /** Pending commands (for tests and stats). */
  pending(): number;
  close(): void;
}

interface Pending {
  agent: string;
  resolve(response: ActionResponse): void;
  reject(err: Error): void;
  retry: TimerHandle | null;
  deadline: TimerHandle;
}

export function createAgentClient(options: AgentClientOptions): AgentClient {
  const { transport, topics, log, clock } = options;
  const retryMs = options.retryMs ?? 2_000;
  const ttlMs = options.ttlMs ?? 30_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 180_000;
  const pending = new Map<string, Pending>();

  const clear = (transaction: string): Pending | undefined => {
    const p = pending.get(transaction);
    if (p === undefined) return undefined;
    pending.delete(transaction);
    clock.clearTimeout(p.retry);
    clock.clearTimeout(p.deadline);
    return p;
  };

  return {
    send(agent, action, body) {
      const issued = clock.now();
      const transaction = nanoid();
      let command = {
        ...body,
        v: PROTOCOL_VERSION,
        transaction,
        issued_at: issued,
        expires_at: issued + ttlMs,
        session: options.session(),
      } as Action;
      if (options.commandSecret !== undefined) command = signCommand(command, options.commandSecret);
      const topic = topics.agentCmd(agent, action);
      return new Promise<ActionResponse>((resolve, reject) => {
        const entry: Pending = {
          agent,
          resolve,
          reject,
          retry: null,
          deadline: clock.setTimeout(() => {
            clear(transaction);
            reject(
              aliciaError(
                'ALICIA_ERR_TIMEOUT',
                `agent ${agent} did not answer ${action} within ${answerTimeoutMs} ms`,
                {
                  details: { agent, action, transaction },
                },
              ),
            );
          }, answerTimeoutMs),
        };
        pending.set(transaction, entry);
        const attempt = (n: number): void => {
          if (!pending.has(transaction)) return;
          transport.publish(topic, command, { qos: 1 }).catch((err: unknown) => {
            log.warn({ err, agent, action, transaction }, 'command not published');
          });
          // Stop re-sending once the agent would refuse it as stale; keep waiting for the answer.
          if (clock.now() + retryMs < issued + ttlMs) {
            entry.retry = clock.setTimeout(() => {
              log.debug(
                { agent, action, transaction, attempt: n + 1 },
                'no answer yet; sending the command again',
              );
              attempt(n + 1);
            }, retryMs);
          } else {
            entry.retry = null;
          }
        };
        attempt(0);
      });
    },
    onResponse(agent, response) {
      if (response.transaction === null) {
        log.warn(
          { agent, error: response.status === 'error' ? response.error : undefined },
          'agent could not read a command',
        );
        return;
      }
      const p = pending.get(response.transaction);
      // Answers to a retried command arrive more than once; only the first counts.
      if (p === undefined || p.agent !== agent) return;
      clear(response.transaction);
      p.resolve(response);
    },
    pending: () => pending.size,
    close() {
      for (const transaction of [...pending.keys()]) {
        clear(transaction)?.reject(aliciaError('ALICIA_ERR_TIMEOUT', 'the orchestrator is closing'));
      }
    },
  };
}
