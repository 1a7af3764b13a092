// The request API on alicia/orchestrator/request/<method>: every request is answered on
// its reply_to, bad ones included (bad JSON, wrong schema, unknown method) as long as a
// reply_to can be read from them. A deploy is answered when it has finished.
import { dirname, join } from 'node:path';
import { parseStack } from '../compose/index.js';
import { type AliciaError, aliciaError, toAliciaError } from '../core/errors.js';
import {
  HEALING_EVENT_TYPES,
  type Incoming,
  PROTOCOL_VERSION,
  parseTopic,
  peekReplyTo,
  peekTransaction,
  type Request,
  type RequestMethod,
  toHistoryEntry,
} from '../protocol/index.js';
import type { Context } from './context.js';
import { runDeploy } from './deploy-runner.js';
import { downStack, restartService, scaleService, stopService } from './operations.js';
import { agentRows, allServiceStates, systemHealth } from './status.js';
import type { StackRecord } from './store.js';

export interface RequestStats {
  answered: number;
  failed: number;
  /** Requests so broken that no reply_to could be read: logged and counted, not answered. */
  unanswerable: number;
}

export function createRequestHandler(
  ctx: Context,
  hooks: { startedMs: number; onStackRemoved: (record: StackRecord) => Promise<void> },
) {
  const stats: RequestStats = { answered: 0, failed: 0, unanswerable: 0 };

  const reply = async (
    replyTo: string,
    transaction: string | null,
    result: { data: unknown } | { error: AliciaError },
  ) => {
    const payload =
      'error' in result
        ? { v: PROTOCOL_VERSION, transaction, status: 'error' as const, error: result.error.toWire() }
        : { v: PROTOCOL_VERSION, transaction, status: 'ok' as const, data: result.data };
    if ('error' in result) stats.failed += 1;
    stats.answered += 1;
    await ctx.transport.publish(replyTo, payload, { qos: 1 });
  };

  async function dispatch(method: RequestMethod, request: Request): Promise<unknown> {
    switch (method) {
      case 'deploy': {
        const r = request as Request<'deploy'>;
        const first = r.files[0]?.name ?? 'compose.yaml';
        const dotenv = join(dirname(first), '.env');
        const stack = parseStack(
          r.files.map((f) => ({ file: f.name, text: f.text })),
          {
            projectName: r.project,
            projectDirectory: dirname(first),
            env: r.env ?? {},
            readFile: (path) => (path === dotenv ? r.env_file : undefined),
          },
        );
        return ctx.withLock(stack.name, () => runDeploy(ctx, stack, { op: 'deploy' }));
      }
      case 'scale': {
        const r = request as Request<'scale'>;
        return scaleService(ctx, { stack: r.stack, service: r.service, replicas: r.replicas });
      }
      case 'restart': {
        const r = request as Request<'restart'>;
        return restartService(ctx, { stack: r.stack, service: r.service });
      }
      case 'heal': {
        const r = request as Request<'heal'>;
        ctx.events.emit('healing_action', {
          stack: r.stack,
          service: r.service,
          action: 'restart',
          reason: 'operator',
        });
        return restartService(ctx, { stack: r.stack, service: r.service }, 'heal requested by an operator');
      }
      case 'stop': {
        const r = request as Request<'stop'>;
        return stopService(ctx, { stack: r.stack, service: r.service });
      }
      case 'down': {
        const r = request as Request<'down'>;
        return downStack(ctx, { stack: r.stack }, hooks.onStackRemoved);
      }
      case 'ps': {
        const r = request as Request<'ps'>;
        if (r.stack !== undefined && ctx.state.stacks[r.stack] === undefined) {
          throw aliciaError('ALICIA_ERR_NOT_FOUND', `stack "${r.stack}" is not deployed`);
        }
        return { services: allServiceStates(ctx, r.stack) };
      }
      case 'agents':
        return { agents: agentRows(ctx) };
      case 'health':
        return systemHealth(ctx, hooks.startedMs);
      case 'history': {
        const r = request as Request<'history'>;
        const events = ctx.events.history({
          service: r.service,
          types: HEALING_EVENT_TYPES,
          limit: r.limit ?? 100,
        });
        return {
          entries: events.flatMap((e) => toHistoryEntry(e) ?? []),
        };
      }
    }
  }

  /** A reply must not land on a protocol topic (a command, a state): only on client reply topics or outside the prefix. */
  function replyAllowed(topic: string): boolean {
    if (!topic.startsWith(`${ctx.topics.prefix}/`)) return true;
    const parsed = parseTopic(topic, ctx.topics.prefix);
    return parsed?.kind === 'client_reply';
  }

  /**
   * The reply_to of a request that failed validation. For a payload that is not even JSON,
   * a plain `"reply_to":"…"` is looked for in the text, so a client with a broken encoder
   * still hears why it was refused.
   */
  function salvageReplyTo(payload: Buffer): string | null {
    const peeked = peekReplyTo(payload);
    const found =
      peeked ??
      /"reply_to"\s*:\s*"([^"\\]{1,512})"/.exec(payload.subarray(0, 64 * 1024).toString('utf8'))?.[1] ??
      null;
    if (found === null || /[+#]/.test(found) || !replyAllowed(found)) return null;
    return found;
  }

  async function handle(message: Incoming, raw: { payload: Buffer }): Promise<void> {
    if (message.topic?.kind !== 'orchestrator_request') return;
    const method = message.topic.method;
    if (!message.ok) {
      const replyTo = salvageReplyTo(raw.payload);
      if (replyTo === null) {
        stats.unanswerable += 1;
        ctx.log.warn(
          { method, code: message.error.code },
          'request without a readable reply_to: not answered',
        );
        return;
      }
      const error =
        message.error.code === 'ALICIA_ERR_TOPIC_UNKNOWN'
          ? aliciaError('ALICIA_ERR_REQUEST_UNKNOWN_METHOD', `"${method}" is not a request method`)
          : aliciaError(message.error.code, `request ${method}: ${message.error.message}`);
      const transaction =
        peekTransaction(raw.payload) ??
        /"transaction"\s*:\s*"([^"\\]{1,64})"/.exec(
          raw.payload.subarray(0, 64 * 1024).toString('utf8'),
        )?.[1] ??
        null;
      await reply(replyTo, transaction, { error });
      return;
    }
    const request = message.payload as Request;
    if (!replyAllowed(request.reply_to)) {
      stats.unanswerable += 1;
      ctx.log.warn({ method, reply_to: request.reply_to }, 'reply_to inside the protocol namespace refused');
      return;
    }
    try {
      const data = await dispatch(method as RequestMethod, request);
      await reply(request.reply_to, request.transaction, { data });
    } catch (err) {
      const error = toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED');
      ctx.log.warn({ method, code: error.code, err: error.message }, 'request failed');
      await reply(request.reply_to, request.transaction, { error });
    }
  }

  return {
    stats,
    handle: (message: Incoming, raw: { payload: Buffer }) => {
      handle(message, raw).catch((err: unknown) => ctx.log.error({ err }, 'request handling failed'));
    },
  };
}
