// The handler table serves every request method of the protocol map, and nothing else
// (the compile-time half of this is test/types/request-api.ts).
import { describe, expect, it } from 'vitest';
import { handlers } from '../../../src/orchestrator/api.js';
import { REQUEST_METHODS, REQUESTS, RequestSchemas } from '../../../src/protocol/index.js';

describe('request API', () => {
  it('has one handler per request method, and a request and reply schema for each', () => {
    const methods = [...REQUEST_METHODS].sort();
    expect(Object.keys(handlers).sort()).toEqual(methods);
    expect(Object.keys(REQUESTS).sort()).toEqual(methods);
    expect(Object.keys(RequestSchemas).sort()).toEqual(methods);
    for (const method of REQUEST_METHODS) expect(typeof handlers[method]).toBe('function');
  });

  it('keeps reply schemas strict: a field the client does not know is refused, not dropped', () => {
    const ok = { stack: 's', service: 'web', from: 1, to: 2, direction: 'up', instances: ['s_web_1'] };
    expect(REQUESTS.scale.reply.safeParse(ok).success).toBe(true);
    expect(REQUESTS.scale.reply.safeParse({ ...ok, extra: true }).success).toBe(false);
    expect(REQUESTS.down.reply.safeParse({ stack: 's', removed: [] }).success).toBe(false);
  });
});
