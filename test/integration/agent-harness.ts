// Shared pieces of the agent integration tests: a broker on port 0, an MQTT watcher that
// keeps every agent message, a command sender that waits for the answer, and the agent
// itself in-process or as a child process (`node dist/src/cli/main.js agent …`).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { type Agent, type AgentOptions, startAgent } from '../../agents/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { createLogger, silentLogger } from '../../src/logging/logger.js';
import type { ActionResponse, InstanceSpec } from '../../src/protocol/agent-actions.js';
import type { ContainerReport, ContainersSnapshot } from '../../src/protocol/containers.js';
import { parseIncoming } from '../../src/protocol/messages.js';
import type { Presence } from '../../src/protocol/presence.js';
import type { AgentAction } from '../../src/protocol/topics.js';
import { createRecorder, type Recorder } from '../helpers/wait.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'dist/src/cli/main.js');

/** Things to close after each test, closed in reverse order. */
export class Closer {
  private readonly items: (() => Promise<void> | void)[] = [];
  add(close: () => Promise<void> | void): void {
    this.items.push(close);
  }
  async closeAll(): Promise<void> {
    for (const close of this.items.splice(0).reverse()) {
      try {
        await close();
      } catch {
        // Best effort: one failing close must not keep the others from running.
      }
    }
  }
}

export async function tempDir(closer: Closer, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `alicia-${name}-`));
  closer.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function broker(closer: Closer, port = 0): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ port });
  closer.add(() => b.close());
  return b;
}

export interface Message {
  topic: string;
  payload: unknown;
  raw: string;
  retain: boolean;
}

/**
 * Messages the agents published that their topic's schema refuses. Every test file checks
 * in afterEach that there are none: what the agent says must parse at the orchestrator.
 */
export const protocolViolations: string[] = [];

