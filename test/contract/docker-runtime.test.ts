// Needs Docker: runs the ContainerRuntime contract against the dockerode adapter on the
// real engine (DOCKER_HOST from test/setup/docker.ts).
import { createDockerRuntime } from '../../agents/runtime/index.js';
import { execIn, removeLabelled, testDocker } from '../helpers/docker.js';
import { containerRuntimeContract } from './container-runtime.contract.js';

const STACK = 'contract-docker';
const docker = testDocker();

containerRuntimeContract('docker', STACK, async () => ({
  runtime: createDockerRuntime({ pullTimeoutMs: 20_000 }),
  async breakHealth(instance) {
    // The probe is `test -f /tmp/ready`: take the file away inside the container.
    const exec = await docker.getContainer(`alicia-${instance}`).exec({ Cmd: ['rm', '-f', '/tmp/ready'] });
    await exec.start({ Detach: true });
  },
  async setReady(instance, ready) {
    await execIn(docker, `alicia-${instance}`, ready ? ['touch', '/tmp/ready'] : ['rm', '-f', '/tmp/ready']);
  },
  async cleanup() {
    await removeLabelled(docker, 'alicia.stack', STACK);
  },
}));
