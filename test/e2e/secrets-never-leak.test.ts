// Needs Docker. A Compose secret's content goes only where it must: a deploy (in process, as
// the embedded `alicia up` does) with an orchestrator and an agent on a real broker, an MQTT
// client subscribed to everything, and the pino output of both processes captured at trace
// level. The content (and its base64) appears on no topic but the running agent's own action
// topic, is never retained, is in no log line, and lives as a file under the agent's state
// dir (directory 0700, the Compose mode) only while its container exists.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/index.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import { execIn, removeLabelled, testDocker } from '../helpers/docker.js';

const STACK = 'secretleak';
const AGENT = 'leak-host';
const docker = testDocker();
let broker: EmbeddedBroker | null = null;
let orchestrator: Orchestrator | null = null;
let agent: Agent | null = null;
let watcher: mqtt.MqttClient | null = null;
let dir: string | null = null;

beforeEach(() => removeLabelled(docker, 'alicia.stack', STACK));
afterEach(async () => {
  await watcher?.endAsync().catch(() => undefined);
  await orchestrator?.close().catch(() => undefined);
  await agent?.close().catch(() => undefined);
  await broker?.close().catch(() => undefined);
  watcher = null;
  orchestrator = null;
  agent = null;
  broker = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

/** A pino logger at trace level whose lines land in `lines`. */
function capture(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return pino({ level: 'trace' }, sink);
}

interface Seen {
  topic: string;
  retain: boolean;
  text: string;
}

describe('e2e: secrets never leak', () => {
  it('carries the secret only on the agent action topic, never retained nor logged, 0700/mode on disk, removed with the container', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-leak-'));
    const secret = `s3cr3t-${randomBytes(12).toString('hex')}`;
    const needles = [secret, Buffer.from(secret).toString('base64')];
    const logs: string[] = [];
    broker = await startEmbeddedBroker({ port: 0 });
    const seen: Seen[] = [];
    const brokerUrl = broker.url;
    watcher = await mqtt.connectAsync(brokerUrl, { clientId: 'leak-watcher' });
    watcher.on('message', (topic, payload, packet) => {
      seen.push({ topic, retain: packet.retain, text: payload.toString('utf8') });
    });
    await watcher.subscribeAsync('#', { qos: 1 });
    orchestrator = await startOrchestrator({
      brokerUrl,
      stateDir: path.join(dir, 'orchestrator'),
      heartbeatMs: 200,
      log: capture(logs),
    });
    const agentState = path.join(dir, 'agent');
    agent = await startAgent({
      id: AGENT,
      brokerUrl,
      stateDir: agentState,
      heartbeatMs: 200,
      labels: {},
      hostname: AGENT,
      log: capture(logs),
    });
    await orchestrator.waitForAgents(1, 10_000);

    const compose = [
      'services:',
      '  app:',
      '    image: alicia-test/busybox:latest',
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
      '    secrets:',
      '      - source: db_password',
      '        mode: 0400',
      '    healthcheck:',
      '      test: ["CMD", "test", "-s", "/run/secrets/db_password"]',
      '      interval: 1s',
      'secrets:',
      '  db_password:',
      '    file: ./db_password.txt',
      '',
    ].join('\n');
    const report = await orchestrator.deploy({
      project_directory: dir,
      compose: ['compose.yaml'],
      files: [
        { path: 'compose.yaml', kind: 'compose', text: compose },
        { path: 'db_password.txt', kind: 'secret', text: secret },
      ],
      env: {},
      project: STACK,
    });
    expect(report.stack).toBe(STACK);

    // The container reads it at /run/secrets/db_password.
    const [container] = await docker.listContainers({ filters: { label: [`alicia.stack=${STACK}`] } });
    if (!container) throw new Error('no app container');
    expect(
      await execIn(docker, container.Id, [
        'sh',
        '-c',
        `test "$(cat /run/secrets/db_password)" = "${secret}"`,
      ]),
    ).toBe(0);

    // On disk: under the agent's state dir, its directory 0700, the file with the Compose mode.
    const filesDir = path.join(agentState, 'files');
    const [instanceDir] = await readdir(filesDir);
    if (!instanceDir) throw new Error('no files dir for the instance');
    expect((await stat(path.join(filesDir, instanceDir))).mode & 0o777).toBe(0o700);
    const [name] = await readdir(path.join(filesDir, instanceDir));
    const file = path.join(filesDir, instanceDir, name ?? '');
    expect((await stat(file)).mode & 0o777).toBe(0o400);
    expect(await readFile(file, 'utf8')).toBe(secret);

    // A late subscriber gets every retained message: none holds the secret.
    const late = await mqtt.connectAsync(brokerUrl, { clientId: 'leak-late' });
    const retained: Seen[] = [];
    late.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.push({ topic, retain: true, text: payload.toString('utf8') });
    });
    await late.subscribeAsync('#', { qos: 1 });
    await late.publishAsync('leak/marker', 'x', { qos: 1 });
    await new Promise<void>((resolve) => {
      late.on('message', (topic) => topic === 'leak/marker' && resolve());
    });
    await late.endAsync();
    expect(retained.length).toBeGreaterThan(0);

    const down = await orchestrator.down(STACK);
    expect(down.pending).toEqual([]);
    // Removed with the container.
    expect(await readdir(filesDir)).toEqual([]);

    const holds = (text: string) => needles.some((needle) => text.includes(needle));
    const carriers = seen.filter((m) => holds(m.text));
    expect(carriers.length).toBeGreaterThan(0);
    expect([...new Set(carriers.map((m) => m.topic))]).toEqual([`alicia/agents/${AGENT}/cmd/start`]);
    expect(carriers.every((m) => !m.retain)).toBe(true);
    expect(retained.filter((m) => holds(m.text))).toEqual([]);
    expect(logs.length).toBeGreaterThan(20);
    expect(logs.filter(holds)).toEqual([]);
  }, 60_000);
});
