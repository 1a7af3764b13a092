// Commands on alicia/agents/<id>/cmd/<action>, answered on response/<action>. The transport
// has already parsed each payload with its schema; here: signature, repeated transactions
// (answered again, never run twice), staleness, then the action itself.
import { type ErrorCode, toAliciaError } from '../src/core/errors.js';
import type { Logger } from '../src/logging/logger.js';
import type { Action, ActionResponse, InstanceResult } from '../src/protocol/agent-actions.js';
import type { Incoming } from '../src/protocol/messages.js';
import { peekTransaction } from '../src/protocol/parse.js';
import { verifyCommand } from '../src/protocol/signature.js';
import { type AgentAction, isAgentAction } from '../src/protocol/topics.js';
import { PROTOCOL_VERSION } from '../src/protocol/version.js';
import type { AgentStats } from './agent-stats.js';
import type { InstanceManager } from './instance-manager.js';
import type { TransactionLog } from './transactions.js';

export interface CommandHandlerDeps {
  agent: string;
  prefix: string;
  manager: InstanceManager;
  transactions: TransactionLog;
  commandSecret?: string;
  now(): number;
  stats: AgentStats;
  /** Publishes an answer (QoS 1); failures are logged by the caller. */
  respond(topic: string, response: ActionResponse): Promise<void>;
  /** Republishes info and containers (the resync action). */
  resync(): Promise<void>;
  log: Logger;
}

export interface ActionHandler {
  /** Handles one message from a command topic; never throws. */
  handle(message: Incoming, raw: { topic: string; payload: Buffer }): void;
  /** Resolves when every command received so far is answered. */
  idle(): Promise<void>;
}

function errorAnswer(
  transaction: string | null,
  code: ErrorCode,
  message: string,
  ts: number,
): ActionResponse {
  return { v: PROTOCOL_VERSION, transaction, status: 'error', ts, error: { code, message } };
}

export function createActionHandler(deps: CommandHandlerDeps): ActionHandler {
  const log = deps.log;
  const inFlight = new Set<Promise<void>>();
  // The action is a single valid topic level (parseTopic checked it), even when unknown.
  const responseTopic = (action: string) => `${deps.prefix}/agents/${deps.agent}/response/${action}`;

  const send = (action: string, answer: ActionResponse) =>
    deps.respond(responseTopic(action), answer).catch((err: unknown) => {
      log.warn({ err, action, transaction: answer.transaction }, 'could not publish the answer');
    });

  async function execute(action: AgentAction, command: Action): Promise<InstanceResult[]> {
    switch (action) {
      case 'start':
        return deps.manager.startInstances((command as Action<'start'>).instances);
      case 'stop': {
        const stop = command as Action<'stop'>;
        return deps.manager.stopInstances(stop.instances, stop.timeout_ms);
      }
      case 'remove':
        return deps.manager.removeInstances((command as Action<'remove'>).instances);
      case 'restart':
        return deps.manager.restartInstances((command as Action<'restart'>).instances);
      case 'apply':
        return deps.manager.apply((command as Action<'apply'>).instances);
      case 'resync':
        await deps.resync();
        return [];
    }
  }

  async function run(action: AgentAction, command: Action): Promise<void> {
    const transaction = command.transaction;
    const clog = log.child({ action, transaction });
    if (deps.commandSecret !== undefined && !verifyCommand(command, deps.commandSecret)) {
      deps.stats.bad_signatures += 1;
      clog.warn('command refused: signature missing or invalid');
      // Not recorded: a forged copy must not block the genuine command with that transaction.
      await send(
        action,
        errorAnswer(
          transaction,
          'ALICIA_ERR_SIGNATURE',
          `command ${transaction} is not signed with this agent's secret`,
          deps.now(),
        ),
      );
      return;
    }
    const known = deps.transactions.get(transaction);
    if (known !== undefined) {
      deps.stats.duplicates += 1;
      clog.info('repeated transaction: answering again without running it');
      await send(action, await known);
      return;
    }
    deps.stats.commands += 1;
    const now = deps.now();
    if (command.expires_at < now) {
      deps.stats.stale += 1;
      const answer = errorAnswer(
        transaction,
        'ALICIA_ERR_COMMAND_STALE',
        `command ${transaction} expired at ${new Date(command.expires_at).toISOString()}, ${now - command.expires_at} ms before it arrived`,
        now,
      );
      clog.warn({ expiresAt: command.expires_at, now }, 'stale command refused');
      deps.transactions.record(transaction, answer);
      await send(action, answer);
      return;
    }
    const answer = execute(action, command).then(
      (results): ActionResponse => ({
        v: PROTOCOL_VERSION,
        transaction,
        status: 'ok',
        ts: deps.now(),
        data: { results },
      }),
      (err: unknown): ActionResponse => {
        const error = toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED');
        clog.error({ err: error }, 'command failed');
        return errorAnswer(transaction, error.code, error.message, deps.now());
      },
    );
    deps.transactions.begin(transaction, answer);
    const done = await answer;
    const failures =
      done.status === 'ok' ? (done.data?.results ?? []).filter((r) => r.status === 'error').length : 1;
    clog.info({ failures }, 'command answered');
    await send(action, done);
  }

  return {
    handle(message, raw) {
      const topic = message.topic;
      if (topic === null || topic.kind !== 'agent_cmd') return;
      if (topic.agent !== deps.agent) {
        log.warn({ topic: raw.topic }, 'command for another agent ignored');
        return;
      }
      const action = topic.action;
      let task: Promise<void>;
      if (!message.ok) {
        deps.stats.rejected += 1;
        const transaction = peekTransaction(raw.payload);
        log.warn(
          { action, transaction, code: message.error.code, reason: message.error.message },
          'invalid command refused',
        );
        task = send(action, errorAnswer(transaction, message.error.code, message.error.message, deps.now()));
      } else if (!isAgentAction(action)) {
        // parseIncoming refuses unknown actions, so this is only a guard for the types.
        deps.stats.rejected += 1;
        task = send(
          action,
          errorAnswer(null, 'ALICIA_ERR_TOPIC_UNKNOWN', `unknown action ${action}`, deps.now()),
        );
      } else {
        task = run(action, message.payload as Action).catch((err: unknown) => {
          log.error(
            { err: toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED'), action },
            'command handling failed',
          );
        });
      }
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
