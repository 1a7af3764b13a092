// Needs Docker and Debian's mosquitto-clients: the agent as a real process
// (`node dist/src/cli/main.js agent …`, so `npm run build` first), killed hard, restarted,
// cut off from its broker; presence and containers read back with the real mosquitto_sub.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainersSnapshot } from '../../src/protocol/containers.js';
import type { Presence } from '../../src/protocol/presence.js';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { mosquittoSubOnce } from '../helpers/mosquitto.js';
import {
  type AgentProcess,
  agentProcess,
  agentTestEnv,
  broker,
  Closer,
  closeAgentTest,
  explained,
  send,
  start,
  untilPresence,
  untilReport,
  type Watcher,
  watcher,
} from './agent-harness.js';

const STACK = 'agent-process-it';
const docker = testDocker();
const closer = new Closer();

let w: Watcher;
let port: number;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

function runAgent() {
  return agentProcess(closer, [
    '--broker',
    brokerUrl,
    '--id',
    agentId,
    '--state-dir',
    stateDir,
    '--heartbeat-ms',
    '200',
    '--labels',
    'zone=garage',
    // The contract specs run on the host network, which a networked agent refuses by default.
    '--allow-host-namespace',
    'network',
  ]);
}

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir, port } = await agentTestEnv(closer, 'proc'));
});

