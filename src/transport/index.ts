export type {
  ForeignHandler,
  MessageHandler,
  ProtocolLevel,
  PublishListener,
  PublishOptions,
  Transport,
  TransportOptions,
  TransportStats,
  Will,
} from './mqtt.js';
export { createMqttTransport } from './mqtt.js';
