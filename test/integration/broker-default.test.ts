// `alicia up`'s embedded default: generated credentials per role, operator.json written
// 0600 under ALICIA_HOME, anonymous loopback viewers read events with mosquitto_sub.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { aliciaHome, startEmbeddedDefault } from '../../broker/default.js';
import { connectAs, nextMessage, subscribeGranted, tryConnect } from '../helpers/acl-matrix.js';

const run = promisify(execFile);
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-default-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('startEmbeddedDefault', () => {
  it('generates working credentials per role and writes operator.json with mode 0600', async () => {
    const home = path.join(await tmp(), 'home');
    const stateDir = await tmp();
    const { broker, credentials, operatorFile } = await startEmbeddedDefault({
      port: 0,
      stateDir,
      agentIds: ['pi-1', 'pi-2'],
      home,
    });
    cleanup.push(() => broker.close());
    expect(broker.host).toBe('127.0.0.1');
    expect(operatorFile).toBe(path.join(home, 'operator.json'));
    expect((await stat(operatorFile)).mode & 0o777).toBe(0o600);
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(operatorFile, 'utf8'))).toEqual({
      url: broker.url,
      username: 'operator',
      password: credentials.operator.password,
    });
    const passwords = [
      credentials.orchestrator,
      credentials.operator,
      ...Object.values(credentials.agents),
    ].map((c) => c.password);
    expect(new Set(passwords).size).toBe(4);
    for (const p of passwords) expect(p.length).toBeGreaterThanOrEqual(32);

    const orch = await connectAs(broker.url, {
      name: credentials.orchestrator.username,
      password: credentials.orchestrator.password,
      role: 'orchestrator',
      clientId: 'alicia-orchestrator',
    });
    cleanup.push(() => orch.endAsync(true));
    const agentCreds = credentials.agents['pi-1'];
    const agent = await connectAs(broker.url, {
      name: agentCreds?.username ?? '',
      password: agentCreds?.password ?? '',
      role: 'agent',
      clientId: 'alicia-agent-pi-1',
    });
    cleanup.push(() => agent.endAsync(true));
    await agent.subscribeAsync('alicia/agents/pi-1/cmd/+', { qos: 1 });
    expect(await subscribeGranted(agent, 'alicia/agents/pi-2/cmd/+', 1)).toBe(128);
    const cmd = nextMessage(agent, (t) => t === 'alicia/agents/pi-1/cmd/start');
    await orch.publishAsync('alicia/agents/pi-1/cmd/start', '{}', { qos: 1 });
    await cmd;
    // pi-1's password is not pi-2's.
    expect(
      (
        await tryConnect(broker.url, {
          username: 'pi-2',
          password: agentCreds?.password ?? '',
          clientId: 'alicia-agent-pi-2',
        })
      ).returnCode,
    ).toBe(4);

    // Out of the box: mosquitto_sub reads events anonymously from loopback.
    const sub = run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-t',
      'alicia/services/events',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    const pump = setInterval(() => void orch.publishAsync('alicia/services/events', 'up', { qos: 1 }), 50);
    try {
      expect((await sub).stdout.trim()).toBe('up');
    } finally {
      clearInterval(pump);
    }
  });

  it('refuses agent ids that are reserved or cannot be a topic level', async () => {
    const stateDir = await tmp();
    const home = await tmp();
    await expect(startEmbeddedDefault({ port: 0, stateDir, home, agentIds: ['operator'] })).rejects.toThrow(
      /reserved/,
    );
    await expect(startEmbeddedDefault({ port: 0, stateDir, home, agentIds: ['a/b'] })).rejects.toThrow(
      /ALICIA_ERR_ID_INVALID|topic level/,
    );
  });

  it('finds its home in ALICIA_HOME, else ~/.alicia', () => {
    expect(aliciaHome({ ALICIA_HOME: '/srv/alicia' })).toBe('/srv/alicia');
    expect(aliciaHome({})).toBe(path.join(os.homedir(), '.alicia'));
  });
});
