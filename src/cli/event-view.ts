// Events for people: one line of text per event, and what an event means for a service's
// row in `up`'s progress display. Both switch over every event type (assertNever), so a
// new type does not compile until it is described here.
import { type AliciaEvent, eventSubject } from '../protocol/events.js';

export { eventSubject };

function assertNever(value: never): never {
  throw new Error(`unexpected event: ${JSON.stringify(value)}`);
}

const list = (items: readonly string[]): string => (items.length === 0 ? 'none' : items.join(', '));
const ms = (n: number): string => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`);

/** One line describing what happened (without time or type). */
export function describeEvent(event: AliciaEvent): string {
  switch (event.event_type) {
    case 'deploy_started':
      return `deploying ${event.event_data.services.length} services: ${list(event.event_data.services)}`;
    case 'deploy_completed':
      return `deployed in ${ms(event.event_data.duration_ms)}`;
    case 'deploy_failed':
      return `deploy failed after ${ms(event.event_data.duration_ms)}: ${event.event_data.reason}`;
    case 'service_waiting': {
      const d = event.event_data;
      if (d.host !== undefined)
        return `${d.instance ?? d.service} waits for ${d.host}, which holds its data (${d.holds ?? 'data'})${d.reason ? `: ${d.reason}` : ''}`;
      return `waiting for ${list(d.waiting_for)}`;
    }
    case 'service_starting':
      return `starting ${event.event_data.replicas} on ${list(event.event_data.hosts)}`;
    case 'service_started':
      return `started in ${ms(event.event_data.elapsed_ms)}`;
    case 'service_healthy':
      return `healthy in ${ms(event.event_data.elapsed_ms)}`;
    case 'service_degraded':
      return `${event.event_data.instance} on ${event.event_data.agent} degraded${event.event_data.reason ? `: ${event.event_data.reason}` : ''}`;
    case 'service_unhealthy':
      return `${event.event_data.instance} on ${event.event_data.agent} unhealthy (${event.event_data.restarts} restarts)`;
    case 'service_crashlooping': {
      const d = event.event_data;
      const code = d.exit_code === null ? '' : `, exit code ${d.exit_code}`;
      const last = d.log_tail.at(-1);
      return `${d.instance} on ${d.agent} crash-looping (${d.restarts} restarts${code})${last === undefined ? '' : `: ${last}`}`;
    }
    case 'service_restarted': {
      const d = event.event_data;
      return 'instance' in d
        ? `${d.instance} on ${d.agent} restarted (${d.restarts} restarts): ${d.reason}`
        : `restarted ${list(d.instances)}: ${d.reason}`;
    }
    case 'service_recovered':
      return `${event.event_data.instance} on ${event.event_data.agent} recovered in ${ms(event.event_data.recovery_ms)}`;
    case 'service_failed':
      return `failed: ${event.event_data.reason}`;
    case 'service_completed':
      return `completed (exit ${event.event_data.exit_code}) in ${ms(event.event_data.elapsed_ms)}`;
    case 'service_stopping':
      return 'stopping';
    case 'service_stopped':
      return 'stopped';
    case 'service_removed':
      return 'removed';
    case 'service_scaled':
      return `scaled ${event.event_data.direction} from ${event.event_data.from} to ${event.event_data.to}`;
    case 'service_updated':
      return `updated: ${list(event.event_data.instances)} replace ${list(event.event_data.replaced)}`;
    case 'service_rescheduled':
      return `${event.event_data.instance} moved from ${event.event_data.from} to ${event.event_data.to}, replacing ${event.event_data.replaces}: ${event.event_data.reason}`;
    case 'healing_action': {
      const d = event.event_data;
      return `${d.action}${d.instances ? ` ${list(d.instances)}` : ''}: ${d.reason}`;
    }
    case 'agent_online':
    case 'agent_suspect':
    case 'agent_offline':
      return `agent ${event.event_data.agent} ${event.event_type.slice('agent_'.length)} (session ${event.event_data.session}): ${event.event_data.reason}`;
    case 'agent_lost':
      return `agent ${event.event_data.agent} lost after ${ms(event.event_data.offline_ms)} offline, ${event.event_data.instances} instances to move`;
    case 'stack_removed':
      return `removed ${event.event_data.services.length} services, ${event.event_data.instances} instances`;
    case 'orchestration_error':
      return `${event.event_data.reason}: ${event.event_data.error.message}`;
    default:
      return assertNever(event);
  }
}

/** One event as a line for people: time, type, stack/service and what happened. */
export function formatEvent(event: AliciaEvent): string {
  const { stack, service } = eventSubject(event);
  const where = [stack, service].filter((x) => x !== undefined && x !== '').join('/');
  const time = event.timestamp.slice(11, 23);
  return [time, event.event_type.padEnd(20), where, describeEvent(event)].filter((x) => x !== '').join('  ');
}

/** What an event means for its service's row in a deploy's progress display. */
export type Progress =
  | { readonly kind: 'waiting'; readonly service: string; readonly on: readonly string[] }
  | { readonly kind: 'starting'; readonly service: string; readonly hosts: readonly string[] }
  | { readonly kind: 'started' | 'healthy' | 'completed'; readonly service: string }
  | { readonly kind: 'failed'; readonly service: string; readonly reason: string };

/** The progress an event reports for a deploy, or null when it is not a deploy step of a service. */
export function progressOf(event: AliciaEvent): Progress | null {
  switch (event.event_type) {
    case 'service_waiting':
      if (event.event_data.host !== undefined) return null;
      return { kind: 'waiting', service: event.event_data.service, on: event.event_data.waiting_for };
    case 'service_starting':
      return { kind: 'starting', service: event.event_data.service, hosts: event.event_data.hosts };
    case 'service_started':
      return { kind: 'started', service: event.event_data.service };
    case 'service_healthy':
      return { kind: 'healthy', service: event.event_data.service };
    case 'service_completed':
      return { kind: 'completed', service: event.event_data.service };
    case 'service_failed':
      return { kind: 'failed', service: event.event_data.service, reason: event.event_data.reason };
    case 'deploy_started':
    case 'deploy_completed':
    case 'deploy_failed':
    case 'service_degraded':
    case 'service_unhealthy':
    case 'service_crashlooping':
    case 'service_restarted':
    case 'service_recovered':
    case 'service_stopping':
    case 'service_stopped':
    case 'service_removed':
    case 'service_scaled':
    case 'service_updated':
    case 'service_rescheduled':
    case 'healing_action':
    case 'agent_online':
    case 'agent_suspect':
    case 'agent_offline':
    case 'agent_lost':
    case 'stack_removed':
    case 'orchestration_error':
      return null;
    default:
      return assertNever(event);
  }
}

/** The status text of a progress row (what `up` shows next to the service). */
export function describeProgress(progress: Progress): string {
  switch (progress.kind) {
    case 'waiting':
      return `waiting for ${progress.on.length > 0 ? progress.on.join(', ') : 'dependencies'}`;
    case 'starting':
      return `starting${progress.hosts.length > 0 ? ` on ${progress.hosts.join(', ')}` : ''}`;
    case 'started':
    case 'healthy':
    case 'completed':
      return progress.kind;
    case 'failed':
      return `failed: ${progress.reason}`;
    default:
      return assertNever(progress);
  }
}
