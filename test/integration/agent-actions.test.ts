// Needs Docker: the agent in-process against the real engine and an aedes broker on port 0.
// Commands go in over MQTT; each outcome is checked on Docker itself and on the agent's
// retained containers topic.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../agents/index.js';
import type { ActionResponse } from '../../src/protocol/agent-actions.js';
import { signCommand } from '../../src/protocol/signature.js';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import {
  agentTestEnv,
  broker,
  Closer,
  closeAgentTest,
  commandBody,
  inProcessAgent,
  report,
  send,
  start,
  tempDir,
  untilReport,
  type Watcher,
  watcher,
} from './agent-harness.js';

const STACK = 'agent-cmd-it';
const docker = testDocker();
const closer = new Closer();

async function dockerContainers(agent: string) {
  return docker.listContainers({ all: true, filters: { label: [`alicia.agent=${agent}`] } });
}

function results(answer: ActionResponse) {
  if (answer.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(answer)}`);
  return answer.data?.results ?? [];
}

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

async function agent(extra: Partial<Parameters<typeof inProcessAgent>[1]> = {}): Promise<Agent> {
  return inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, ...extra });
}

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'cmd'));
});

afterEach(async () => {
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('agent commands on real Docker', () => {
  it('start, stop, restart and remove round trips, seen on Docker and on the retained containers topic', async () => {
    await agent();
    const web = instanceSpec(STACK, 'web', 1);

    const started = results(await start(w, agentId, [web]));
    expect(started).toEqual([{ instance: web.instance, status: 'ok', container_id: expect.any(String) }]);
    const id = started[0]?.container_id ?? '';
    const inspected = await docker.getContainer(id).inspect();
    expect(inspected.State.Running).toBe(true);
    expect(inspected.Name).toBe(`/alicia-${web.instance}`);
    expect(inspected.Config.Labels).toMatchObject({
      'alicia.agent': agentId,
      'alicia.spec-hash': web.spec_hash,
      'alicia.slot': '1',
    });
    expect(await untilReport(w, agentId, web.instance, (r) => r.state === 'running')).toMatchObject({
      container_id: id,
      stack: STACK,
      service: 'web',
      spec_hash: web.spec_hash,
      health: 'none',
      restarts: 0,
    });

    // Start is idempotent: the same spec again keeps the very same container.
    expect(results(await start(w, agentId, [web]))).toEqual([
      { instance: web.instance, status: 'ok', container_id: id },
    ]);
    expect((await dockerContainers(agentId)).map((c) => c.Id)).toEqual([id]);

    expect(results(await send(w, agentId, 'stop', { instances: [web.instance], timeout_ms: 0 }))).toEqual([
      { instance: web.instance, status: 'ok', container_id: id },
    ]);
    expect((await docker.getContainer(id).inspect()).State.Status).toBe('exited');
    expect(await untilReport(w, agentId, web.instance, (r) => r.state === 'stopped')).toMatchObject({
      container_id: id,
    });

    expect(results(await send(w, agentId, 'restart', { instances: [web.instance] }))[0]).toMatchObject({
      status: 'ok',
      container_id: id,
    });
    expect((await docker.getContainer(id).inspect()).State.Running).toBe(true);
    expect(
      await untilReport(w, agentId, web.instance, (r) => r.state === 'running' && r.restarts === 1),
    ).toMatchObject({ container_id: id });

    expect(results(await send(w, agentId, 'remove', { instances: [web.instance] }))).toEqual([
      { instance: web.instance, status: 'ok', container_id: id },
    ]);
    expect(await dockerContainers(agentId)).toEqual([]);
    await w.until(`alicia/agents/${agentId}/containers`, (s) => report(s, web.instance) === undefined);

    // Removing what is already gone is fine; stopping it is an error that says so.
    expect(results(await send(w, agentId, 'remove', { instances: [web.instance] }))).toEqual([
      { instance: web.instance, status: 'ok' },
    ]);
    expect(results(await send(w, agentId, 'stop', { instances: [web.instance] }))[0]).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_NOT_FOUND' },
    });
  });

  it('apply keeps unchanged instances, replaces changed ones, starts new ones and removes unlisted ones', async () => {
    await agent();
    const a = instanceSpec(STACK, 'a', 1);
    const b = instanceSpec(STACK, 'b', 1);
    const first = results(await send(w, agentId, 'apply', { instances: [a, b] }));
    const idA = first.find((r) => r.instance === a.instance)?.container_id;
    const idB = first.find((r) => r.instance === b.instance)?.container_id;
    expect(idA).toBeTruthy();

    const b2 = instanceSpec(STACK, 'b', 1, { environment: { VERSION: '2' } });
    const c = instanceSpec(STACK, 'c', 1);
    const second = results(await send(w, agentId, 'apply', { instances: [a, b2, c] }));
    expect(second.every((r) => r.status === 'ok')).toBe(true);
    expect(second.find((r) => r.instance === a.instance)?.container_id).toBe(idA);
    const newB = second.find((r) => r.instance === b.instance)?.container_id;
    expect(newB).not.toBe(idB);
    expect((await docker.getContainer(newB ?? '').inspect()).Config.Env).toContain('VERSION=2');
    expect(await untilReport(w, agentId, b.instance, (r) => r.container_id === newB)).toMatchObject({
      spec_hash: b2.spec_hash,
    });

    const third = results(await send(w, agentId, 'apply', { instances: [c] }));
    expect(third.map((r) => [r.instance, r.status]).sort()).toEqual(
      [
        [a.instance, 'ok'],
        [b.instance, 'ok'],
        [c.instance, 'ok'],
      ].sort(),
    );
    const left = await dockerContainers(agentId);
    expect(left.map((x) => x.Labels['alicia.instance'])).toEqual([c.instance]);
  });

  it('answers a repeated transaction with the stored answer and never runs it twice', async () => {
    const running = await agent();
    const web = instanceSpec(STACK, 'web', 1);
    const body = commandBody({ instances: [web] });

    // Twice at once: the second arrives while the first is still being carried out.
    const [one, two] = await Promise.all([send(w, agentId, 'start', body), send(w, agentId, 'start', body)]);
    expect(two).toEqual(one);
    // And once more later, after a remove: still the stored answer, nothing recreated.
    results(await send(w, agentId, 'remove', { instances: [web.instance] }));
    const three = await send(w, agentId, 'start', body);
    expect(three).toEqual(one);
    expect(await dockerContainers(agentId)).toEqual([]);
    expect(running.stats.duplicates).toBe(2);
  });

  it('refuses a stale command and creates nothing', async () => {
    const running = await agent();
    const web = instanceSpec(STACK, 'web', 1);
    const answer = await start(w, agentId, [web], { expiresInMs: -5_000 });
    expect(answer).toMatchObject({ status: 'error', error: { code: 'ALICIA_ERR_COMMAND_STALE' } });
    expect(answer.status === 'error' && answer.error.message).toContain(String(answer.transaction));
    expect(await dockerContainers(agentId)).toEqual([]);
    expect(running.stats.stale).toBe(1);
  });

  it('enforces local policy whatever the broker says: privileged, host paths, images — nothing is created', async () => {
    const allowedDir = await tempDir(closer, 'allowed');
    const running = await agent({
      policy: { allowedHostPaths: [allowedDir], allowedImages: ['alicia-test/*'] },
    });
    const privileged = instanceSpec(STACK, 'priv', 1, { privileged: true });
    const hostPath = instanceSpec(STACK, 'etc', 1, {
      volumes: [{ type: 'bind', source: `${allowedDir}/../../etc`, target: '/host-etc', read_only: true }],
    });
    const image = instanceSpec(STACK, 'img', 1, { image: 'docker.io/library/nginx:1.25' });
    const fine = instanceSpec(STACK, 'fine', 1, {
      volumes: [{ type: 'bind', source: `${allowedDir}/data`, target: '/data', read_only: false }],
    });
    const answer = results(await start(w, agentId, [privileged, hostPath, image, fine]));
    const byInstance = Object.fromEntries(answer.map((r) => [r.instance, r]));
    expect(byInstance[privileged.instance]).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_POLICY_PRIVILEGED' },
    });
    expect(byInstance[privileged.instance]?.error?.message).toContain(privileged.instance);
    expect(byInstance[hostPath.instance]).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_POLICY_HOST_PATH' },
    });
    expect(byInstance[hostPath.instance]?.error?.message).toContain('/../../etc');
    expect(byInstance[image.instance]).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_POLICY_IMAGE' },
    });
    expect(byInstance[image.instance]?.error?.message).toContain('nginx:1.25');
    expect(byInstance[fine.instance]).toMatchObject({ status: 'ok' });
    const names = (await dockerContainers(agentId)).map((c) => c.Labels['alicia.instance']);
    expect(names).toEqual([fine.instance]);
    expect(running.stats.policy_refusals).toBe(3);
  });

  it('answers malformed commands with errors on the response topic, counts them, and keeps working', async () => {
    const running = await agent();
    const cmd = (action: string) => `alicia/agents/${agentId}/cmd/${action}`;
    const answerOn = (action: string) =>
      w.messages.next(
        (m) => m.topic === `alicia/agents/${agentId}/response/${action}`,
        10_000,
        `an answer on ${action}`,
      );

    let next = answerOn('start');
    await w.publishRaw(cmd('start'), '{"transaction": "tx-bad", nope');
    expect((await next).payload).toMatchObject({
      status: 'error',
      transaction: null,
      error: { code: 'ALICIA_ERR_PAYLOAD_JSON' },
    });

    next = answerOn('stop');
    await w.publishRaw(cmd('stop'), JSON.stringify({ v: 1, transaction: 'tx-schema', instances: 'web' }));
    expect((await next).payload).toMatchObject({
      status: 'error',
      transaction: 'tx-schema',
      error: { code: 'ALICIA_ERR_PAYLOAD_SCHEMA' },
    });

    next = answerOn('apply');
    await w.publishRaw(cmd('apply'), Buffer.alloc(1024 * 1024 + 10, 0x20));
    expect((await next).payload).toMatchObject({
      status: 'error',
      transaction: null,
      error: { code: 'ALICIA_ERR_PAYLOAD_TOO_LARGE' },
    });

    next = answerOn('explode');
    await w.publishRaw(cmd('explode'), JSON.stringify({ v: 1, transaction: 'tx-boom' }));
    expect((await next).payload).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_TOPIC_UNKNOWN' },
    });

    next = answerOn('remove');
    await w.publishRaw(cmd('remove'), Buffer.from([0xff, 0xfe, 0x7b]));
    expect((await next).payload).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_PAYLOAD_JSON' },
    });

    expect(running.stats.rejected).toBe(5);
    const web = instanceSpec(STACK, 'web', 1);
    expect(results(await start(w, agentId, [web]))[0]).toMatchObject({ status: 'ok' });
    expect(await dockerContainers(agentId)).toHaveLength(1);
  });

  it('with a command secret, refuses unsigned or wrongly signed commands and runs signed ones', async () => {
    const running = await agent({ commandSecret: 's3cret' });
    const web = instanceSpec(STACK, 'web', 1);
    const unsigned = await start(w, agentId, [web]);
    expect(unsigned).toMatchObject({ status: 'error', error: { code: 'ALICIA_ERR_SIGNATURE' } });
    const forged = signCommand(commandBody({ instances: [web] }), 'not-the-secret');
    expect(await send(w, agentId, 'start', forged)).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_SIGNATURE' },
    });
    expect(await dockerContainers(agentId)).toEqual([]);

    // The genuine command with the forged one's transaction still runs: forgeries are not recorded.
    const signed = signCommand({ ...forged, sig: undefined }, 's3cret');
    expect(results(await send(w, agentId, 'start', signed))[0]).toMatchObject({ status: 'ok' });
    expect(await dockerContainers(agentId)).toHaveLength(1);
    expect(running.stats.bad_signatures).toBe(2);
  });

  it('reports a Docker failure on one instance as that instance’s error and starts the others', async () => {
    await agent();
    const ghost = instanceSpec(STACK, 'ghost', 1, { image: 'alicia-test/never-built:1' });
    const web = instanceSpec(STACK, 'web', 1);
    const answer = results(await start(w, agentId, [ghost, web]));
    const ghostResult = answer.find((r) => r.instance === ghost.instance);
    expect(ghostResult).toMatchObject({ status: 'error', error: { code: 'ALICIA_ERR_IMAGE_PULL' } });
    expect(ghostResult?.error?.message).toContain('alicia-test/never-built:1');
    expect(answer.find((r) => r.instance === web.instance)).toMatchObject({ status: 'ok' });
    expect((await dockerContainers(agentId)).map((c) => c.Labels['alicia.instance'])).toEqual([web.instance]);
  });

  it('receives a command published while it was cut off, through its persistent session', async () => {
    const b = await broker(closer);
    const w2 = await watcher(closer, b.url);
    await inProcessAgent(closer, { id: agentId, brokerUrl: b.url, stateDir });
    await w2.until(`alicia/agents/${agentId}/state`, (p: { state: string }) => p.state === 'online');
    const gone = new Promise<void>((resolve) => {
      b.aedes.once('clientDisconnect', (client) => {
        if (client.id === `alicia-agent-${agentId}`) resolve();
      });
    });
    expect(b.dropClient(`alicia-agent-${agentId}`)).toBe(true);
    await gone;
    // Published while the agent is away (it reconnects after ≥ 500 ms): the broker queues it.
    const web = instanceSpec(STACK, 'web', 1);
    const answer = await start(w2, agentId, [web]);
    expect(results(answer)[0]).toMatchObject({ status: 'ok' });
    expect(await dockerContainers(agentId)).toHaveLength(1);
  });
});
