// A cluster on lab hosts for tests (docs/lab.md): the embedded broker on the lab bridge, the
// orchestrator in this process, one real agent per host in its namespace (the built CLI), a
// subscriber that records every lifecycle event, and the Docker-side views tests judge by.
// Used by test/lab/multi-host.test.ts and test/lab/reschedule-incarnation.test.ts.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import { type EmbeddedDefault, startEmbeddedDefault } from '../../broker/index.js';
import { createLogger, silentLogger } from '../../src/logging/logger.js';
import {
  type Orchestrator,
  type OrchestratorOptions,
  startOrchestrator,
} from '../../src/orchestrator/index.js';
import { type AliciaEvent, EventSchema } from '../../src/protocol/index.js';
import { ALICIA_MAIN } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { bridgeAddress, dockerInHost, labDown, labHost, labUp, spawnInHost, useLab } from './lab.js';

export interface LabCluster<H extends string> {
  /** A scratch directory of the cluster (broker, orchestrator state, files the test writes). */
  readonly dir: string;
  readonly embedded: EmbeddedDefault;
  readonly orchestrator: Orchestrator;
  /** Every lifecycle event, with when it arrived here (ms). */
  readonly events: { at: number; event: AliciaEvent }[];
  /** Starts the agent of `host` in its namespace; it advertises nothing (its broker connection's address is the default). */
  startAgent(host: H): ChildProcess;
  /** kill -9 of the agent of `host` (its containers and engine go on). */
  killAgent(host: H): Promise<void>;
  /** Forgets the agent of `host` without killing it (a lab reboot killed it). */
  forgetAgent(host: H): void;
  /** Containers of a stack's service on a host (ids): running ones, or with `all` stopped ones too. */
  containers(host: H, stack: string, service: string, all?: boolean): Promise<string[]>;
  /** Docker's health of a container on a host. */
  healthOf(host: H, id: string): Promise<string>;
  /** The host where the service runs healthy (exactly one instance over `hosts`), or null. */
  healthyOn(stack: string, service: string, hosts?: readonly H[]): Promise<H | null>;
  /** Events of one type that arrived at or after `t0`. */
  eventsSince<T extends AliciaEvent['event_type']>(
    t0: number,
    type: T,
  ): { at: number; event: Extract<AliciaEvent, { event_type: T }> }[];
  /** Waits until the hosts' agents are online with their info read. */
  agentsOnline(hosts: readonly H[]): Promise<void>;
  /** Kills the agents, stops the orchestrator and the broker, takes the lab down. */
  close(): Promise<void>;
}

/**
 * Takes lab `lab` down (leftovers of an earlier run), brings it up with `hosts.length` hosts
 * (named lab1..labN) and starts the cluster on it. `debug` names the env variable that turns
 * the orchestrator's debug log and the agents' stderr on.
 */
