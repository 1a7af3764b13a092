// The pure ACL decision against the shared allow/deny matrix and its edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, mayRead, ROLES, rulesFor } from '../../../src/core/acl/index.js';
import { ACL_MATRIX, MATRIX_USERS } from '../../helpers/acl-matrix.js';

const PREFIX = 'alicia';

describe('authorize — the shared matrix', () => {
  it.each(ACL_MATRIX.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const user = MATRIX_USERS[row.role].name;
    const decision = authorize(row.role, user, row.action, row.topic, PREFIX);
    if (row.action === 'publish') {
      expect(decision.allowed).toBe(row.allowed);
      return;
    }
    expect(decision.allowed).toBe(row.suback === 'granted');
    expect(mayRead(row.role, user, row.probe, PREFIX)).toBe(row.allowed);
    if (decision.allowed && row.topic === row.probe) expect(decision.scope).toBe('all');
  });

  it('covers every role and both actions', () => {
    for (const role of ROLES) {
      expect(ACL_MATRIX.some((r) => r.role === role && r.action === 'publish' && r.allowed)).toBe(
        role !== 'viewer',
      );
      expect(ACL_MATRIX.some((r) => r.role === role && r.action === 'subscribe' && r.allowed)).toBe(true);
    }
  });
});

describe('authorize — edges', () => {
  it('allows Home Assistant discovery (homeassistant/#) to the orchestrator and the homeassistant role only', () => {
    for (const role of ROLES) {
      const mayUse = role === 'orchestrator' || role === 'homeassistant';
      expect(authorize(role, 'pi-1', 'publish', 'homeassistant/status', PREFIX).allowed).toBe(mayUse);
      expect(authorize(role, 'pi-1', 'subscribe', 'homeassistant/status', PREFIX).allowed).toBe(mayUse);
    }
    // The button: a restart request, and no other method.
    expect(
      authorize('homeassistant', 'ha', 'publish', 'alicia/orchestrator/request/restart', PREFIX).allowed,
    ).toBe(true);
    expect(
      authorize('homeassistant', 'ha', 'publish', 'alicia/orchestrator/request/down', PREFIX),
    ).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('only restart requests'),
    });
  });

  it('refuses every topic outside the prefix, for every role', () => {
    for (const role of ROLES) {
      expect(authorize(role, 'pi-1', 'publish', 'zigbee2mqtt/bridge/request', PREFIX)).toMatchObject({
        allowed: false,
        reason: expect.stringContaining('outside the alicia/ prefix'),
      });
      expect(authorize(role, 'pi-1', 'subscribe', 'zigbee2mqtt/#', PREFIX).allowed).toBe(false);
      expect(authorize(role, 'pi-1', 'subscribe', '$SYS/#', PREFIX).allowed).toBe(false);
      // The prefix is a whole level: alicia-other/ is not alicia/.
      expect(authorize(role, 'pi-1', 'publish', 'alicia-other/x', PREFIX).allowed).toBe(false);
    }
  });

  it('refuses agent user names that could widen a topic level', () => {
    for (const bad of ['+', '#', 'a/b', 'pi+1', '', '-lead']) {
      expect(authorize('agent', bad, 'publish', `alicia/agents/${bad}/state`, PREFIX)).toMatchObject({
        allowed: false,
      });
      expect(authorize('agent', bad, 'subscribe', `alicia/agents/${bad}/cmd/+`, PREFIX).allowed).toBe(false);
      expect(mayRead('agent', bad, 'alicia/orchestrator/state', PREFIX)).toBe(false);
    }
  });

  it('refuses wildcards in publish topics and malformed filters', () => {
    expect(authorize('orchestrator', 'o', 'publish', 'alicia/agents/+/cmd/start', PREFIX).allowed).toBe(
      false,
    );
    expect(authorize('orchestrator', 'o', 'publish', 'alicia/#', PREFIX).allowed).toBe(false);
    expect(authorize('orchestrator', 'o', 'subscribe', 'alicia/#/x', PREFIX).allowed).toBe(false);
    expect(authorize('orchestrator', 'o', 'subscribe', 'alicia/a+', PREFIX).allowed).toBe(false);
    expect(authorize('orchestrator', 'o', 'subscribe', '', PREFIX).allowed).toBe(false);
  });

  it('names the rule in its reason', () => {
    expect(authorize('viewer', 'ha', 'publish', 'alicia/services/events', PREFIX)).toEqual({
      allowed: false,
      reason: 'viewer publishes nothing',
    });
    expect(authorize('agent', 'pi-1', 'publish', 'alicia/agents/pi-2/state', PREFIX)).toMatchObject({
      reason: expect.stringContaining('only its own alicia/agents/pi-1/'),
    });
    expect(authorize('viewer', 'ha', 'subscribe', 'alicia/#', PREFIX)).toMatchObject({
      allowed: true,
      scope: 'filtered',
    });
  });

  it('works under another prefix', () => {
    expect(
      authorize('agent', 'pi-1', 'publish', 'home/alicia/agents/pi-1/state', 'home/alicia').allowed,
    ).toBe(true);
    expect(authorize('agent', 'pi-1', 'publish', 'alicia/agents/pi-1/state', 'home/alicia').allowed).toBe(
      false,
    );
  });

  it('grants a subscription iff some readable topic matches it; every delivery is re-checked', () => {
    const level = fc.constantFrom(
      'alicia',
      'agents',
      'pi-1',
      'pi-2',
      'cmd',
      'state',
      'services',
      'start',
      'x',
    );
    const filterLevel = fc.oneof(level, fc.constant('+'));
    const filter = fc
      .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 5 }), fc.boolean())
      .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'));
    const topic = fc.array(level, { minLength: 1, maxLength: 6 }).map((l) => l.join('/'));
    fc.assert(
      fc.property(fc.constantFrom(...ROLES), filter, topic, (role, f, t) => {
        const decision = authorize(role, 'pi-1', 'subscribe', f, PREFIX);
        const rules = rulesFor(role, 'pi-1', PREFIX);
        // A topic the filter matches and the role reads proves the grant must exist.
        if (mayRead(role, 'pi-1', t, PREFIX) && fcMatches(f, t)) expect(decision.allowed).toBe(true);
        if (decision.allowed && decision.scope === 'all' && fcMatches(f, t)) {
          expect(mayRead(role, 'pi-1', t, PREFIX)).toBe(true);
        }
        expect(rules.read.length > 0 || !decision.allowed).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

/** Brute-force MQTT matching, independent of src/core/acl/filters.ts. */
function fcMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i += 1) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
