// Runs the Transport contract against Debian's real Mosquitto 2.0 with the shipped conf and
// ACL (broker/mosquitto), started once for this file on a free port; the clients log in as
// the orchestrator user, which may read and write everything under alicia/.

import { startMosquitto } from '../integration/mosquitto-harness.js';
import { type BrokerUnderTest, transportContract } from './transport.contract.js';

const ORCHESTRATOR = { name: 'orchestrator', password: 'contract-orchestrator-pw' };

transportContract('Mosquitto 2.0 (shipped conf and ACL)', async (): Promise<BrokerUnderTest> => {
  const mosquitto = await startMosquitto({ users: [ORCHESTRATOR] });
  return {
    port: mosquitto.port,
    mqttVersion: 5,
    auth: { username: ORCHESTRATOR.name, password: ORCHESTRATOR.password },
    restart: () => mosquitto.restart(),
    close: () => mosquitto.close(),
  };
});
