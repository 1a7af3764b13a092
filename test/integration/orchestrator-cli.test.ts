// The `alicia` client commands (node dist/src/cli/main.js, built by `npm run build`) against
// a running orchestrator over a real broker (aedes on port 0), agents on the in-memory
// runtime: up --broker with progress and exit codes, ps, scale, agents, events, down.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { runAlicia } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { closeHarnesses, startHarness } from './orchestrator-harness.js';

const MAIN = path.resolve('dist/src/cli/main.js');
let dir: string | null = null;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await closeHarnesses();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

const YAML = `name: clistack
services:
  db:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    healthcheck: { test: ["CMD", "true"], interval: 200ms }
  web:
    image: alicia-test/busybox:latest
    command: ["sleep", "3600"]
    depends_on: { db: { condition: service_healthy } }
`;

function alicia(args: string[], env: NodeJS.ProcessEnv) {
  return runAlicia(args, { env, onSpawn: (child) => children.push(child) });
}

describe('alicia client commands against a running orchestrator', () => {
  it('up --broker shows progress and exits 0; ps, scale, agents, events, restart and down work', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-cli-'));
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, YAML);
    // An empty ALICIA_HOME: no operator.json from the machine running the tests.
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const broker = ['--broker', harness.broker.url];

    const up = await alicia(['up', '-f', file, ...broker], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^\s+web\s+waiting for db/m);
    expect(up.stdout).toMatch(/^\s+db\s+healthy/m);
    expect(up.stdout).toMatch(/Stack clistack is up in \d+\.\ds\./);

    const ps = await alicia(['ps', ...broker], env);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout.split('\n')[0]).toMatch(/^STACK\s+SERVICE\s+STATE\s+HEALTH\s+REPLICAS\s+HOSTS$/);
    expect(ps.stdout).toMatch(/^clistack\s+db\s+running\s+healthy\s+1\/1\s+a$/m);

    const scale = await alicia(['scale', 'web=2', ...broker], env);
    expect(scale.code, scale.stderr).toBe(0);
    expect(scale.stdout).toBe('clistack/web: 1 → 2\n');

    const agents = await alicia(['agents', '--json', ...broker], env);
    expect(JSON.parse(agents.stdout)).toMatchObject({ agents: [{ agent: 'a', status: 'online' }] });

    // `events` follows the stream; a restart shows up in it as a JSON line.
    const follower = spawn(
      process.execPath,
      [MAIN, 'events', '--json', '--type', 'service_restarted', ...broker],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(follower);
    let followed = '';
    follower.stdout.on('data', (c: Buffer) => {
      followed += c.toString();
    });
    // It is subscribed once it has a session on the broker; restart until the line appears.
    await until(
      async () => {
        const restart = await alicia(['restart', 'db', ...broker], env);
        expect(restart.code, restart.stderr).toBe(0);
        return followed.includes('service_restarted');
      },
      { what: 'a service_restarted line from alicia events', timeoutMs: 20_000 },
    );
    const line = JSON.parse(followed.split('\n')[0] ?? '{}') as {
      event_type: string;
      event_data: { service: string };
    };
    expect(line).toMatchObject({ event_type: 'service_restarted', event_data: { service: 'db' } });
    const stopped = new Promise<number | null>((resolve) => follower.once('exit', resolve));
    follower.kill('SIGINT');
    expect(await stopped).toBe(0);

    const down = await alicia(['down', '-p', 'clistack', ...broker], env);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe('clistack: removed 3 containers\n');
    expect(harness.agents.get('a')?.memory?.all()).toEqual([]);
  });

  it('up --broker exits 1 with the reason when the deploy fails', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [{ id: 'a' }] });
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-cli-'));
    const file = path.join(dir, 'compose.yaml');
    // The agent's local policy refuses privileged containers.
    await writeFile(
      file,
      YAML.replace(
        'image: alicia-test/busybox:latest',
        'image: alicia-test/busybox:latest\n    privileged: true',
      ),
    );
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const up = await alicia(['up', '-f', file, '--broker', harness.broker.url], env);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(
      /^alicia: ALICIA_ERR_DEPLOY_FAILED: Deploy failed: stack "clistack": service "db": instance clistack_db_1_\w+ could not start on a: .*privileged/m,
    );
    expect(up.stdout).toMatch(/^\s+web\s+failed: not started: dependency "db" failed/m);
  });

  it('fails at once, naming the broker, when the orchestrator has gone offline', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [] });
    await harness.orchestrator.close();
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-cli-'));
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const started = Date.now();
    const ps = await alicia(['ps', '--broker', harness.broker.url], env);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toMatch(
      new RegExp(
        `ALICIA_ERR_ORCHESTRATOR_OFFLINE: No orchestrator is online: on ${harness.broker.url} \\(last seen \\S+Z, \\d+ s ago, session 1\\); ps was not sent`,
      ),
    );
    // The retained presence says offline: no waiting for a reply nobody will send.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the method and how long it waited when an online orchestrator does not answer', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: [] });
    await harness.orchestrator.close();
    // An orchestrator that says it is online and never answers (hung, or a stale retained
    // presence from a process that died without its will reaching the broker).
    const fake = await mqtt.connectAsync(harness.broker.url, { protocolVersion: 4, clientId: 'fake-orch' });
    await fake.publishAsync(
      'alicia/orchestrator/state',
      JSON.stringify({ v: 1, state: 'online', session: 9, ts: Date.now(), version: '0.1.0' }),
      { qos: 1, retain: true },
    );
    await fake.endAsync();
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-cli-'));
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home'), ALICIA_REQUEST_TIMEOUT_MS: '1000' };
    const ps = await alicia(['ps', '--broker', harness.broker.url], env);
    expect(ps.code).toBe(1);
    expect(ps.stderr).toMatch(
      /ALICIA_ERR_REQUEST_TIMEOUT: No reply before the timeout: no answer to ps within \d+ ms/,
    );
    expect(ps.stderr).toContain('(online since');
  });
});
