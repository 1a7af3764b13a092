// Publishes Home Assistant discovery for what Alicia runs: a device per service (seen on
// its retained state topic) and per agent (seen on its retained info), re-sent when Home
// Assistant says `online` on `<discovery>/status`, removed (empty retained config) when a
// service or stack is removed. Runs beside the orchestrator on its MQTT connection.
import type { Logger } from '../logging/logger.js';
import type { AliciaEvent } from '../protocol/events.js';
import type { Topics } from '../protocol/topics.js';
import type { Transport } from '../transport/index.js';
import {
  agentDevice,
  type DevicePayload,
  type DiscoveryContext,
  type DiscoveryMessage,
  discoveryTopic,
  objectId,
  serviceDevice,
  statusTopic,
} from './discovery.js';

export interface HomeAssistantBridgeOptions {
  transport: Pick<
    Transport,
    'publish' | 'clearRetained' | 'subscribe' | 'onMessage' | 'onForeign' | 'onConnect' | 'connected'
  >;
  events: { onEvent(listener: (event: AliciaEvent) => void): () => void };
  topics: Topics;
  /** Home Assistant's discovery prefix (default `homeassistant`). */
  discoveryPrefix: string;
  version: string;
  log: Logger;
}

export interface HomeAssistantBridge {
  /** Discovery topics published so far (service and agent devices). */
  devices(): string[];
  /** Sends every config again (what Home Assistant's `online` triggers). */
  republish(): Promise<void>;
  close(): void;
}

export async function startHomeAssistantBridge(
  options: HomeAssistantBridgeOptions,
): Promise<HomeAssistantBridge> {
  const { transport, topics, discoveryPrefix } = options;
  const log = options.log.child({ component: 'homeassistant' });
  const ctx: DiscoveryContext = { topics, discoveryPrefix, version: options.version };
  /** Devices by discovery topic; a service's key is `stack/service`. */
  const devices = new Map<string, DiscoveryMessage>();
  const services = new Map<string, string>();
  let closed = false;

  const send = (message: DiscoveryMessage): Promise<void> =>
    transport
      .publish(message.topic, message.payload, { qos: 1, retain: true })
      .catch((err: unknown) => log.warn({ err, topic: message.topic }, 'discovery config not published'));

  const add = (message: DiscoveryMessage): void => {
    if (closed || devices.has(message.topic)) return;
    devices.set(message.topic, message);
    log.debug({ topic: message.topic }, 'home assistant device');
    void send(message);
  };

  const removeService = (stack: string, service: string): void => {
    const key = `${stack}/${service}`;
    const topic = services.get(key);
    if (topic === undefined) return;
    services.delete(key);
    devices.delete(topic);
    // [Home Assistant] an empty retained config removes the device and its entities.
    transport
      .clearRetained(topic)
      .catch((err: unknown) => log.warn({ err, topic }, 'discovery config not removed'));
  };

  const republish = async (): Promise<void> => {
    await Promise.all([...devices.values()].map(send));
  };

  const offMessage = transport.onMessage((message) => {
    if (!message.ok) return;
    if (message.kind === 'service_state') {
      const { stack, service } = message.topic;
      const device = serviceDevice(ctx, stack, service);
      services.set(`${stack}/${service}`, device.topic);
      add(device);
    } else if (message.kind === 'agent_info') {
      add(agentDevice(ctx, message.topic.agent, message.payload.hostname ?? null));
    }
  });
  const root = discoveryPrefix.split('/')[0] ?? discoveryPrefix;
  const ours = discoveryTopic(discoveryPrefix, objectId('alicia', topics.prefix));
  const oursStart = ours.slice(0, ours.length - '/config'.length);
  /** Ids alone could match another installation's (prefix `alicia_x`): its topics tell. */
  const madeByUs = (payload: Buffer): boolean => {
    try {
      const config = JSON.parse(payload.toString('utf8')) as Partial<DevicePayload>;
      const first = Object.values(config.cmps ?? {})[0];
      const stateTopic = config.state_topic ?? first?.state_topic;
      return (
        config.o?.name === 'Alicia' &&
        typeof stateTopic === 'string' &&
        stateTopic.startsWith(`${topics.prefix}/`)
      );
    } catch {
      return false;
    }
  };
  const offStatus = transport.onForeign(root, (topic, payload, retained) => {
    // A config of ours the broker kept from before (a service removed while discovery was
    // off): the retained states and infos came first in the same SUBSCRIBE (brokers send
    // retained messages filter by filter), so a device unknown by now is gone. Retained
    // delivery only: our own publishes come back live, and a device may be added later.
    if (retained && topic.startsWith(oursStart) && !devices.has(topic) && madeByUs(payload)) {
      log.info({ topic }, 'removing a stale home assistant device');
      transport
        .clearRetained(topic)
        .catch((err: unknown) => log.warn({ err, topic }, 'stale discovery config not removed'));
      return;
    }
    if (topic !== statusTopic(discoveryPrefix)) return;
    if (payload.toString('utf8').trim() !== 'online') return;
    log.info({ devices: devices.size }, 'home assistant is online: sending discovery again');
    void republish();
  });
  // The broker may have lost retained configs (a broker without persistence restarted).
  const offConnect = transport.onConnect(() => {
    if (devices.size > 0) void republish();
  });
  const offEvents = options.events.onEvent((event) => {
    if (event.event_type === 'service_removed') {
      removeService(event.event_data.stack, event.event_data.service);
    } else if (event.event_type === 'stack_removed') {
      for (const service of event.event_data.services) removeService(event.event_data.stack, service);
    }
  });

  await transport.subscribe(
    [
      topics.filters.serviceStates,
      topics.filters.allAgents,
      statusTopic(discoveryPrefix),
      // Last: what the broker kept of our configs, once it has sent the states (see above).
      discoveryTopic(discoveryPrefix, '+'),
    ],
    1,
  );
  log.info({ discoveryPrefix }, 'home assistant discovery on');

  return {
    devices: () => [...devices.keys()],
    republish,
    close() {
      closed = true;
      offMessage();
      offStatus();
      offConnect();
      offEvents();
    },
  };
}
