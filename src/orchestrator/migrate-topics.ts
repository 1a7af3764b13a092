// Clears the retained service states an older orchestrator left on
// `<prefix>/services/<service>/state`, before they were keyed by stack
// (`<prefix>/stacks/<stack>/services/<service>/state`). Without this, a subscriber of the old
// topics would read a frozen state forever. Run once at start; failures are logged, never
// fatal: the worst outcome is a stale retained message, as before.
import type { Logger } from '../logging/logger.js';
import type { Topics } from '../protocol/topics.js';
import type { Transport } from '../transport/index.js';

/**
 * Subscribes to the old filter, collects the retained messages the broker sends for it, and
 * publishes an empty retained payload to each (how MQTT deletes a retained message). Event
 * channels (`<prefix>/services/events`, `<prefix>/services/<event_type>`) have two levels and
 * never match the three-level filter. Resolves with the topics cleared.
 */
export async function clearLegacyServiceStates(
  transport: Transport,
  topics: Topics,
  log: Logger,
): Promise<string[]> {
  const filter = topics.filters.legacyServiceStates;
  const prefix = `${topics.prefix}/services/`;
  const found = new Set<string>();
  // The old topics are no longer part of the protocol, so they arrive as rejected messages
  // (unknown topic); only the raw topic and retain flag matter here.
  const off = transport.onMessage((_message, raw) => {
    if (raw.retain && raw.topic.startsWith(prefix) && raw.topic.endsWith('/state')) found.add(raw.topic);
  });
  try {
    await transport.subscribe([filter], 1);
    // [MQTT-3.3.1-6] the broker sends the matching retained messages in answer to the
    // SUBSCRIBE. Mosquitto queues them before it reads our next packet, and aedes streams
    // them right after its SUBACK, so they are in before the UNSUBACK of an UNSUBSCRIBE
    // that we only send once the SUBACK is back.
    await transport.unsubscribe([filter]);
    for (const topic of found) await transport.clearRetained(topic);
    if (found.size > 0) {
      log.info({ cleared: [...found].sort() }, 'cleared retained service states from the old topics');
    }
    return [...found].sort();
  } catch (err) {
    log.warn({ err, filter }, 'old retained service states not cleared');
    return [];
  } finally {
    off();
  }
}
