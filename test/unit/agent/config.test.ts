// `alicia agent` settings: the YAML file, flags over it, and errors that name file and field.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgentConfigFile, parseLabels, resolveAgentConfig } from '../../../agents/config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-agent-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('agent config', () => {
  it('accepts config/agent.example.yaml', async () => {
    const example = new URL('../../../config/agent.example.yaml', import.meta.url).pathname;
    const config = await loadAgentConfigFile(example);
    expect(config).toMatchObject({ id: 'pi-1', broker: 'mqtt://127.0.0.1:1883', labels: { zone: 'garage' } });
    expect(config.policy?.allowed_images).toEqual(['alicia-test/*', 'ghcr.io/acme/*']);
  });

  it('names the file and the field of an unknown or wrong key', async () => {
    const path = await file(
      'bad.yaml',
      'id: pi-1\nbroker: mqtt://x:1\npolicy:\n  allow_privleged: true\nheartbeat_ms: fast\n',
    );
    const error = await loadAgentConfigFile(path).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ALICIA_ERR_CONFIG_INVALID' });
    const message = (error as Error).message;
    expect(message).toContain(path);
    expect(message).toContain('allow_privleged');
    expect(message).toContain('policy');
    expect(message).toContain('heartbeat_ms');
  });

  it('pins the protocol features for tests and rolling upgrades, refusing a feature it does not know', async () => {
    const path = await file(
      'pinned.yaml',
      'id: pi-1\nbroker: mqtt://127.0.0.1:1883\nprotocol_features: [resources]\n',
    );
    const resolved = await resolveAgentConfig({ config: path }, {});
    expect(resolved.options.protocolFeatures).toEqual(['resources']);
    const unpinned = await resolveAgentConfig(
      { config: await file('all.yaml', 'id: pi-1\nbroker: mqtt://127.0.0.1:1883\n') },
      {},
    );
    expect(unpinned.options.protocolFeatures).toBeUndefined();
    const bad = await file('bad-feature.yaml', 'id: pi-1\nprotocol_features: [teleport]\n');
    await expect(loadAgentConfigFile(bad)).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining('protocol_features'),
    });
  });

  it('says so when the file is missing or not YAML', async () => {
    await expect(loadAgentConfigFile(join(dir, 'nope.yaml'))).rejects.toMatchObject({
      code: 'ALICIA_ERR_CONFIG_INVALID',
      message: expect.stringContaining('ENOENT'),
    });
    const path = await file('broken.yaml', 'id: [unclosed\n');
    await expect(loadAgentConfigFile(path)).rejects.toMatchObject({
      message: expect.stringContaining('not valid YAML'),
    });
  });

  it('lets flags override the file and resolves the file’s relative paths against its directory', async () => {
    await writeFile(join(dir, 'pw'), 'from-file\n');
    const path = await file(
      'agent.yaml',
      'id: pi-1\nbroker: mqtt://127.0.0.1:1883\npassword_file: pw\nstate_dir: state\nlabels: {zone: garage, disk: hdd}\nheartbeat_ms: 2000\npolicy: {allowed_host_paths: [/srv]}\n',
    );
    const resolved = await resolveAgentConfig(
      {
        config: path,
        id: 'pi-2',
        labels: 'disk=ssd',
        heartbeatMs: '500',
        allowHostPath: ['/data'],
        allowImage: ['alicia-test/*'],
      },
      {},
    );
    expect(resolved.options).toMatchObject({
      id: 'pi-2',
      brokerUrl: 'mqtt://127.0.0.1:1883',
      password: 'from-file',
      stateDir: join(dir, 'state'),
      labels: { zone: 'garage', disk: 'ssd' },
      heartbeatMs: 500,
      policy: {
        allowPrivileged: false,
        allowedHostPaths: ['/srv', '/data'],
        allowedImages: ['alicia-test/*'],
      },
    });
    expect(resolved.logLevel).toBe('info');
  });

  it('turns the start probe off from the file or with --no-start-probe, and leaves it on otherwise', async () => {
    const base = { id: 'pi-1', broker: 'mqtt://127.0.0.1:1883' };
    // commander hands a --no-… option over as true unless it was given.
    expect((await resolveAgentConfig({ ...base, startProbe: true }, {})).options.startProbe).toBeUndefined();
    expect((await resolveAgentConfig({ ...base, startProbe: false }, {})).options.startProbe).toBe(false);
    const path = await file('off.yaml', 'id: pi-1\nbroker: mqtt://127.0.0.1:1883\nstart_probe: false\n');
    expect((await resolveAgentConfig({ config: path, startProbe: true }, {})).options.startProbe).toBe(false);
  });

  it('refuses missing or invalid essentials with the flag named', async () => {
    await expect(resolveAgentConfig({ broker: 'mqtt://x:1' }, {})).rejects.toMatchObject({
      message: expect.stringContaining('agent id is required'),
    });
    await expect(resolveAgentConfig({ id: 'a/b', broker: 'mqtt://x:1' }, {})).rejects.toMatchObject({
      message: expect.stringContaining('--id'),
    });
    await expect(resolveAgentConfig({ id: 'a' }, {})).rejects.toMatchObject({
      message: expect.stringContaining('broker URL is required'),
    });
    await expect(resolveAgentConfig({ id: 'a', broker: 'http://x' }, {})).rejects.toMatchObject({
      message: expect.stringContaining('--broker'),
    });
    await expect(
      resolveAgentConfig({ id: 'a', broker: 'mqtt://x:1', heartbeatMs: '0' }, {}),
    ).rejects.toMatchObject({
      message: expect.stringContaining('--heartbeat-ms'),
    });
    await expect(
      resolveAgentConfig({ id: 'a', broker: 'mqtt://x:1', password: 'p', passwordFile: '/p' }, {}),
    ).rejects.toMatchObject({
      message: expect.stringContaining('not both'),
    });
    await expect(
      resolveAgentConfig({ id: 'a', broker: 'mqtt://x:1', logLevel: 'loud' }, {}),
    ).rejects.toMatchObject({
      message: expect.stringContaining('--log-level'),
    });
  });

  it('takes credentials and the state dir default from the environment', async () => {
    const resolved = await resolveAgentConfig(
      { id: 'a', broker: 'mqtt://x:1' },
      { ALICIA_USERNAME: 'u', ALICIA_PASSWORD: 'p', ALICIA_HOME: '/tmp/ah' },
    );
    expect(resolved.options).toMatchObject({ username: 'u', password: 'p', stateDir: '/tmp/ah/agent-a' });
  });

  it('parses labels and names a malformed one', () => {
    expect(parseLabels('zone=garage, disk=ssd,,')).toEqual({ zone: 'garage', disk: 'ssd' });
    expect(() => parseLabels('zone')).toThrow(/--labels.*"zone"/);
  });

  it('takes the advertised address from --advertise-address, --address or the file', async () => {
    const path = await file(
      'addr.yaml',
      'id: pi-1\nbroker: mqtt://127.0.0.1:1883\nadvertise_address: 192.168.1.21\n',
    );
    expect((await resolveAgentConfig({ config: path }, {})).options.address).toBe('192.168.1.21');
    const flagged = await resolveAgentConfig({ config: path, advertiseAddress: '10.0.0.5' }, {});
    expect(flagged.options.address).toBe('10.0.0.5');
    const old = await resolveAgentConfig(
      { id: 'pi-2', broker: 'mqtt://127.0.0.1:1883', address: '10.0.0.6' },
      {},
    );
    expect(old.options.address).toBe('10.0.0.6');
    const none = await resolveAgentConfig({ id: 'pi-3', broker: 'mqtt://127.0.0.1:1883' }, {});
    expect(none.options.address).toBeUndefined();
  });
});
