// Type-level tests, checked by `npm run typecheck` (tsc includes test/): each
// `@ts-expect-error` must meet an error, so if any of these compiled, typecheck fails.
import type { z } from 'zod';
import type { Client } from '../../src/cli/client.js';
import { type Handlers, handlers } from '../../src/orchestrator/api.js';
import type { Orchestrator } from '../../src/orchestrator/index.js';
import {
  type AgentInfo,
  type Heartbeat,
  type IncomingMessage,
  parseIncoming,
  type Request,
  type RequestMethod,
  type RequestSchemas,
} from '../../src/protocol/index.js';

// A table without a handler for one method does not compile: every method is served.
const { history: _history, ...withoutHistory } = handlers;
// @ts-expect-error Property 'history' is missing
export const incomplete: Handlers = withoutHistory;

// A handler whose reply is not its method's reply data does not compile.
export const wrongReply: Handlers = {
  ...handlers,
  // @ts-expect-error scale must answer a ScaleResult
  scale: async () => ({ stack: 'shop' }),
};

// A handler reads its own method's body.
export const wrongBody: Handlers = {
  ...handlers,
  // @ts-expect-error a down request has no `replicas`
  down: async (request) => handlers.down({ stack: String(request.replicas) }, null as never),
};

// The client returns the reply type of the method it asked, and checks the body.
export async function clientTypes(client: Client): Promise<void> {
  const ps = await client.request('ps', {});
  const running: number | undefined = ps.services[0]?.running_replicas;
  // @ts-expect-error ps answers {services}, not a scale result
  const from: number = ps.from;
  // @ts-expect-error scale needs `replicas`
  await client.request('scale', { service: 'web' });
  // @ts-expect-error no such method
  await client.request('reboot', {});
  void running;
  void from;
}

// The in-process API is the same map.
export async function inProcessTypes(orchestrator: Orchestrator): Promise<void> {
  const history = await orchestrator.request('history', { service: 'web' });
  const action: string | undefined = history.entries[0]?.action;
  // @ts-expect-error down needs the stack
  await orchestrator.request('down', {});
  void action;
}

// Past the edge a message is a union by topic kind: switching on `kind` types the payload.
export function incomingTypes(topic: string, payload: string): void {
  const message = parseIncoming(topic, payload);
  if (!message.ok) return;
  if (message.kind === 'agent_info') {
    const info: AgentInfo = message.payload;
    // @ts-expect-error an info payload is not a heartbeat
    const heartbeat: Heartbeat = message.payload;
    void info;
    void heartbeat;
  }
  if (message.kind === 'orchestrator_request' && message.method === 'scale') {
    const replicas: number = message.payload.replicas;
    void replicas;
  }
}

// What a wire schema parses to is exactly Request<M> (body & envelope), for every method.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AllSame = { [M in RequestMethod]: Same<z.infer<(typeof RequestSchemas)[M]>, Request<M>> }[RequestMethod];
type Assert<T extends true> = T;
export type WireMatchesRequest = Assert<AllSame>;
// Every valid message has a kind of its own (the union is closed over the topic kinds).
export type Kinds = IncomingMessage['kind'];
