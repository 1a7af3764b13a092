// One valid event_data per event type; typed over every type, so a new type needs a sample.
import type { AliciaEvent, EventDataInput, EventType } from '../../../src/protocol/index.js';

const err = { code: 'ALICIA_ERR_DEPLOY_FAILED', message: 'boom' };
const svc = { stack: 'demo', service: 'web' };
const inst = { ...svc, instance: 'demo_web_1_abcdef', agent: 'pi-1' };

export const EVENT_DATA_SAMPLES: { [T in EventType]: EventDataInput<T> } = {
  deploy_started: { stack: 'demo', services: ['db', 'web'] },
  deploy_completed: { stack: 'demo', duration_ms: 1200 },
  deploy_failed: {
    stack: 'demo',
    duration_ms: 800,
    reason: 'db failed',
    failed: ['db'],
    blocked: [],
    error: err,
  },
  service_waiting: { ...svc, waiting_for: ['db'], conditions: { db: 'service_healthy' } },
  service_starting: { ...svc, replicas: 2, instances: ['demo_web_1_abcdef'], hosts: ['pi-1'] },
  service_started: { ...svc, elapsed_ms: 300 },
  service_healthy: { ...svc, elapsed_ms: 900 },
  service_degraded: inst,
  service_unhealthy: { ...inst, restarts: 1 },
  service_crashlooping: {
    ...inst,
    exit_code: 1,
    restarts: 3,
    log_tail: ['listen tcp :8080: bind: address already in use'],
  },
  service_restarted: { ...inst, restarts: 2, reason: 'restarted by its agent', attempts: null },
  service_recovered: { ...inst, recovery_ms: 2500 },
  service_failed: { ...svc, reason: 'exited 1', error: err },
  service_completed: { ...svc, elapsed_ms: 100, exit_code: 0 },
  service_stopping: svc,
  service_stopped: svc,
  service_removed: svc,
  service_scaled: { ...svc, from: 1, to: 3, direction: 'up', instances: ['a', 'b', 'c'] },
  service_updated: { ...svc, replaced: ['old'], instances: ['new'] },
  service_rescheduled: {
    ...svc,
    instance: 'x_1',
    replaces: 'x',
    from: 'pi-1',
    to: 'pi-2',
    reason: 'host pi-1 offline',
  },
  healing_action: { stack: 'demo', action: 'start_missing', instances: ['x'], reason: 'missing' },
  agent_online: { agent: 'pi-1', session: 3, reason: 'heartbeat' },
  agent_suspect: { agent: 'pi-1', session: 3, reason: 'missed heartbeats' },
  agent_offline: { agent: 'pi-1', session: 3, reason: 'presence offline' },
  agent_lost: { agent: 'pi-1', instances: 2, offline_ms: 4000 },
  stack_removed: { stack: 'demo', services: ['db', 'web'], instances: 3 },
  orchestration_error: { ...inst, reason: 'cannot reschedule', error: err },
};

export function sampleEvent<T extends EventType>(type: T, seq = 0): AliciaEvent {
  return {
    v: 1,
    id: `id-${seq}`,
    seq,
    session: 1,
    event_type: type,
    event_data: EVENT_DATA_SAMPLES[type],
    timestamp: '2026-11-22T13:00:00.000Z',
    source: 'orchestrator',
  } as AliciaEvent;
}