function checkAgentMessage(topic: string, payload: Buffer): void {
  // Commands are what tests publish (malformed on purpose); empty payloads clear retained ones.
  if (payload.byteLength === 0 || /\/cmd\//.test(topic)) return;
  const parsed = parseIncoming(topic, payload);
  if (!parsed.ok) protocolViolations.push(`${topic}: ${parsed.error.message}`);
}

/** An MQTT client that records every message under alicia/agents/#. */
export interface Watcher {
  readonly client: MqttClient;
  readonly messages: Recorder<Message>;
  latest(topic: string): unknown;
  /** The latest message on `topic` if it matches, else the next one that does. */
  until<T = unknown>(topic: string, match: (payload: T) => boolean, timeoutMs?: number): Promise<T>;
  publishRaw(topic: string, payload: string | Buffer): Promise<void>;
}

export async function watcher(closer: Closer, url: string, filter = 'alicia/agents/#'): Promise<Watcher> {
  const client = mqtt.connect(url, {
    clientId: `watcher-${Math.random().toString(36).slice(2, 8)}`,
    reconnectPeriod: 200,
  });
  closer.add(() => client.endAsync(true));
  const messages = createRecorder<Message>();
  const last = new Map<string, unknown>();
  client.on('message', (topic, payload, packet) => {
    checkAgentMessage(topic, payload);
    const raw = payload.toString('utf8');
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // Keep the text: some tests look at refused payloads.
    }
    last.set(topic, parsed);
    messages.push({ topic, payload: parsed, raw, retain: packet.retain });
  });
  // Subscriptions are restored after the broker restarts (the client reconnects).
  client.on('connect', () => {
    client.subscribe(filter, { qos: 1 });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    latest: (topic) => last.get(topic),
    until<T>(topic: string, match: (payload: T) => boolean, timeoutMs = 15_000): Promise<T> {
      const waiting = messages.next(
        (m) => m.topic === topic && match(m.payload as T),
        timeoutMs,
        `a matching message on ${topic}`,
      );
      const current = last.get(topic);
      if (current !== undefined && match(current as T)) {
        waiting.catch(() => undefined);
        return Promise.resolve(current as T);
      }
      return waiting.then((m) => m.payload as T);
    },
    async publishRaw(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
  };
}

let counter = 0;
export function transactionId(): string {
  counter += 1;
  return `tx-${Date.now().toString(36)}-${counter}`;
}

export interface CommandOptions {
  transaction?: string;
  /** Relative to now; negative makes a stale command. */
  expiresInMs?: number;
  prefix?: string;
  timeoutMs?: number;
}

export function commandBody(
  body: Record<string, unknown>,
  options: CommandOptions = {},
): Record<string, unknown> {
  const now = Date.now();
  return {
    v: 1,
    transaction: options.transaction ?? transactionId(),
    issued_at: now,
    expires_at: now + (options.expiresInMs ?? 60_000),
    session: 1,
    ...body,
  };
}

/** Publishes a command and resolves with the agent's answer to that transaction. */
export async function send(
  w: Watcher,
  agent: string,
  action: AgentAction | string,
  body: Record<string, unknown>,
  options: CommandOptions = {},
): Promise<ActionResponse> {
  const command = body.transaction !== undefined ? body : commandBody(body, options);
  const prefix = options.prefix ?? 'alicia';
  const answer = w.messages.next(
    (m) =>
      m.topic === `${prefix}/agents/${agent}/response/${action}` &&
      (m.payload as ActionResponse).transaction === command.transaction,
    options.timeoutMs ?? 30_000,
    `the answer to ${action} ${String(command.transaction)}`,
  );
  await w.publishRaw(`${prefix}/agents/${agent}/cmd/${action}`, JSON.stringify(command));
  return (await answer).payload as ActionResponse;
}

export function start(w: Watcher, agent: string, instances: InstanceSpec[], options?: CommandOptions) {
  return send(w, agent, 'start', { instances }, options);
}

export function report(snapshot: unknown, instance: string): ContainerReport | undefined {
  return (snapshot as ContainersSnapshot | undefined)?.containers.find((c) => c.instance === instance);
}

/** Waits until the agent's retained containers snapshot shows `instance` matching `match`. */
export function untilReport(
  w: Watcher,
  agent: string,
  instance: string,
  match: (r: ContainerReport) => boolean,
  timeoutMs = 15_000,
  options: { session?: number } = {},
): Promise<ContainerReport> {
  return w
    .until<ContainersSnapshot>(
      `alicia/agents/${agent}/containers`,
      (s) => {
        if (options.session !== undefined && s.session !== options.session) return false;
        const r = s.containers?.find((c) => c.instance === instance);
        return r !== undefined && match(r);
      },
      timeoutMs,
    )
    .then((s) => s.containers.find((c) => c.instance === instance) as ContainerReport);
}

export function untilPresence(
  w: Watcher,
  agent: string,
  match: (p: Presence) => boolean,
  timeoutMs = 15_000,
): Promise<Presence> {
  return w.until<Presence>(`alicia/agents/${agent}/state`, match, timeoutMs);
}

export async function inProcessAgent(closer: Closer, options: AgentOptions): Promise<Agent> {
  // ALICIA_TEST_LOG=debug shows the agent's log on stderr when a test needs explaining.
  const log = process.env.ALICIA_TEST_LOG
    ? createLogger({ level: process.env.ALICIA_TEST_LOG })
    : silentLogger();
  const agent = await startAgent({ log, heartbeatMs: 500, ...options });
  closer.add(() => agent.close());
  return agent;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  /** stderr so far (the agent's log), for failure messages. */
  log(): string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<number | string>;
}

/** Runs `node dist/src/cli/main.js agent <args>` (npm run build must have run). */
export function agentProcess(closer: Closer, args: string[]): AgentProcess {
  const child = spawn(process.execPath, [CLI, 'agent', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ALICIA_LOG_LEVEL: 'debug' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  closer.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, log: () => stderr, exited };
}

/** Runs `body`; when it fails, the error carries the logs of the agent processes it started. */
export async function explained<T>(processes: AgentProcess[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const logs = processes.map((p, i) => `--- agent process ${i + 1} log ---\n${p.log()}`).join('\n');
    throw new Error(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n${logs}`);
  }
}

/** What one agent test starts with: its own broker, a watcher on it, an agent id and a state dir. */
export interface AgentTestEnv {
  port: number;
  brokerUrl: string;
  w: Watcher;
  agentId: string;
  stateDir: string;
}

/** A fresh AgentTestEnv for one test (in beforeEach); `name` prefixes the agent id and the dir. */
export async function agentTestEnv(closer: Closer, name: string): Promise<AgentTestEnv> {
  const b = await broker(closer);
  return {
    port: b.port,
    brokerUrl: b.url,
    w: await watcher(closer, b.url),
    agentId: `${name}-${Math.random().toString(36).slice(2, 8)}`,
    stateDir: await tempDir(closer, `agent-${name}`),
  };
}

/** Closes what the test opened (in afterEach) and checks no agent message broke the protocol. */
export async function closeAgentTest(closer: Closer): Promise<void> {
  await closer.closeAll();
  expect(protocolViolations.splice(0)).toEqual([]);
}
