// Lifecycle events: every event goes on alicia/services/events and on
// alicia/services/<event_type> (QoS 1); errors also on alicia/services/orchestration_errors,
// recoveries on alicia/services/recovery. Events are kept in a bounded ring for `history`.
import { nanoid } from 'nanoid';
import type { ZodType } from 'zod';
import type { Logger } from '../logging/logger.js';
import {
  type AliciaEvent,
  EVENT_DATA_SCHEMAS,
  type EventDataInput,
  type EventOf,
  type EventType,
  eventSubject,
  extraChannels,
  PROTOCOL_VERSION,
  type Topics,
} from '../protocol/index.js';
import type { Transport } from '../transport/index.js';

export interface EventPublisher {
  /** Publishes one event; `data` is checked against its type's schema by the compiler. */
  emit<T extends EventType>(type: T, data: EventDataInput<T>): EventOf<T>;
  /** In-process listeners (progress display, tests). */
  onEvent(listener: (event: AliciaEvent) => void): () => void;
  /** Most recent events first, optionally of one service, at most `limit`. */
  history(filter?: { service?: string; types?: ReadonlySet<EventType>; limit?: number }): AliciaEvent[];
  /** Resolves when every publish issued so far has been acknowledged (or failed). */
  flush(): Promise<void>;
}

export function createEventPublisher(options: {
  transport: Transport;
  topics: Topics;
  log: Logger;
  now: () => number;
  source?: string;
  /** Events kept for `history` (count). */
  keep?: number;
}): EventPublisher {
  const { transport, topics, log } = options;
  const source = options.source ?? 'orchestrator';
  const keep = options.keep ?? 1000;
  const ring: AliciaEvent[] = [];
  const listeners = new Set<(event: AliciaEvent) => void>();
  const inflight = new Set<Promise<void>>();
  let seq = 0;

  function publish(topic: string, event: AliciaEvent): void {
    const p = transport
      .publish(topic, event, { qos: 1 })
      .catch((err: unknown) => log.warn({ err, topic, event_type: event.event_type }, 'event not published'))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }

  return {
    emit<T extends EventType>(type: T, data: EventDataInput<T>): EventOf<T> {
      // The compiler checked `data` against its type; a cast (value built from a cast
      // elsewhere) still gets caught here, loudly, rather than by every subscriber.
      const schema: ZodType = EVENT_DATA_SCHEMAS[type];
      const checked = schema.safeParse(data);
      if (!checked.success)
        log.error({ event_type: type, issues: checked.error.issues }, 'event data invalid');
      // A generic T does not narrow the union; the pair (type, data) is of one variant.
      const event = {
        v: PROTOCOL_VERSION,
        id: nanoid(),
        seq,
        event_type: type,
        event_data: data,
        timestamp: new Date(options.now()).toISOString(),
        source,
      } as EventOf<T>;
      seq += 1;
      ring.push(event);
      if (ring.length > keep) ring.splice(0, ring.length - keep);
      log.info({ event_type: type, ...(data as object) }, String(type));
      // MQTT.js writes packets in call order on one connection, so subscribers see them in seq order.
      publish(topics.servicesEvents, event);
      publish(topics.serviceChannel(type), event);
      for (const channel of extraChannels(type)) publish(topics.serviceChannel(channel), event);
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          log.error({ err, event_type: type }, 'event listener failed');
        }
      }
      return event;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    history(filter = {}) {
      const out: AliciaEvent[] = [];
      for (let i = ring.length - 1; i >= 0 && out.length < (filter.limit ?? 100); i -= 1) {
        const event = ring[i];
        if (event === undefined) continue;
        if (filter.service !== undefined && eventSubject(event).service !== filter.service) continue;
        if (filter.types !== undefined && !filter.types.has(event.event_type)) continue;
        out.push(event);
      }
      return out;
    },
    async flush() {
      await Promise.all([...inflight]);
    },
  };
}
