// The broker's refusals are said as such: a wrong password is ALICIA_ERR_AUTH naming the
// user (not a timeout), and a role that may not read a command's reply topic is
// ALICIA_ERR_FORBIDDEN naming the topic (not MQTT.js's "Subscribe error"). The real CLI
// process against the embedded broker with generated users (`alicia up`'s default).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedDefault, startEmbeddedDefault } from '../../broker/default.js';
import { runAlicia } from '../helpers/cli.js';

const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
});

async function broker(): Promise<{ embedded: EmbeddedDefault; home: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-refusals-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const home = path.join(dir, 'home');
  const embedded = await startEmbeddedDefault({ port: 0, stateDir: dir, agentIds: ['a'], home });
  cleanup.push(() => embedded.broker.close());
  return { embedded, home };
}

function alicia(args: string[], env: NodeJS.ProcessEnv) {
  return runAlicia(args, {
    env,
    onSpawn: (child) =>
      cleanup.push(async () => (child.exitCode === null ? child.kill('SIGKILL') : undefined)),
  });
}

describe('the CLI says what the broker refused', () => {
  it('a wrong password: ALICIA_ERR_AUTH naming the user, at once', async () => {
    const { embedded, home } = await broker();
    const started = Date.now();
    const ps = await alicia(
      ['ps', '--broker', embedded.broker.url, '--username', 'operator', '--password', 'wrong'],
      {
        ...process.env,
        ALICIA_HOME: home,
      },
    );
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain('ALICIA_ERR_AUTH');
    expect(ps.stderr).toContain(`the broker at ${embedded.broker.url} refused user "operator"`);
    // Node start-up and one refused CONNECT, not the 5 s connect timeout.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('an anonymous viewer running ps: ALICIA_ERR_FORBIDDEN naming the reply topic', async () => {
    const { embedded } = await broker();
    const empty = await mkdtemp(path.join(os.tmpdir(), 'alicia-refusals-home-'));
    cleanup.push(() => rm(empty, { recursive: true, force: true }));
    // No operator.json in this home: the CLI connects anonymously (a viewer on loopback).
    const ps = await alicia(['ps', '--broker', embedded.broker.url], {
      ...process.env,
      ALICIA_HOME: empty,
      ALICIA_USERNAME: '',
      ALICIA_PASSWORD: '',
    });
    expect(ps.code).toBe(1);
    expect(ps.stderr).toContain('ALICIA_ERR_FORBIDDEN');
    expect(ps.stderr).toMatch(/refused the subscription to alicia\/clients\/[^/]+\/reply/);
  });
});
