// Runs the Transport contract against the embedded aedes broker (open, no users), on a free
// port that a restart reuses.
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { type BrokerUnderTest, transportContract } from './transport.contract.js';

transportContract('aedes (embedded broker)', async (): Promise<BrokerUnderTest> => {
  let current: EmbeddedBroker = await startEmbeddedBroker({ port: 0 });
  const port = current.port;
  return {
    port,
    mqttVersion: 4,
    auth: {},
    async restart() {
      // In memory only: retained messages and sessions do not survive, connections drop.
      await current.close();
      current = await startEmbeddedBroker({ port });
    },
    close: () => current.close(),
  };
});
