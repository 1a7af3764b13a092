// The dashboard's pure model: what it folds from the bus, and how it judges and draws it.
import { describe, expect, it } from 'vitest';
import type { AliciaEvent, ServiceState } from '../../src/protocol/index.js';
import {
  type AgentView,
  applyCleared,
  applyEvent,
  type DashboardState,
  emptyState,
  filterEvents,
  historyFromEvents,
  hostStatus,
  layersOf,
  serviceTone,
  withGraphs,
} from '../../src/ui/model.js';

let seq = 0;
function event(event_type: string, event_data: Record<string, unknown>): AliciaEvent {
  seq += 1;
  return {
    v: 1,
    id: `e${seq}`,
    seq,
    timestamp: new Date(1_800_000_000_000 + seq * 1000).toISOString(),
    source: 'orchestrator',
    event_type,
    event_data,
  } as AliciaEvent;
}

function service(name: string, patch: Partial<ServiceState> = {}): ServiceState {
  return {
    v: 1,
    ts: 1,
    stack: 'shop',
    service: name,
    desired_replicas: 1,
    running_replicas: 1,
    healthy_replicas: 1,
    completed_replicas: 0,
    state: 'running',
    health: 'healthy',
    hosts: ['pi-1'],
    instances: [],
    ...patch,
  };
}

describe('dashboard model', () => {
  it('judges a host online, suspect (heartbeats stopped, presence still online) or offline', () => {
    const agent: AgentView = {
      agent: 'pi-1',
      presence: { v: 1, state: 'online', session: 1, ts: 0, version: '0.1.0' } as AgentView['presence'],
      info: null,
      heartbeat: null,
      heartbeatAt: 10_000,
      containers: null,
    };
    expect(hostStatus(agent, 11_000)).toBe('online');
    expect(hostStatus(agent, 13_500)).toBe('suspect');
    expect(
      hostStatus(
        { ...agent, presence: { ...agent.presence, state: 'offline' } as AgentView['presence'] },
        11_000,
      ),
    ).toBe('offline');
    expect(hostStatus({ ...agent, presence: null }, 0)).toBe('unknown');
  });

  it("follows a deploy's progress per service, as alicia up prints it", () => {
    let s = applyEvent(emptyState, event('deploy_started', { stack: 'shop', services: ['db', 'api'] }), 1000);
    s = applyEvent(
      s,
      event('service_waiting', {
        stack: 'shop',
        service: 'api',
        waiting_for: ['db'],
        conditions: { db: 'service_healthy' },
      }),
      1200,
    );
    s = applyEvent(
      s,
      event('service_starting', {
        stack: 'shop',
        service: 'db',
        replicas: 1,
        instances: ['i'],
        hosts: ['pi-1'],
      }),
      1300,
    );
    expect(s.deploys.shop?.phase).toBe('deploying');
    expect(s.deploys.shop?.services).toEqual({
      db: { status: 'starting on pi-1', elapsedMs: 300 },
      api: { status: 'waiting for db', elapsedMs: 200 },
    });
    const done = event('deploy_completed', { stack: 'shop', duration_ms: 900 });
    s = applyEvent(s, done, 1900);
    expect(s.deploys.shop?.phase).toBe('completed');
    // The same event twice (events and a channel topic) is kept once.
    expect(applyEvent(s, done, 2000).events.length).toBe(s.events.length);
  });

  it('draws a viewer the layers of the depends_on in the retained service states', () => {
    const s: DashboardState = {
      ...emptyState,
      services: {
        'shop/db': service('db', { depends_on: [] }),
        'shop/api': service('api', { depends_on: ['db'] }),
        'shop/web': service('web', { depends_on: ['api', 'cdn'] }),
      },
    };
    // cdn is not seen (yet): left out rather than blocking the drawing.
    expect(layersOf(s, 'shop')).toEqual([['db'], ['api'], ['web']]);
  });

  it("draws layers from the orchestrator's graph, or one row of what a viewer sees", () => {
    let s: DashboardState = {
      ...emptyState,
      services: { 'shop/db': service('db'), 'shop/api': service('api') },
    };
    expect(layersOf(s, 'shop')).toEqual([['api', 'db']]);
    s = withGraphs(s, [
      {
        stack: 'shop',
        layers: [['db'], ['api']],
        services: [
          { service: 'db', depends_on: [] },
          { service: 'api', depends_on: [{ service: 'db', condition: 'service_healthy', required: true }] },
        ],
      },
    ]);
    expect(layersOf(s, 'shop')).toEqual([['db'], ['api']]);
    expect(
      layersOf(applyCleared(s, { kind: 'service_state', stack: 'shop', service: 'db' }), 'shop'),
    ).toEqual([['db'], ['api']]);
    const removed = applyEvent(
      s,
      event('stack_removed', { stack: 'shop', services: ['db', 'api'], instances: 2 }),
      1,
    );
    expect(removed.graphs).toEqual({});
  });

  it('colours a service by its live state', () => {
    expect(serviceTone(service('db'))).toBe('ok');
    expect(serviceTone(service('db', { running_replicas: 0, state: 'starting', health: 'unknown' }))).toBe(
      'warn',
    );
    expect(serviceTone(service('db', { health: 'unhealthy' }))).toBe('bad');
    expect(serviceTone(service('db', { desired_replicas: 0, running_replicas: 0 }))).toBe('idle');
    expect(serviceTone(undefined)).toBe('idle');
  });

  it('filters events and builds a healing history from them', () => {
    const events = [
      event('service_restarted', {
        stack: 'shop',
        service: 'db',
        instance: 'i1',
        agent: 'pi-1',
        restarts: 1,
        reason: 'crash',
        attempts: null,
      }),
      event('agent_online', { agent: 'pi-2', session: 1, reason: 'connected' }),
      event('service_started', { stack: 'lab', service: 'db', elapsed_ms: 5 }),
    ];
    expect(filterEvents(events, { type: 'agent_' }).map((e) => e.event_type)).toEqual(['agent_online']);
    expect(filterEvents(events, { stack: 'lab' }).map((e) => e.event_type)).toEqual(['service_started']);
    expect(filterEvents(events, { text: 'PI-2' }).length).toBe(1);
    expect(historyFromEvents(events, 'shop', 'db')).toEqual([
      expect.objectContaining({
        action: 'service_restarted',
        instance: 'i1',
        reason: 'crash',
        success: true,
      }),
    ]);
    expect(historyFromEvents(events, 'lab', 'db')).toEqual([]);
  });
});
