// Needs Docker: a real agent (dockerode runtime on the private engine) behind the secured
// embedded broker, with a shared command secret. Commands that are unsigned, signed with
// another secret or altered after signing are refused (ALICIA_ERR_SIGNATURE) and start
// nothing; a correctly signed one starts its container. Labels: alicia.stack=brokersig.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { type EmbeddedDefault, startEmbeddedDefault } from '../../broker/default.js';
import { compileContainerSpec } from '../../src/compose/compile.js';
import type { Action } from '../../src/protocol/agent-actions.js';
import { signCommand } from '../../src/protocol/signature.js';
import { specHash } from '../../src/protocol/spec-hash.js';
import { connectAs, nextMessage } from '../helpers/acl-matrix.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { sampleSpec } from '../helpers/samples.js';

const STACK = 'brokersig';
const AGENT = 'sig-agent';
const SECRET = 'a shared secret of the orchestrator and its agents';
const docker = testDocker();
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await removeLabelled(docker, 'alicia.stack', STACK);
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-sig-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function startCommand(transaction: string): Action<'start'> {
  const spec = compileContainerSpec(
    STACK,
    sampleSpec({
      name: 'web',
      command: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
      depends_on: {},
      healthcheck: undefined,
      ports: [],
      constraints: [],
      environment: {},
    }),
  );
  const now = Date.now();
  return {
    v: 1,
    transaction,
    issued_at: now,
    expires_at: now + 60_000,
    session: 1,
    instances: [
      { instance: `${STACK}_web_1`, stack: STACK, service: 'web', slot: 1, spec, spec_hash: specHash(spec) },
    ],
  };
}

describe('signed commands through the broker', () => {
  it('refuses unsigned, wrongly signed and altered commands, and runs a correctly signed one', async () => {
    const embedded: EmbeddedDefault = await startEmbeddedDefault({
      port: 0,
      stateDir: await tmp(),
      agentIds: [AGENT],
      home: await tmp(),
    });
    cleanup.push(() => embedded.broker.close());
    const creds = embedded.credentials.agents[AGENT];
    const agent: Agent = await startAgent({
      id: AGENT,
      brokerUrl: embedded.broker.url,
      username: creds?.username,
      password: creds?.password,
      stateDir: await tmp(),
      commandSecret: SECRET,
      heartbeatMs: 500,
    });
    cleanup.push(() => agent.close());
    const orch: MqttClient = await connectAs(embedded.broker.url, {
      name: embedded.credentials.orchestrator.username,
      password: embedded.credentials.orchestrator.password,
      role: 'orchestrator',
      clientId: 'alicia-orchestrator-sig',
    });
    cleanup.push(() => orch.endAsync(true));
    await orch.subscribeAsync(`alicia/agents/${AGENT}/response/+`, { qos: 1 });
    // The agent is listening once it said online.
    await orch.subscribeAsync(`alicia/agents/${AGENT}/state`, { qos: 1 });
    await nextMessage(orch, (t, p) => t === `alicia/agents/${AGENT}/state` && p.includes('"online"'), 15_000);

    const send = async (command: object, transaction: string) => {
      const answer = nextMessage(
        orch,
        (t, p) => t === `alicia/agents/${AGENT}/response/start` && p.includes(`"${transaction}"`),
        15_000,
      );
      await orch.publishAsync(`alicia/agents/${AGENT}/cmd/start`, JSON.stringify(command), { qos: 1 });
      return JSON.parse((await answer).payload) as { status: string; error?: { code: string } };
    };

    expect(await send(startCommand('unsigned'), 'unsigned')).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_SIGNATURE' },
    });
    expect(
      await send(signCommand(startCommand('other-secret'), 'not the secret'), 'other-secret'),
    ).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_SIGNATURE' },
    });
    const altered = { ...signCommand(startCommand('altered'), SECRET), expires_at: Date.now() + 3_600_000 };
    expect(await send(altered, 'altered')).toMatchObject({
      status: 'error',
      error: { code: 'ALICIA_ERR_SIGNATURE' },
    });
    expect(agent.stats.bad_signatures).toBe(3);
    expect(await docker.listContainers({ all: true, filters: { label: [`alicia.stack=${STACK}`] } })).toEqual(
      [],
    );

    expect(await send(signCommand(startCommand('signed'), SECRET), 'signed')).toMatchObject({ status: 'ok' });
    const running = await docker.listContainers({ filters: { label: [`alicia.stack=${STACK}`] } });
    expect(running.map((c) => c.Labels['alicia.agent'])).toEqual([AGENT]);
  });
});
