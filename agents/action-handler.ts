// Commands on alicia/agents/<id>/cmd/<action>, answered on response/<action>. The transport
// has already parsed each payload with its schema; here: spec fields this agent does not
// speak (refused as unsupported, naming them, before anything else), signature, repeated
// transactions (answered again, never run twice), staleness, then the action itself.
import type { Clock } from '../src/clock/index.js';
import { type ErrorCode, toAliciaError } from '../src/core/errors.js';
import type { Logger } from '../src/logging/logger.js';
import type { Action, ActionResponse, InstanceResult } from '../src/protocol/agent-actions.js';
import { unsupportedFields } from '../src/protocol/container-spec.js';
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
  /** The ContainerSpec features this agent speaks (AgentOptions.protocolFeatures). */
  features: readonly string[];
  clock: Pick<Clock, 'now'>;
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

/** The JSON of a payload the schema refused, or null when it is not JSON at all. */
export function rawBody(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return null; // not JSON: the schema's error says so
  }
}

/**
 * The spec fields of a start or apply command that this agent does not speak (unknown to it,
 * or features outside its pinned set), with the message naming them; null when there are
 * none. `body` is the parsed command, or the raw JSON when the schema refused it (it refuses
 * unknown keys wholesale, without saying "upgrade me").
 */
export function unsupportedIn(
  action: string,
  body: unknown,
  features: readonly string[],
): { fields: string[]; message: string } | null {
  if (action !== 'start' && action !== 'apply') return null;
  const instances = (body as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances)) return null;
  const fields = new Set<string>();
  const where: string[] = [];
  for (const item of instances) {
    const spec = (item as { spec?: unknown } | null)?.spec;
    const found = unsupportedFields(spec, features);
    if (found.length === 0) continue;
    for (const field of found) fields.add(field);
    const instance = (item as { instance?: unknown }).instance;
    where.push(`${typeof instance === 'string' ? instance : '?'} (${found.join(', ')})`);
  }
  if (fields.size === 0) return null;
  const list = [...fields].sort();
  const names = list.map((f) => `"${f}"`).join(', ');
  return {
    fields: list,
    message: `spec field${list.length > 1 ? 's' : ''} ${names} not supported by this agent (it speaks features: ${
      features.length > 0 ? features.join(', ') : 'none beyond the base set'
    }); nothing was created for ${where.join('; ')} — upgrade the agent`,
  };
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
          deps.clock.now(),
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
    const now = deps.clock.now();
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
        ts: deps.clock.now(),
        data: { results },
      }),
      (err: unknown): ActionResponse => {
        const error = toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED');
        clog.error({ err: error }, 'command failed');
        return errorAnswer(transaction, error.code, error.message, deps.clock.now());
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
      // A valid command may still carry a feature outside a pinned set; an invalid one is read
      // again as plain JSON to tell an unknown field from a broken command.
      const unsupported = unsupportedIn(
        action,
        message.ok ? message.payload : rawBody(raw.payload),
        deps.features,
      );
      if (unsupported !== null) {
        // Before the schema's verdict: an unknown field is "upgrade me", not a broken command.
        deps.stats.rejected += 1;
        const transaction = peekTransaction(raw.payload);
        log.warn({ action, transaction, fields: unsupported.fields }, 'command refused: unsupported fields');
        task = send(
          action,
          errorAnswer(transaction, 'ALICIA_ERR_UNSUPPORTED', unsupported.message, deps.clock.now()),
        );
      } else if (!message.ok) {
        deps.stats.rejected += 1;
        const transaction = peekTransaction(raw.payload);
        log.warn(
          { action, transaction, code: message.error.code, reason: message.error.message },
          'invalid command refused',
        );
        task = send(
          action,
          errorAnswer(transaction, message.error.code, message.error.message, deps.clock.now()),
        );
      } else if (!isAgentAction(action)) {
        // parseIncoming refuses unknown actions, so this is only a guard for the types.
        deps.stats.rejected += 1;
        task = send(
          action,
          errorAnswer(null, 'ALICIA_ERR_TOPIC_UNKNOWN', `unknown action ${action}`, deps.clock.now()),
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
