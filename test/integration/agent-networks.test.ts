// Needs Docker: the dockerode adapter makes a stack's networks as Compose does on one engine
// (created when first needed, Compose's names and labels, removed with the stack's last
// container, external ones never made nor removed), and secret files that live and die with
// their container.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerRuntime } from '../../agents/runtime/index.js';
import { isAliciaError } from '../../src/core/errors.js';
import { instanceSpec } from '../contract/specs.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';

const STACK = 'agentnets';
const EXTERNAL = 'agentnets-external';
const docker = testDocker();
let filesDir = '';

async function cleanup(): Promise<void> {
  await removeLabelled(docker, 'alicia.stack', STACK);
  for (const network of await docker.listNetworks({ filters: { name: [STACK] } })) {
    await docker.getNetwork(network.Id).remove();
  }
}

beforeEach(async () => {
  await cleanup();
  filesDir = await mkdtemp(path.join(os.tmpdir(), 'alicia-agent-files-'));
});
afterEach(async () => {
  await cleanup();
  await rm(filesDir, { recursive: true, force: true });
});

const networksOf = async () =>
  (await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${STACK}`] } }))
    .map((n) => n.Name)
    .sort();

describe('docker adapter: stack networks', () => {
  it('puts a spec without networks on <stack>_default with the service alias, once for parallel creates, and removes it with the last container', async () => {
    const runtime = createDockerRuntime({ filesDir });
    // No network_mode: the agent's default is Compose's (the test helper's default is host).
    const plain = (service: string) => {
      const spec = instanceSpec(STACK, service, 1);
      const { network_mode: _mode, ...rest } = spec.spec;
      return { ...spec, spec: rest };
    };
    const [a, b] = await Promise.all([
      runtime.create(plain('db'), 'pi-1'),
      runtime.create(plain('app'), 'pi-1'),
    ]);
    expect(await networksOf()).toEqual([`${STACK}_default`]);
    const network = await docker.getNetwork(`${STACK}_default`).inspect();
    expect(network.Labels).toMatchObject({
      'com.docker.compose.network': 'default',
      'com.docker.compose.project': STACK,
    });
    const info = await docker.getContainer(a.id).inspect();
    expect(info.HostConfig.NetworkMode).toBe(`${STACK}_default`);
    expect(info.NetworkSettings.Networks[`${STACK}_default`]?.Aliases).toContain('db');
    await runtime.remove(a.id);
    expect(await networksOf()).toEqual([`${STACK}_default`]);
    await runtime.remove(b.id);
    expect(await networksOf()).toEqual([]);
  });

  it('refuses a missing external network naming it and the host, and never removes an external one', async () => {
    const runtime = createDockerRuntime({ filesDir });
    const external = {
      network: { name: EXTERNAL, key: 'outside', external: true },
      aliases: ['web'],
    };
    const base = instanceSpec(STACK, 'web', 1);
    const { network_mode: _mode, ...rest } = base.spec;
    const spec = { ...base, spec: { ...rest, networks: [external] } };
    const err = await runtime.create(spec, 'pi-7').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAliciaError(err) && err.code).toBe('ALICIA_ERR_NOT_FOUND');
    expect(String((err as Error).message)).toMatch(new RegExp(`external network ${EXTERNAL} .*host pi-7`));

    await docker.createNetwork({ Name: EXTERNAL, Driver: 'bridge' });
    try {
      const created = await runtime.create(spec, 'pi-7');
      await runtime.remove(created.id);
      expect((await docker.getNetwork(EXTERNAL).inspect()).Name).toBe(EXTERNAL);
    } finally {
      await docker.getNetwork(EXTERNAL).remove();
    }
  });

  it('writes secret files under its files dir (0700) with their mode and removes them with the container', async () => {
    const runtime = createDockerRuntime({ filesDir });
    const spec = instanceSpec(STACK, 'db', 1);
    const withSecret = {
      ...spec,
      spec: {
        ...spec.spec,
        files: [
          {
            kind: 'secret' as const,
            name: 'pw',
            target: '/run/secrets/pw',
            content_base64: Buffer.from('hunter2').toString('base64'),
            mode: 0o440,
          },
        ],
      },
    };
    const created = await runtime.create(withSecret, 'pi-1');
    const dir = path.join(filesDir, spec.instance);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const [file] = await readdir(dir);
    expect(((await stat(path.join(dir, file ?? ''))).mode & 0o777).toString(8)).toBe('440');
    const exec = await docker
      .getContainer(created.id)
      .exec({ Cmd: ['cat', '/run/secrets/pw'], AttachStdout: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    let text = '';
    await new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        text += chunk.subarray(8).toString();
      });
      stream.once('end', resolve);
    });
    expect(text).toBe('hunter2');
    await runtime.remove(created.id);
    expect(await readdir(filesDir)).toEqual([]);
  });
});
