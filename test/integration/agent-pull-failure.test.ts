// Needs Docker: an image that cannot be pulled fails the start at once with the registry's
// reason (ALICIA_ERR_IMAGE_PULL), and the agent does not pull it again by itself. The
// registry is 127.0.0.1:1 (nothing listens): the pull is refused without leaving loopback.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import {
  agentTestEnv,
  Closer,
  closeAgentTest,
  inProcessAgent,
  start,
  untilReport,
  type Watcher,
} from './agent-harness.js';

const STACK = 'pull-failure-it';
const docker = testDocker();
const closer = new Closer();

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'pull'));
});

afterEach(async () => {
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('image pull failures on real Docker', () => {
  it('fail the start at once with the registry’s reason, and are not retried by the agent', async () => {
    const agent = await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir });
    const image = '127.0.0.1:1/alicia-missing/app:1';
    const bad = instanceSpec(STACK, 'app', 1, { image });
    const t0 = Date.now();
    const answer = await start(w, agentId, [bad]);
    const failedMs = Date.now() - t0;
    const result = answer.status === 'ok' ? answer.data?.results?.[0] : undefined;
    expect(result).toMatchObject({
      instance: bad.instance,
      status: 'error',
      error: { code: 'ALICIA_ERR_IMAGE_PULL' },
    });
    const message = result?.error?.message ?? '';
    // The image and the registry's own words.
    expect(message).toContain(image);
    expect(message).toMatch(
      /^Image could not be pulled: 127\.0\.0\.1:1\/alicia-missing\/app:1: Get "http:\/\/127\.0\.0\.1:1\/v2\/": .*connection refused$/,
    );
    expect(failedMs).toBeLessThan(5_000);
    expect(agent.stats.pull_failures).toBe(1);

    // The agent goes on with other work; the failed one was neither created nor pulled again.
    const good = instanceSpec(STACK, 'ok', 1);
    expect((await start(w, agentId, [good])).status).toBe('ok');
    await untilReport(w, agentId, good.instance, (r) => r.state === 'running');
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`alicia.instance=${bad.instance}`] },
    });
    expect(left).toEqual([]);
    expect(agent.stats.pull_failures).toBe(1);
    console.log(`pull failure answered in ${failedMs} ms: ${message}`);
  }, 30_000);
});
