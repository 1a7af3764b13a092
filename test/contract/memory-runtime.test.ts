// Runs the ContainerRuntime contract against the in-memory runtime (no Docker needed).
import { createMemoryRuntime, type MemoryRuntime } from '../../agents/runtime/index.js';
import { TEST_IMAGE } from '../helpers/docker.js';
import { containerRuntimeContract } from './container-runtime.contract.js';

containerRuntimeContract('memory', 'contract-memory', async () => {
  // Only the test image is "local" and nothing can be pulled, like the test engine.
  const runtime: MemoryRuntime = createMemoryRuntime({ images: [TEST_IMAGE] });
  return {
    runtime,
    async breakHealth(instance) {
      runtime.setHealth(instance, 'unhealthy');
    },
    async setReady(instance, ready) {
      runtime.setReady(instance, ready);
    },
    async cleanup() {
      for (const container of runtime.all()) await runtime.remove(container.id);
    },
  };
});
