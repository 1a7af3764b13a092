// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Compose and env file text whose ${VAR} the loader interpolates
// Needs Docker: one deploy path. `alicia up --broker` (the real CLI process, built by
// `npm run build`) sends the bundle — the Compose file, the project's .env, every env_file,
// and the variables of the CLI's environment the loader looked up — to an orchestrator
// that reads files only from the bundle, with a real agent on the engine; the variables
// are in the container's environment (docker inspect).
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAlicia } from '../helpers/cli.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { type Harness, startHarness } from '../integration/orchestrator-harness.js';

const STACK = 'e2eenvfile';
const docker = testDocker();
let harness: Harness | null = null;
let dir: string | null = null;
const children: ChildProcess[] = [];

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await harness?.close();
  harness = null;
  await removeLabelled(docker, 'alicia.stack', STACK);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

function alicia(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  return runAlicia(args, { env, cwd, onSpawn: (child) => children.push(child) });
}

describe('e2e: alicia up --broker with env_file', () => {
  it('deploys a service whose env_file, .env and CLI variables reach its container', async () => {
    harness = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-envfile-host' }] });
    dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-envfile-'));
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'config'), { recursive: true });
    await writeFile(
      path.join(project, 'compose.yaml'),
      [
        `name: ${STACK}`,
        'services:',
        '  app:',
        '    image: alicia-test/busybox:latest',
        '    network_mode: host',
        `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
        '    env_file:',
        '      - app.env',
        '      - config/more.env',
        '      - { path: absent.env, required: false }',
        '    environment:',
        '      GREETING: ${GREETING}',
        '      TIER: ${TIER:-default-tier}',
        '',
      ].join('\n'),
    );
    // The env file interpolates a variable of .env, as Compose does.
    await writeFile(path.join(project, 'app.env'), 'APP_MODE=from-env-file\nAPP_REGION=${REGION}\n');
    await writeFile(path.join(project, 'config', 'more.env'), 'MORE=yes\n');
    await writeFile(path.join(project, '.env'), 'REGION=garage\nTIER=from-dotenv\n');
    const env = {
      ...process.env,
      ALICIA_HOME: path.join(dir, 'home'),
      GREETING: 'hello from the CLI',
      NOT_USED_BY_THE_FILES: 'stays here',
    };

    const up = await alicia(['up', '--broker', harness.broker.url], env, project);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(new RegExp(`Stack ${STACK} is up in \\d+\\.\\ds\\.`));

    const [container] = await docker.listContainers({
      all: true,
      filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=app'] },
    });
    if (!container) throw new Error('no app container');
    const inspected = await docker.getContainer(container.Id).inspect();
    const vars = new Map(
      inspected.Config.Env.map((entry) => [
        entry.slice(0, entry.indexOf('=')),
        entry.slice(entry.indexOf('=') + 1),
      ]),
    );
    expect(Object.fromEntries([...vars].filter(([k]) => k !== 'PATH'))).toEqual({
      APP_MODE: 'from-env-file',
      APP_REGION: 'garage',
      MORE: 'yes',
      GREETING: 'hello from the CLI',
      TIER: 'from-dotenv',
    });

    const down = await alicia(['down', '--broker', harness.broker.url], env, project);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toBe(`${STACK}: removed 1 containers\n`);
  });
});
