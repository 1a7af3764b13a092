// What one lifecycle event adds to the counters: a pure reading of the typed event union,
// switched over every type (a new event type does not compile until it is classified here).
import { EVENT_CATEGORIES } from '../protocol/event-categories.js';
import type { AliciaEvent } from '../protocol/events.js';

export interface EventCounts {
  /** A restart, by its agent (healing) or by an operator (request / Home Assistant). */
  restart?: { stack: string; service: string; by: 'agent' | 'operator' };
  reschedule?: { stack: string; service: string };
  /** A healing action and whether it succeeded (healing history's `success`). */
  healing?: { action: string; result: 'success' | 'failure' };
  /** A finished deploy and how long it took (seconds). */
  deploy?: { stack: string; result: 'completed' | 'failed'; seconds: number };
}

function assertNever(value: never): never {
  throw new Error(`unexpected event: ${JSON.stringify(value)}`);
}

function healing(event: AliciaEvent, action: string): EventCounts['healing'] {
  const category = EVENT_CATEGORIES[event.event_type];
  return { action, result: category.error ? 'failure' : 'success' };
}

export function countsOf(event: AliciaEvent): EventCounts {
  switch (event.event_type) {
    case 'deploy_completed':
      return {
        deploy: {
          stack: event.event_data.stack,
          result: 'completed',
          seconds: event.event_data.duration_ms / 1000,
        },
      };
    case 'deploy_failed':
      return {
        deploy: {
          stack: event.event_data.stack,
          result: 'failed',
          seconds: event.event_data.duration_ms / 1000,
        },
      };
    case 'service_restarted': {
      const d = event.event_data;
      const by = 'instance' in d ? 'agent' : 'operator';
      return { restart: { stack: d.stack, service: d.service, by }, healing: healing(event, 'restart') };
    }
    case 'service_rescheduled':
      return {
        reschedule: { stack: event.event_data.stack, service: event.event_data.service },
        healing: healing(event, 'reschedule'),
      };
    case 'service_recovered':
      return { healing: healing(event, 'recovered') };
    case 'service_unhealthy':
      return { healing: healing(event, 'unhealthy') };
    case 'service_crashlooping':
      return { healing: healing(event, 'crashlooping') };
    case 'service_failed':
      return { healing: healing(event, 'failed') };
    case 'healing_action':
      return { healing: healing(event, event.event_data.action) };
    case 'deploy_started':
    case 'service_waiting':
    case 'service_starting':
    case 'service_started':
    case 'service_healthy':
    case 'service_degraded':
    case 'service_completed':
    case 'service_stopping':
    case 'service_stopped':
    case 'service_removed':
    case 'service_scaled':
    case 'service_updated':
    case 'agent_online':
    case 'agent_suspect':
    case 'agent_offline':
    case 'agent_lost':
    case 'stack_removed':
    case 'orchestration_error':
      return {};
    default:
      return assertNever(event);
  }
}
