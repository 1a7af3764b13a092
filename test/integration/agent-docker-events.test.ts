// Needs Docker: the agent's view of the engine goes away and comes back, as when dockerd
// restarts. Restarting the shared test engine would break other tests, so the agent talks
// to it through a unix-socket proxy that this test cuts and restores.
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../agents/runtime/index.js';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import {
  agentTestEnv,
  Closer,
  closeAgentTest,
  inProcessAgent,
  start,
  untilReport,
  type Watcher,
} from './agent-harness.js';

const STACK = 'agent-docker-events-it';
const docker = testDocker();
const closer = new Closer();

function engineSocket(): string {
  const host = process.env.DOCKER_HOST ?? '';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

interface SocketProxy {
  readonly path: string;
  /** The engine "stops": every connection is cut and nobody can connect. */
  cut(): Promise<void>;
  /** The engine "is back". */
  resume(): Promise<void>;
  close(): Promise<void>;
}

async function socketProxy(path: string, target: string): Promise<SocketProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  const listen = async () => {
    await rm(path, { force: true });
    server = net.createServer((client) => {
      const upstream = net.connect(target);
      sockets.add(client);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server?.listen(path, resolve));
  };
  const cut = async () => {
    const closing = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  return { path, cut, resume: listen, close: cut };
}

let w: Watcher;
let brokerUrl: string;
let agentId: string;
let stateDir: string;

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
  ({ w, brokerUrl, agentId, stateDir } = await agentTestEnv(closer, 'events'));
});

afterEach(async () => {
  await closeAgentTest(closer);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

describe('agent and a Docker engine that goes away', () => {
  it('answers ALICIA_ERR_DOCKER_UNREACHABLE meanwhile, then reconnects its event stream and resyncs by listing', async () => {
    const proxy = await socketProxy(join(stateDir, 'docker.sock'), engineSocket());
    closer.add(() => proxy.close());
    const runtime = createDockerRuntime({
      docker: { socketPath: proxy.path },
      eventsReconnectMinMs: 100,
      eventsReconnectMaxMs: 400,
    });
    closer.add(() => runtime.close());
    await inProcessAgent(closer, { id: agentId, brokerUrl, stateDir, runtime });

    const web = instanceSpec(STACK, 'web', 1);
    expect((await start(w, agentId, [web])).status).toBe('ok');
    const running = await untilReport(w, agentId, web.instance, (r) => r.state === 'running');
    const startedAt = (await docker.getContainer(running.container_id).inspect()).State.StartedAt;

    await proxy.cut();
    const other = instanceSpec(STACK, 'other', 1);
    const refused = await start(w, agentId, [other]);
    expect(refused.status === 'ok' && refused.data?.results[0]).toMatchObject({
      instance: other.instance,
      status: 'error',
      error: { code: 'ALICIA_ERR_DOCKER_UNREACHABLE' },
    });
    // Behind the agent's back (it cannot see events now) the container is stopped.
    await docker.getContainer(running.container_id).stop({ t: 0 });

    await proxy.resume();
    // The agent relists, sees a desired container stopped, and starts it again.
    await until(
      async () => {
        const state = (await docker.getContainer(running.container_id).inspect()).State;
        return state.Running && state.StartedAt !== startedAt;
      },
      {
        timeoutMs: 15_000,
        retryErrors: true,
        what: 'the agent to start the stopped container after the engine came back',
      },
    );
    expect(
      await untilReport(
        w,
        agentId,
        web.instance,
        (r) => r.state === 'running' && r.started_at !== running.started_at,
      ),
    ).toMatchObject({
      container_id: running.container_id,
    });
    // Events flow again: a stop now is seen at once.
    await docker.getContainer(running.container_id).stop({ t: 0 });
    await untilReport(w, agentId, web.instance, (r) => r.state !== 'running');
  });
});
