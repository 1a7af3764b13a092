// A whole control plane in one process for integration and e2e tests: an aedes broker on
// port 0, the orchestrator, and real agents (on the in-memory runtime for fast logic tests,
// on the real Docker engine for e2e). Everything is closed by close(), in reverse order.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type Agent,
  type AgentPolicy,
  type ContainerRuntime,
  createMemoryRuntime,
  type MemoryRuntime,
  startAgent,
} from '../../agents/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { type Client, connectClient } from '../../src/cli/client.js';
import { silentLogger } from '../../src/logging/logger.js';
import {
  type Orchestrator,
  type OrchestratorOptions,
  startOrchestrator,
} from '../../src/orchestrator/index.js';
import { type AliciaEvent, type DeployBundle, eventSubject } from '../../src/protocol/index.js';

/** Two services: api waits for db to be healthy. */
export const DB_API_YAML = `
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
  api:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
`;

export interface AgentSpec {
  id: string;
  labels?: Record<string, string>;
  hostname?: string;
  runtime?: ContainerRuntime;
  /** Pins the agent to these ContainerSpec features, as an older agent (feature negotiation). */
  protocolFeatures?: readonly string[];
  /** The agent's local policy (allowed images, host paths…). */
  policy?: AgentPolicy;
  /** Its advertised address (default: loopback, the broker's). */
  address?: string;
}

export interface RunningAgent {
  id: string;
  agent: Agent;
  runtime: ContainerRuntime;
  memory: MemoryRuntime | null;
  stateDir: string;
}

export interface Harness {
  broker: EmbeddedBroker;
  orchestrator: Orchestrator;
  agents: Map<string, RunningAgent>;
  /** Every event the orchestrator emitted, in order. */
  events: AliciaEvent[];
  dir: string;
  orchestratorStateDir: string;
  startAgent(spec: AgentSpec): Promise<RunningAgent>;
  stopAgent(id: string): Promise<void>;
  /** Stops the orchestrator (clean close) and starts a new one on the same state dir. */
  restartOrchestrator(): Promise<Orchestrator>;
  client(): Promise<Client>;
  close(): Promise<void>;
}

/** Harnesses started and not closed yet, oldest first. */
const running: Harness[] = [];

/** The harness started last and still running, inside closures that run after it started. */
export function currentHarness(): Harness {
  const h = running.at(-1);
  if (!h) throw new Error('no harness running');
  return h;
}

/** Closes every harness still running (in afterEach). */
export async function closeHarnesses(): Promise<void> {
  for (const h of running.slice().reverse()) await h.close();
}

/** The in-memory runtime of agent `id` (agents started with runtime 'memory'). */
export function memoryOf(h: Harness, id: string): MemoryRuntime {
  const m = h.agents.get(id)?.memory;
  if (!m) throw new Error(`agent ${id} has no memory runtime`);
  return m;
}

export async function startHarness(options: {
  agents: AgentSpec[];
  runtime: 'memory' | 'docker';
  orchestrator?: Partial<OrchestratorOptions>;
  heartbeatMs?: number;
  /** The URL the orchestrator connects to, given the broker's (e.g. a proxy in front of it). */
  orchestratorUrl?: (brokerUrl: string) => Promise<string>;
}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-orch-'));
  const broker = await startEmbeddedBroker({ port: 0 });
  const heartbeatMs = options.heartbeatMs ?? 200;
  const log = silentLogger();
  const events: AliciaEvent[] = [];
  const agents = new Map<string, RunningAgent>();
  const clients: Client[] = [];
  const orchestratorStateDir = path.join(dir, 'orchestrator');

  const launchOrchestrator = async (): Promise<Orchestrator> => {
    const o = await startOrchestrator({
      brokerUrl: (await options.orchestratorUrl?.(broker.url)) ?? broker.url,
      stateDir: orchestratorStateDir,
      heartbeatMs,
      log,
      commandRetryMs: 500,
      ...options.orchestrator,
    });
    o.events.onEvent((e) => events.push(e));
    return o;
  };

  const launchAgent = async (spec: AgentSpec): Promise<RunningAgent> => {
    const memory = options.runtime === 'memory' && spec.runtime === undefined ? createMemoryRuntime() : null;
    const runtime =
      spec.runtime ?? memory ?? (await import('../../agents/index.js')).createDockerRuntime({ log });
    const stateDir = path.join(dir, `agent-${spec.id}`);
    const agent = await startAgent({
      id: spec.id,
      brokerUrl: broker.url,
      stateDir,
      heartbeatMs,
      labels: spec.labels ?? {},
      hostname: spec.hostname ?? spec.id,
      runtime,
      ...(spec.protocolFeatures !== undefined ? { protocolFeatures: spec.protocolFeatures } : {}),
      ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
      ...(spec.address !== undefined ? { address: spec.address } : {}),
      log,
    });
    const running = { id: spec.id, agent, runtime, memory, stateDir };
    agents.set(spec.id, running);
    return running;
  };

  const harness: Harness = {
    broker,
    orchestrator: await launchOrchestrator(),
    agents,
    events,
    dir,
    orchestratorStateDir,
    startAgent: launchAgent,
    async stopAgent(id) {
      const a = agents.get(id);
      agents.delete(id);
      await a?.agent.close();
    },
    async restartOrchestrator() {
      await harness.orchestrator.close();
      harness.orchestrator = await launchOrchestrator();
      return harness.orchestrator;
    },
    async client() {
      const c = await connectClient({ url: broker.url, prefix: 'alicia', source: 'none' });
      clients.push(c);
      return c;
    },
    async close() {
      const at = running.indexOf(harness);
      if (at >= 0) running.splice(at, 1);
      for (const c of clients.splice(0)) await c.close().catch(() => undefined);
      await harness.orchestrator.close().catch(() => undefined);
      for (const a of [...agents.values()]) await a.agent.close().catch(() => undefined);
      agents.clear();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  running.push(harness);
  for (const spec of options.agents) await launchAgent(spec);
  await harness.orchestrator.waitForAgents(options.agents.length, 10_000);
  return harness;
}

/**
 * The deploy bundle of one Compose file (what `alicia up` sends): the orchestrator parses
 * it with the real loader.
 */
export function stackFrom(yaml: string, project: string): DeployBundle {
  return {
    project_directory: '/tmp/alicia-test',
    compose: ['compose.yaml'],
    files: [{ path: 'compose.yaml', kind: 'compose', text: yaml }],
    env: {},
    project,
  };
}

/** Resolves with the first event (from now on, or already in `seen`) that matches. */
export function nextEvent(
  orchestrator: Orchestrator,
  match: (event: AliciaEvent) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<AliciaEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event: ${what}`));
    }, timeoutMs);
    const off = orchestrator.events.onEvent((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

/** `event_type:service` labels of events, for order assertions. */
export function labels(events: readonly AliciaEvent[], stack?: string): string[] {
  return events
    .filter((e) => stack === undefined || eventSubject(e).stack === stack)
    .map((e) => (eventSubject(e).service ? `${e.event_type}:${eventSubject(e).service}` : e.event_type));
}
