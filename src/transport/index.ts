export type {
  ForeignHandler,
  ProtocolLevel,
  PublishListener,
  MessageHandler,
  PublishOptions,
  Transport,
  TransportOptions,
  TransportStats,
  Will,
} from './mqtt.js';
export { createMqttTransport } from './mqtt.js';