afterEach(async () => {
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('the agent process', () => {
  it('announces itself (read with mosquitto_sub), survives SIGKILL through its will, and adopts its containers on restart', async () => {
    const first = runAgent();
    await untilPresence(w, agentId, (p) => p.state === 'online' && p.session === 1).catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- agent log ---\n${first.log()}`);
    });

    // The real mosquitto_sub sees the retained presence and info.
    const stateLines = await mosquittoSubOnce(port, `alicia/agents/${agentId}/state`, { verbose: true });
    expect(stateLines[0]?.startsWith(`alicia/agents/${agentId}/state `)).toBe(true);
    expect(JSON.parse(stateLines[0]?.split(' ').slice(1).join(' ') ?? '')).toMatchObject({
      v: 1,
      state: 'online',
      session: 1,
    });
    const infoLines = await mosquittoSubOnce(port, `alicia/agents/${agentId}/info`);
    expect(JSON.parse(infoLines[0] ?? '')).toMatchObject({
      agent: agentId,
      labels: { zone: 'garage' },
      role: 'worker',
      docker_version: expect.any(String),
    });
    const heartbeat = await w.until<{ seq: number; session: number }>(
      `alicia/agents/${agentId}/heartbeat`,
      (h) => h.seq >= 2,
    );
    expect(heartbeat.session).toBe(1);

    const web = instanceSpec(STACK, 'web', 1);
    const api = instanceSpec(STACK, 'api', 1);
    const answer = await start(w, agentId, [web, api]);
    expect(answer.status).toBe('ok');
    // Both must be reported before the retained snapshot is read: the first change of a
    // burst is published at once, the rest in a trailing snapshot.
    await untilReport(w, agentId, api.instance, (r) => r.state === 'running');
    await untilReport(w, agentId, web.instance, (r) => r.state === 'running');
    const containersLines = await mosquittoSubOnce(port, `alicia/agents/${agentId}/containers`);
    const seen = JSON.parse(containersLines[0] ?? '') as ContainersSnapshot;
    expect(seen.containers.map((c) => [c.instance, c.state]).sort()).toEqual([
      [api.instance, 'running'],
      [web.instance, 'running'],
    ]);
    const before = Object.fromEntries(
      await Promise.all(
        seen.containers.map(
          async (c) =>
            [c.instance, (await docker.getContainer(c.container_id).inspect()).State.StartedAt] as const,
        ),
      ),
    );

    // Kill -9: no clean goodbye, the broker publishes the will (same session).
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await untilPresence(w, agentId, (p) => p.state === 'offline')).toMatchObject({ session: 1 });
    for (const c of seen.containers)
      expect((await docker.getContainer(c.container_id).inspect()).State.Running).toBe(true);

    // While it is down, one container is removed and the other stopped behind its back.
    await docker
      .getContainer(seen.containers.find((c) => c.instance === web.instance)?.container_id ?? '')
      .remove({ force: true });
    const apiId = seen.containers.find((c) => c.instance === api.instance)?.container_id ?? '';
    const second = runAgent();
    const online = await untilPresence(w, agentId, (p) => p.state === 'online').catch((err: unknown) => {
      throw new Error(`${String(err)}\n--- agent log ---\n${second.log()}`);
    });
    expect(online.session).toBe(2);
    // api is adopted as it was (same id, not restarted); web, desired but missing, is created again.
    const adopted = await untilReport(w, agentId, api.instance, (r) => r.state === 'running', 15_000, {
      session: 2,
    });
    expect(adopted).toMatchObject({ container_id: apiId, restarts: 0 });
    expect((await docker.getContainer(apiId).inspect()).State.StartedAt).toBe(before[api.instance]);
    const recreated = await untilReport(w, agentId, web.instance, (r) => r.state === 'running', 15_000, {
      session: 2,
    });
    expect(recreated.container_id).not.toBe(
      seen.containers.find((c) => c.instance === web.instance)?.container_id,
    );
    const all = await docker.listContainers({ all: true, filters: { label: [`alicia.agent=${agentId}`] } });
    expect(all).toHaveLength(2);

    // A clean stop publishes offline itself and leaves the containers running.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await untilPresence(w, agentId, (p) => p.state === 'offline')).toMatchObject({ session: 2 });
    expect((await docker.getContainer(apiId).inspect()).State.Running).toBe(true);
  });

  it('starts a desired container found stopped after a host reboot, but leaves one the operator stopped', async () => {
    const processes: AgentProcess[] = [];
    await explained(processes, async () => {
      const first = runAgent();
      processes.push(first);
      await untilPresence(w, agentId, (p) => p.state === 'online');
      const web = instanceSpec(STACK, 'web', 1);
      const paused = instanceSpec(STACK, 'paused', 1);
      await start(w, agentId, [web, paused]);
      await untilReport(w, agentId, paused.instance, (r) => r.state === 'running');
      const stopAnswer = await send(w, agentId, 'stop', { instances: [paused.instance], timeout_ms: 0 });
      expect(stopAnswer.status).toBe('ok');
      first.child.kill('SIGKILL');
      await first.exited;

      // "Reboot": every container stopped while the agent is down.
      const webReport = await untilReport(w, agentId, web.instance, (r) => r.state === 'running');
      await docker.getContainer(webReport.container_id).stop({ t: 0 });
      processes.push(runAgent());
      await untilPresence(w, agentId, (p) => p.state === 'online' && p.session === 2);
      expect(
        await untilReport(w, agentId, web.instance, (r) => r.state === 'running', 15_000, { session: 2 }),
      ).toMatchObject({
        container_id: webReport.container_id,
      });
      const pausedReport = await untilReport(
        w,
        agentId,
        paused.instance,
        (r) => r.state === 'stopped',
        15_000,
        { session: 2 },
      );
      expect((await docker.getContainer(pausedReport.container_id).inspect()).State.Running).toBe(false);
    });
  });

  it('reconnects when its broker restarts on the same port and announces itself again with a higher session', async () => {
    // A broker of our own, so that this test can stop and restart it.
    const own = await broker(closer);
    const w1 = await watcher(closer, own.url);
    const child = agentProcess(closer, [
      '--broker',
      own.url,
      '--id',
      agentId,
      '--state-dir',
      stateDir,
      '--heartbeat-ms',
      '200',
      '--allow-host-namespace',
      'network',
    ]);
    const online = await untilPresence(w1, agentId, (p) => p.state === 'online');
    const web = instanceSpec(STACK, 'web', 1);
    await start(w1, agentId, [web]);
    const running = await untilReport(w1, agentId, web.instance, (r) => r.state === 'running');

    await own.close();
    const again = await broker(closer, own.port);
    const w2 = await watcher(closer, again.url);
    // The new broker knows nothing: everything below was republished by the agent.
    const back = await untilPresence(w2, agentId, (p: Presence) => p.state === 'online', 20_000).catch(
      (err: unknown) => {
        throw new Error(`${String(err)}\n--- agent log ---\n${child.log()}`);
      },
    );
    expect(back.session).toBeGreaterThan(online.session);
    expect(await w2.until(`alicia/agents/${agentId}/info`, () => true)).toMatchObject({ agent: agentId });
    expect(
      await untilReport(w2, agentId, web.instance, (r) => r.state === 'running', 15_000, {
        session: back.session,
      }),
    ).toMatchObject({
      container_id: running.container_id,
    });
    // And it takes commands again.
    expect((await start(w2, agentId, [web])).status).toBe('ok');
    // The will registered on the new connection carries the new session.
    child.child.kill('SIGKILL');
    await child.exited;
    expect(await untilPresence(w2, agentId, (p) => p.state === 'offline')).toMatchObject({
      session: back.session,
    });
  });

  it('exits 1 with the file and the field named when its config file is wrong, before touching anything', async () => {
    const config = join(stateDir, 'agent.yaml');
    await writeFile(config, `id: ${agentId}\nbroker: ${brokerUrl}\npolicy:\n  allow_priviledged: true\n`);
    const bad = agentProcess(closer, ['--config', config]);
    expect(await bad.exited).toBe(1);
    expect(bad.log()).toContain('ALICIA_ERR_CONFIG_INVALID');
    expect(bad.log()).toContain(config);
    expect(bad.log()).toContain('allow_priviledged');
    const noId = agentProcess(closer, ['--broker', brokerUrl]);
    expect(await noId.exited).toBe(1);
    expect(noId.log()).toContain('agent id is required');
    expect(w.latest(`alicia/agents/${agentId}/state`)).toBeUndefined();
  });
});
