import { describe, expect, it } from 'vitest';
import { AGENT_ACTIONS, createTopics, parseTopic, REQUEST_METHODS } from '../../../src/protocol/index.js';

describe('topics', () => {
  const t = createTopics();

  it('builds the topic map of the design under the default prefix', () => {
    expect(t.orchestratorState).toBe('alicia/orchestrator/state');
    expect(t.agentState('pi-1')).toBe('alicia/agents/pi-1/state');
    expect(t.agentHeartbeat('pi-1')).toBe('alicia/agents/pi-1/heartbeat');
    expect(t.agentCmd('pi-1', 'start')).toBe('alicia/agents/pi-1/cmd/start');
    expect(t.agentResponse('pi-1', 'apply')).toBe('alicia/agents/pi-1/response/apply');
    expect(t.servicesEvents).toBe('alicia/services/events');
    expect(t.serviceChannel('service_started')).toBe('alicia/services/service_started');
    expect(t.serviceState('demo', 'web')).toBe('alicia/stacks/demo/services/web/state');
    expect(t.filters.serviceStates).toBe('alicia/stacks/+/services/+/state');
    expect(t.filters.legacyServiceStates).toBe('alicia/services/+/state');
    expect(t.orchestratorRequest('deploy')).toBe('alicia/orchestrator/request/deploy');
    expect(t.filters.agentCmds('pi-1')).toBe('alicia/agents/pi-1/cmd/+');
  });

  it('round-trips every builder through the parser, with a custom prefix too', () => {
    for (const prefix of ['alicia', 'lab/alicia']) {
      const tp = createTopics(prefix);
      expect(parseTopic(tp.orchestratorState, prefix)).toEqual({ kind: 'orchestrator_state' });
      expect(parseTopic(tp.orchestratorHealth, prefix)).toEqual({ kind: 'orchestrator_health' });
      expect(parseTopic(tp.agentInfo('a1'), prefix)).toEqual({ kind: 'agent_info', agent: 'a1' });
      expect(parseTopic(tp.agentContainers('a1'), prefix)).toEqual({ kind: 'agent_containers', agent: 'a1' });
      for (const action of AGENT_ACTIONS) {
        expect(parseTopic(tp.agentCmd('a1', action), prefix)).toEqual({
          kind: 'agent_cmd',
          agent: 'a1',
          action,
        });
        expect(parseTopic(tp.agentResponse('a1', action), prefix)).toEqual({
          kind: 'agent_response',
          agent: 'a1',
          action,
        });
      }
      for (const method of REQUEST_METHODS) {
        expect(parseTopic(tp.orchestratorRequest(method), prefix)).toEqual({
          kind: 'orchestrator_request',
          method,
        });
      }
      expect(parseTopic(tp.servicesEvents, prefix)).toEqual({ kind: 'services_events' });
      expect(parseTopic(tp.serviceChannel('recovery'), prefix)).toEqual({
        kind: 'service_channel',
        channel: 'recovery',
      });
      expect(parseTopic(tp.serviceState('shop', 'db'), prefix)).toEqual({
        kind: 'service_state',
        stack: 'shop',
        service: 'db',
      });
      expect(parseTopic(tp.clientReply('cli-9'), prefix)).toEqual({ kind: 'client_reply', client: 'cli-9' });
    }
  });

  it.each(['', 'a/b', 'a+', '#', 'a#b', ' x', '../x'])(
    'refuses id %j in a builder with ALICIA_ERR_ID_INVALID',
    (bad) => {
      expect(() => t.agentState(bad)).toThrow(expect.objectContaining({ code: 'ALICIA_ERR_ID_INVALID' }));
      expect(() => t.serviceState(bad, 'db')).toThrow(
        expect.objectContaining({ code: 'ALICIA_ERR_ID_INVALID' }),
      );
      expect(() => t.serviceState('shop', bad)).toThrow(
        expect.objectContaining({ code: 'ALICIA_ERR_ID_INVALID' }),
      );
    },
  );

  it('keys service states by stack: two stacks with a db get two topics', () => {
    expect(t.serviceState('shop', 'db')).not.toBe(t.serviceState('blog', 'db'));
    expect(parseTopic('alicia/stacks/blog/services/db/state')).toEqual({
      kind: 'service_state',
      stack: 'blog',
      service: 'db',
    });
  });

  it('no longer parses the retired alicia/services/<service>/state, and event channels are unchanged', () => {
    expect(parseTopic('alicia/services/db/state')).toBeNull();
    expect(parseTopic('alicia/services/events')).toEqual({ kind: 'services_events' });
    expect(parseTopic('alicia/services/state')).toEqual({ kind: 'service_channel', channel: 'state' });
  });

  it('refuses unusable prefixes', () => {
    for (const prefix of ['', 'a/+', '#', '/alicia', 'alicia/']) {
      expect(() => createTopics(prefix)).toThrow(expect.objectContaining({ code: 'ALICIA_ERR_ID_INVALID' }));
    }
  });

  it.each([
    'other/agents/a/state',
    'alicia',
    'alicia/',
    'alicia/agents/a',
    'alicia/agents/a/unknown',
    'alicia/agents//state',
    'alicia/agents/a/cmd',
    'alicia/agents/a/cmd/start/extra',
    'alicia/orchestrator/request',
    'alicia/services/web/state/x',
    'alicia/services/web/other',
    'alicia/stacks/demo/services/web',
    'alicia/stacks/demo/services/web/other',
    'alicia/stacks/demo/web/x/state',
    'alicia/stacks/demo/services/web/state/x',
    'alicia/stacks/demo',
    'alicia/agents/a/cmd/start/x/y',
    'alicia/clients/x/other',
    'alicia/nothing/here',
  ])('does not parse %s', (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});
