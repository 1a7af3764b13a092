// Connect-time decisions: pinned agent client ids, reserved ids, wills, anonymous clients.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_ID_PATTERN,
  admitAnonymous,
  authorizeConnect,
  defaultAnonymousPolicy,
  isLoopbackAddress,
} from '../../../src/core/acl/index.js';
import { isTopicId } from '../../../src/protocol/ids.js';

const base = { prefix: 'alicia' } as const;

describe('authorizeConnect', () => {
  it('pins an agent to client id alicia-agent-<id> (CONNACK 2 otherwise)', () => {
    expect(authorizeConnect({ ...base, role: 'agent', user: 'pi-1', clientId: 'alicia-agent-pi-1' })).toEqual(
      {
        ok: true,
      },
    );
    expect(
      authorizeConnect({ ...base, role: 'agent', user: 'pi-1', clientId: 'alicia-agent-pi-2' }),
    ).toMatchObject({
      ok: false,
      returnCode: 2,
      reason: expect.stringContaining('must connect with client id alicia-agent-pi-1'),
    });
    expect(authorizeConnect({ ...base, role: 'agent', user: 'pi-1', clientId: 'mqttjs_1' })).toMatchObject({
      ok: false,
      returnCode: 2,
    });
  });

  it('refuses agent names with +, # or / (CONNACK 5)', () => {
    for (const user of ['pi/1', 'pi+', '#']) {
      expect(
        authorizeConnect({ ...base, role: 'agent', user, clientId: `alicia-agent-${user}` }),
      ).toMatchObject({
        ok: false,
        returnCode: 5,
      });
    }
  });

  it('reserves agent and orchestrator client ids so no one can take over their sessions', () => {
    for (const role of ['operator', 'viewer'] as const) {
      expect(authorizeConnect({ ...base, role, user: 'u', clientId: 'alicia-agent-pi-1' })).toMatchObject({
        ok: false,
        returnCode: 2,
      });
      expect(authorizeConnect({ ...base, role, user: 'u', clientId: 'alicia-orchestrator' })).toMatchObject({
        ok: false,
        returnCode: 2,
      });
    }
    expect(
      authorizeConnect({ ...base, role: 'orchestrator', user: 'o', clientId: 'alicia-agent-pi-1' }),
    ).toMatchObject({ ok: false, returnCode: 2 });
    expect(
      authorizeConnect({ ...base, role: 'orchestrator', user: 'o', clientId: 'alicia-orchestrator' }),
    ).toEqual({
      ok: true,
    });
  });

  it('checks the will like a publish (CONNACK 5 for a will the role may not publish)', () => {
    const agent = { ...base, role: 'agent' as const, user: 'pi-1', clientId: 'alicia-agent-pi-1' };
    expect(authorizeConnect({ ...agent, willTopic: 'alicia/agents/pi-1/state' })).toEqual({ ok: true });
    expect(authorizeConnect({ ...agent, willTopic: 'alicia/agents/pi-2/state' })).toMatchObject({
      ok: false,
      returnCode: 5,
      reason: expect.stringContaining('will topic refused'),
    });
    expect(
      authorizeConnect({
        ...base,
        role: 'viewer',
        user: 'ha',
        clientId: 'ha',
        willTopic: 'alicia/services/events',
      }),
    ).toMatchObject({ ok: false, returnCode: 5 });
  });
});

describe('anonymous clients', () => {
  it('defaults to loopback-only viewers on a loopback broker and refuses them elsewhere', () => {
    expect(defaultAnonymousPolicy(['127.0.0.1'])).toBe('loopback');
    expect(defaultAnonymousPolicy(['127.0.0.1', '::1', 'localhost'])).toBe('loopback');
    expect(defaultAnonymousPolicy(['0.0.0.0'])).toBe('refuse');
    expect(defaultAnonymousPolicy(['127.0.0.1', '192.0.2.10'])).toBe('refuse');
    expect(defaultAnonymousPolicy(['::'])).toBe('refuse');
  });

  it('admits by policy and peer address', () => {
    expect(admitAnonymous('loopback', '127.0.0.1')).toEqual({ ok: true, role: 'viewer' });
    expect(admitAnonymous('loopback', '::ffff:127.0.0.1')).toEqual({ ok: true, role: 'viewer' });
    expect(admitAnonymous('loopback', '192.0.2.7')).toMatchObject({ ok: false });
    expect(admitAnonymous('loopback', undefined)).toMatchObject({ ok: false });
    expect(admitAnonymous('refuse', '127.0.0.1')).toMatchObject({ ok: false });
    expect(admitAnonymous('any', '192.0.2.7')).toEqual({ ok: true, role: 'viewer' });
  });

  it('recognises loopback addresses', () => {
    expect(isLoopbackAddress('127.1.2.3')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('128.0.0.1')).toBe(false);
    expect(isLoopbackAddress('127.0.0.1.evil')).toBe(false);
    expect(isLoopbackAddress('::ffff:10.0.0.1')).toBe(false);
  });
});

describe('agent ids', () => {
  it('AGENT_ID_PATTERN agrees with the protocol TopicIdSchema', () => {
    const chars = fc.constantFrom('a', 'Z', '0', '-', '_', '.', '/', '+', '#', ' ', 'é', '$');
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 12 }).map((c) => c.join('')),
        (id) => {
          expect(AGENT_ID_PATTERN.test(id)).toBe(isTopicId(id));
        },
      ),
      { numRuns: 3000 },
    );
    expect(AGENT_ID_PATTERN.test('a'.repeat(128))).toBe(isTopicId('a'.repeat(128)));
    expect(AGENT_ID_PATTERN.test('a'.repeat(129))).toBe(isTopicId('a'.repeat(129)));
  });
});
