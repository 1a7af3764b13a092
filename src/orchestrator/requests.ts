// The request API on alicia/orchestrator/request/<method>: every request is answered on
// its reply_to, bad ones included (bad JSON, wrong schema, unknown method) as long as a
// reply_to can be read from them. Valid requests run through the one handler table
// (api.ts); a deploy is answered when it has finished.
import { type AliciaError, aliciaError, toAliciaError } from '../core/errors.js';
import {
  type IncomingFailure,
  PROTOCOL_VERSION,
  parseTopic,
  peekReplyTo,
  peekTransaction,
  type RequestMessage,
  type RequestMethod,
} from '../protocol/index.js';
import { type ApiContext, runRequest } from './api.js';

export interface RequestStats {
  answered: number;
  failed: number;
  /** Requests so broken that no reply_to could be read: logged and counted, not answered. */
  unanswerable: number;
}

export function createRequestHandler(api: ApiContext) {
  const ctx = api.orchestrator;
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

  async function refuse(method: string, failure: IncomingFailure, raw: { payload: Buffer }): Promise<void> {
    const replyTo = salvageReplyTo(raw.payload);
    if (replyTo === null) {
      stats.unanswerable += 1;
      ctx.log.warn({ method, code: failure.error.code }, 'request without a readable reply_to: not answered');
      return;
    }
    const error =
      failure.error.code === 'ALICIA_ERR_TOPIC_UNKNOWN'
        ? aliciaError('ALICIA_ERR_REQUEST_UNKNOWN_METHOD', `"${method}" is not a request method`)
        : aliciaError(failure.error.code, `request ${method}: ${failure.error.message}`);
    const transaction =
      peekTransaction(raw.payload) ??
      /"transaction"\s*:\s*"([^"\\]{1,64})"/.exec(raw.payload.subarray(0, 64 * 1024).toString('utf8'))?.[1] ??
      null;
    await reply(replyTo, transaction, { error });
  }

  async function serve<M extends RequestMethod>(message: RequestMessage<M>): Promise<void> {
    const { method, payload: request } = message;
    if (!replyAllowed(request.reply_to)) {
      stats.unanswerable += 1;
      ctx.log.warn({ method, reply_to: request.reply_to }, 'reply_to inside the protocol namespace refused');
      return;
    }
    try {
      // A request is its body plus the envelope: handlers read only the body's fields.
      const data = await runRequest(method, request, api);
      await reply(request.reply_to, request.transaction, { data });
    } catch (err) {
      const error = toAliciaError(err, 'ALICIA_ERR_COMMAND_FAILED');
      ctx.log.warn({ method, code: error.code, err: error.message }, 'request failed');
      await reply(request.reply_to, request.transaction, { error });
    }
  }

  const logFailure = (err: unknown) => ctx.log.error({ err }, 'request handling failed');
  return {
    stats,
    /** A valid request: runs its handler and answers. */
    serve: (message: RequestMessage) => {
      serve(message).catch(logFailure);
    },
    /** A request that failed validation (or names no method): answered with the reason. */
    refuse: (method: string, failure: IncomingFailure, raw: { payload: Buffer }) => {
      refuse(method, failure, raw).catch(logFailure);
    },
  };
}
