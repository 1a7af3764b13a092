// Needs Docker: real containers on the private engine, a real agent, the orchestrator on an
// aedes broker (port 0), and the real `mosquitto_sub` on the error channel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AliciaEvent, eventSubject } from '../../src/protocol/index.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { mosquittoSub, type Subscriber } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { type Harness, startHarness } from '../integration/orchestrator-harness.js';
import { httpdService } from './helpers.js';

const STACK = 'e2efail';
const docker = testDocker();
let harness: Harness | null = null;
let sub: Subscriber | null = null;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  await sub?.close();
  sub = null;
  await harness?.close();
  harness = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('e2e: a dependency that never becomes healthy', () => {
  it('blocks its dependents and fails the deploy with the reason, on the wire and in the reply', async () => {
    harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-fail-host' }] });
    sub = await mosquittoSub(harness.broker.port, ['alicia/services/orchestration_errors']);
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const yaml = [
      'services:',
      '  db:',
      // Its probe asks a port nobody listens on: unhealthy after start_period + retries.
      httpdService({ port: p1 ?? 0, healthy: false, startPeriod: '1s' }),
      '  api:',
      httpdService({ port: p2 ?? 0, dependsOn: { db: 'service_healthy' } }),
      '  web:',
      httpdService({ port: p3 ?? 0, dependsOn: { api: 'service_healthy' } }),
    ].join('\n');

    const client = await harness.client();
    const text = `${yaml}\n`;
    const started = Date.now();
    const failure = await client
      .request(
        'deploy',
        {
          project_directory: '/srv/e2efail',
          compose: ['compose.yaml'],
          files: [{ path: 'compose.yaml', kind: 'compose', text }],
          env: {},
          project: STACK,
        },
        { timeoutMs: 60_000 },
      )
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect(failure).toMatchObject({
      code: 'ALICIA_ERR_DEPLOY_FAILED',
      message: expect.stringMatching(
        /^Deploy failed: stack "e2efail": service "db": instance e2efail_db_1_\w+ on e2e-fail-host is unhealthy \(its healthcheck failed\); not started because a dependency failed: api, web$/,
      ),
    });
    // Health failed fast: start_period 1 s + 2 retries at 300 ms, not the 120 s startup timeout.
    expect(Date.now() - started).toBeLessThan(15_000);

    // Only db exists on Docker: its dependents were never created.
    const containers = await docker.listContainers({
      all: true,
      filters: { label: [`alicia.stack=${STACK}`] },
    });
    expect(containers.map((c) => c.Labels['alicia.service'])).toEqual(['db']);

    // The failures are on alicia/services/orchestration_errors for any MQTT client.
    await sub.waitFor((l) => l.includes('"deploy_failed"'), 'deploy_failed');
    const errors = (sub.payloads('alicia/services/orchestration_errors') as AliciaEvent[]).filter(
      (e) => eventSubject(e).stack === STACK,
    );
    expect(errors.map((e) => `${e.event_type}:${eventSubject(e).service ?? ''}`)).toEqual([
      'service_failed:db',
      'service_failed:api',
      'service_failed:web',
      'deploy_failed:',
    ]);
    expect(errors[1]?.event_data).toMatchObject({
      error: { code: 'ALICIA_ERR_DEPENDENCY_FAILED' },
      reason: expect.stringContaining('dependency "db" failed'),
    });
  });
});
