// Needs Docker: the whole system on Debian's real Mosquitto 2.0 with the shipped conf and
// ACL — the orchestrator, two real agents (dockerode runtime on the private engine) and
// the `alicia` CLI (built: dist/src/cli/main.js) as operator. A two-host stack comes up
// (a dependency on host a gates a service on host b), anonymous `mosquitto_sub` reads
// agent presence, `alicia down` removes it. Labels: alicia.stack=mosqsys.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import { httpdService } from '../e2e/helpers.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { type Mosquitto, startMosquitto } from './mosquitto-harness.js';

const STACK = 'mosqsys';
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const run = promisify(execFile);
const docker = testDocker();
const USERS = {
  orchestrator: { name: 'orchestrator', password: 'mosq-orchestrator-pw' },
  operator: { name: 'operator', password: 'mosq-operator-pw' },
  a: { name: 'mosq-a', password: 'mosq-a-pw' },
  b: { name: 'mosq-b', password: 'mosq-b-pw' },
};
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-mosqsys-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the whole system on Mosquitto', () => {
  it('deploys across two agents through Mosquitto with the shipped ACL, then tears down', {
    timeout: 120_000,
  }, async () => {
    const mosquitto: Mosquitto = await startMosquitto({ users: Object.values(USERS) });
    cleanup.push(() => mosquitto.close());
    const orchestrator: Orchestrator = await startOrchestrator({
      brokerUrl: mosquitto.url,
      username: USERS.orchestrator.name,
      password: USERS.orchestrator.password,
      stateDir: await tmp(),
      heartbeatMs: 500,
    });
    cleanup.push(() => orchestrator.close());
    const agents: Agent[] = [];
    for (const [user, zone] of [
      [USERS.a, 'a'],
      [USERS.b, 'b'],
    ] as const) {
      const agent = await startAgent({
        id: user.name,
        brokerUrl: mosquitto.url,
        username: user.name,
        password: user.password,
        labels: { zone },
        stateDir: await tmp(),
        heartbeatMs: 500,
      });
      agents.push(agent);
      cleanup.push(() => agent.close());
    }
    await orchestrator.waitForAgents(2, 20_000);

    const [dbPort, webPort] = await Promise.all([freePort(), freePort()]);
    const file = path.join(await tmp(), 'compose.yaml');
    await writeFile(
      file,
      [
        'services:',
        '  db:',
        httpdService({ port: dbPort, constraint: 'node.labels.zone == a' }),
        '  web:',
        httpdService({
          port: webPort,
          constraint: 'node.labels.zone == b',
          dependsOn: { db: 'service_healthy' },
        }),
        '',
      ].join('\n'),
    );
    const operator = [
      '--broker',
      mosquitto.url,
      '--username',
      USERS.operator.name,
      '--password',
      USERS.operator.password,
    ];
    // ALICIA_HOME points at an empty dir so no operator.json of the machine interferes.
    const env = { ...process.env, ALICIA_HOME: await tmp() };
    const up = await run('node', [CLI, 'up', '-f', file, '-p', STACK, ...operator], { env, timeout: 90_000 });
    expect(up.stdout).toMatch(/web/);

    const containers = await docker.listContainers({ filters: { label: [`alicia.stack=${STACK}`] } });
    expect(containers.map((c) => `${c.Labels['alicia.service']}@${c.Labels['alicia.agent']}`).sort()).toEqual(
      ['db@mosq-a', 'web@mosq-b'],
    );

    // Anonymous local viewer (the ACL's first section) reads retained presence.
    const presence = await run('mosquitto_sub', [
      ...[
        '-h',
        '127.0.0.1',
        '-p',
        String(mosquitto.port),
        '-t',
        'alicia/agents/+/state',
        '-v',
        '-C',
        '2',
        '-W',
        '10',
      ],
    ]);
    const states = presence.stdout.trim().split('\n').sort();
    expect(states.map((l) => l.split(' ')[0])).toEqual([
      'alicia/agents/mosq-a/state',
      'alicia/agents/mosq-b/state',
    ]);
    for (const line of states)
      expect(JSON.parse(line.slice(line.indexOf(' ') + 1))).toMatchObject({ state: 'online' });

    const ps = await run('node', [CLI, 'ps', '--json', ...operator], { env, timeout: 30_000 });
    expect(ps.stdout).toContain('"web"');

    const down = await run('node', [CLI, 'down', '-p', STACK, ...operator], { env, timeout: 60_000 });
    expect(down.stderr).not.toMatch(/ALICIA_ERR/);
    expect(await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } })).toEqual(
      [],
    );
  });
});