export async function startLabCluster<H extends string>(options: {
  readonly lab: number;
  readonly hosts: readonly H[];
  /** Names the scratch directory and the event subscriber. */
  readonly name: string;
  readonly debug?: string;
  readonly orchestrator?: Partial<OrchestratorOptions>;
}): Promise<LabCluster<H>> {
  if (process.getuid?.() !== 0) throw new Error('lab tests need root');
  const { hosts } = options;
  const debug = options.debug !== undefined && process.env[options.debug] !== undefined;
  useLab(options.lab);
  await labDown(); // a fresh lab: nothing left by an earlier run
  await labUp(hosts.length);
  const dir = await mkdtemp(path.join(os.tmpdir(), `alicia-${options.name}-`));
  const embedded = await startEmbeddedDefault({
    host: bridgeAddress(),
    port: 0,
    stateDir: path.join(dir, 'broker'),
    home: path.join(dir, 'home'),
    agentIds: [...hosts],
    log: silentLogger(),
  });
  const orchestrator = await startOrchestrator({
    brokerUrl: embedded.broker.url,
    username: embedded.credentials.orchestrator.username,
    password: embedded.credentials.orchestrator.password,
    stateDir: path.join(dir, 'orchestrator'),
    log: debug ? createLogger({ level: 'debug' }) : silentLogger(),
    ...options.orchestrator,
  });
  const events: { at: number; event: AliciaEvent }[] = [];
  const watcher = await mqtt.connectAsync(embedded.broker.url, {
    clientId: `${options.name}-watch-${process.pid}`,
    username: embedded.credentials.operator.username,
    password: embedded.credentials.operator.password,
  });
  watcher.on('message', (_topic, payload) => {
    events.push({ at: Date.now(), event: EventSchema.parse(JSON.parse(payload.toString())) });
  });
  await watcher.subscribeAsync('alicia/services/events', { qos: 1 });
  const agents = new Map<H, ChildProcess>();

  const agentStateDir = (host: H): string => path.join(path.dirname(labHost(host).dataRoot), 'agent');

  const cluster: LabCluster<H> = {
    dir,
    embedded,
    orchestrator,
    events,
    startAgent(host) {
      const creds = embedded.credentials.agents[host];
      if (creds === undefined) throw new Error(`no broker credentials for ${host}`);
      const child = spawnInHost(
        host,
        [
          process.execPath,
          ALICIA_MAIN,
          'agent',
          '--broker',
          embedded.broker.url,
          '--id',
          host,
          '--hostname',
          host,
          '--state-dir',
          agentStateDir(host),
          '--log-level',
          'warn',
        ],
        {
          // Agents warn on stderr about every lost connection a fault causes: shown in debug.
          stdio: ['ignore', 'ignore', debug ? 'inherit' : 'ignore'],
          env: { ALICIA_USERNAME: creds.username, ALICIA_PASSWORD: creds.password },
        },
      );
      agents.set(host, child);
      return child;
    },
    async killAgent(host) {
      const child = agents.get(host);
      agents.delete(host);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    forgetAgent(host) {
      agents.delete(host);
    },
    async containers(host, stack, service, all = false) {
      const r = await dockerInHost(host, [
        'ps',
        '-q',
        ...(all ? ['-a'] : []),
        '--filter',
        `label=alicia.stack=${stack}`,
        '--filter',
        `label=alicia.service=${service}`,
      ]);
      if (r.code !== 0) return [];
      return r.stdout.split('\n').filter((l) => l !== '');
    },
    async healthOf(host, id) {
      const r = await dockerInHost(host, ['inspect', '-f', '{{.State.Health.Status}}', id]);
      return r.stdout.trim();
    },
    async healthyOn(stack, service, among = hosts) {
      const found: H[] = [];
      for (const host of among) {
        for (const id of await cluster.containers(host, stack, service))
          if ((await cluster.healthOf(host, id)) === 'healthy') found.push(host);
      }
      return found.length === 1 ? (found[0] as H) : null;
    },
    eventsSince<T extends AliciaEvent['event_type']>(t0: number, type: T) {
      return events
        .filter((e) => e.at >= t0 && e.event.event_type === type)
        .map((e) => ({ at: e.at, event: e.event as Extract<AliciaEvent, { event_type: T }> }));
    },
    async agentsOnline(online) {
      await until(
        async () => {
          const data = await orchestrator.request('agents', {});
          // Online (presence) and their info read (the advertised address): two topics, two moments.
          return online.every((h) =>
            data.agents.some((a) => a.agent === h && a.status === 'online' && a.address !== undefined),
          );
        },
        { timeoutMs: 45_000, what: `agents ${online.join(', ')} online with their info` },
      );
    },
    async close() {
      for (const host of [...agents.keys()]) await cluster.killAgent(host);
      await watcher.endAsync().catch(() => undefined);
      await orchestrator.close().catch(() => undefined);
      await embedded.broker.close().catch(() => undefined);
      await labDown();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/**
 * For a test file: beforeAll starts the cluster (startLabCluster) and runs `setup` on it;
 * afterAll closes it — or takes the lab down when it never started. Returns its accessor.
 */
export function labClusterAround<H extends string>(
  options: Parameters<typeof startLabCluster<H>>[0],
  setup: (cluster: LabCluster<H>) => Promise<void>,
): () => LabCluster<H> {
  let cluster: LabCluster<H> | null = null;
  beforeAll(async () => {
    cluster = await startLabCluster(options);
    await setup(cluster);
  }, 150_000);
  afterAll(async () => {
    if (cluster !== null) await cluster.close();
    else {
      useLab(options.lab);
      await labDown();
    }
  }, 90_000);
  return () => {
    if (cluster === null) throw new Error('the lab cluster did not start');
    return cluster;
  };
}
