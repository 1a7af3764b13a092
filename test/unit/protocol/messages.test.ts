import { describe, expect, it } from 'vitest';
import {
  PresenceSchema,
  parseIncoming,
  parsePayload,
  peekReplyTo,
  peekTransaction,
} from '../../../src/protocol/index.js';
import { SAMPLES } from '../../helpers/samples.js';

describe('protocol messages', () => {
  it.each(Object.entries(SAMPLES))('round-trips a valid payload on %s', (topic, payload) => {
    const result = parseIncoming(topic, Buffer.from(JSON.stringify(payload)));
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.payload).toEqual(payload);
  });

  it.each(Object.entries(SAMPLES))('rejects %s without its schema version', (topic, payload) => {
    const { v: _v, ...rest } = payload as Record<string, unknown>;
    const result = parseIncoming(topic, JSON.stringify(rest));
    expect(result).toMatchObject({ ok: false, error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' } });
  });

  it.each(Object.entries(SAMPLES))('rejects an unknown extra key on %s', (topic, payload) => {
    const result = parseIncoming(topic, JSON.stringify({ ...(payload as object), extra: 1 }));
    expect(result).toMatchObject({ ok: false, error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' } });
  });

  it('names the offending field in a schema error', () => {
    const result = parsePayload(
      PresenceSchema,
      JSON.stringify({ v: 1, state: 'maybe', session: 1, ts: 1, version: 'x' }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('ALICIA_ERR_PAYLOAD_SCHEMA');
      expect(result.error.message).toContain('state');
    }
  });

  it('refuses oversized payloads before decoding them', () => {
    const big = Buffer.alloc(2048, 0x20);
    expect(parsePayload(PresenceSchema, big, { maxBytes: 1024 })).toEqual({
      ok: false,
      error: { code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE', message: 'payload is 2048 bytes, the limit is 1024' },
    });
  });

  it('refuses bad JSON, invalid UTF-8, and absurd nesting without throwing', () => {
    expect(parsePayload(PresenceSchema, '{"v":1,')).toMatchObject({
      ok: false,
      error: { code: 'ALICIA_ERR_PAYLOAD_JSON' },
    });
    expect(parsePayload(PresenceSchema, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      error: { code: 'ALICIA_ERR_PAYLOAD_JSON', message: 'payload is not valid UTF-8' },
    });
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parsePayload(PresenceSchema, deep, { maxBytes: 1_000_000 })).toMatchObject({ ok: false });
  });

  it('does not let __proto__ keys through or pollute prototypes', () => {
    const hostile = '{"v":1,"state":"online","session":1,"ts":1,"version":"x","__proto__":{"polluted":true}}';
    expect(parsePayload(PresenceSchema, hostile)).toMatchObject({
      ok: false,
      error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports unknown topics, actions and methods as ALICIA_ERR_TOPIC_UNKNOWN', () => {
    expect(parseIncoming('alicia/agents/a/cmd/explode', '{}')).toMatchObject({
      ok: false,
      topic: { kind: 'agent_cmd', action: 'explode' },
      error: { code: 'ALICIA_ERR_TOPIC_UNKNOWN' },
    });
    expect(parseIncoming('alicia/orchestrator/request/nope', '{}')).toMatchObject({
      ok: false,
      error: { code: 'ALICIA_ERR_TOPIC_UNKNOWN' },
    });
    expect(parseIncoming('elsewhere/x', '{}')).toMatchObject({
      ok: false,
      topic: null,
      error: { code: 'ALICIA_ERR_TOPIC_UNKNOWN' },
    });
  });

  it('types a valid message by its kind, with the action or method of commands and requests', () => {
    const request = parseIncoming(
      'alicia/orchestrator/request/scale',
      JSON.stringify(SAMPLES['alicia/orchestrator/request/scale']),
    );
    expect(request).toMatchObject({
      ok: true,
      kind: 'orchestrator_request',
      method: 'scale',
      topic: { kind: 'orchestrator_request', method: 'scale' },
    });
    if (request.ok && request.kind === 'orchestrator_request' && request.method === 'scale') {
      expect(request.payload.replicas).toBe(3);
    }
    const info = parseIncoming('alicia/agents/pi-1/info', JSON.stringify(SAMPLES['alicia/agents/pi-1/info']));
    expect(info).toMatchObject({
      ok: true,
      kind: 'agent_info',
      topic: { kind: 'agent_info', agent: 'pi-1' },
    });
    if (info.ok && info.kind === 'agent_info') expect(info.payload.hostname).toBe('pi-1');
  });

  it('requires service_scaled events to carry from, to and direction', () => {
    const event = SAMPLES['alicia/services/events'] as { event_data: Record<string, unknown> };
    const broken = { ...event, event_data: { service: 'web', from: 1 } };
    expect(parseIncoming('alicia/services/events', JSON.stringify(broken))).toMatchObject({
      ok: false,
      error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' },
    });
  });

  it('peeks transaction and reply_to out of invalid payloads so errors can be answered', () => {
    expect(peekTransaction('{"transaction":"tx-9","junk":true}')).toBe('tx-9');
    expect(peekTransaction('not json')).toBeNull();
    expect(peekTransaction('{"transaction":42}')).toBeNull();
    expect(peekReplyTo('{"reply_to":"alicia/clients/x/reply"}')).toBe('alicia/clients/x/reply');
    expect(peekReplyTo('{"reply_to":"alicia/#"}')).toBeNull();
  });
});
