// Needs Docker: runs the ContainerRuntime contract against the dockerode adapter on the
// real engine (DOCKER_HOST from test/setup/docker.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerRuntime, type ProbeTest } from '../../agents/runtime/index.js';
import { execIn, removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { containerRuntimeContract } from './container-runtime.contract.js';
import { instanceSpec } from './specs.js';

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

describe('docker adapter: probe past its timeout', () => {
  const runtime = createDockerRuntime();
  afterEach(async () => {
    await removeLabelled(docker, 'alicia.stack', 'docker-probe');
  });

  it('answers false at the timeout and runs no second test in that container until the first has ended', async () => {
    await removeLabelled(docker, 'alicia.stack', 'docker-probe');
    const spec = instanceSpec('docker-probe', 'slow', 1);
    const created = await runtime.create(spec, 'docker-probe-agent');
    // Each run of the test leaves a line, then takes 1 s: far past the 100 ms timeout.
    const slow: ProbeTest = ['CMD-SHELL', 'echo run >> /tmp/probes; sleep 1'];
    expect(await runtime.probe(created.id, slow, 100)).toBe(false);
    expect(await runtime.probe(created.id, slow, 100)).toBe(false);
    // Once the first test has ended, probing goes on as usual.
    await until(async () => (await runtime.probe(created.id, ['CMD', 'true'], 5_000)) || undefined, {
      what: 'the lingering test to end',
    });
    expect(await execIn(docker, created.name, ['sh', '-c', 'test "$(wc -l < /tmp/probes)" -eq 1'])).toBe(0);
  });
});
