// The multi-host layout over TLS: `alicia orchestrator` and the client commands (node
// dist/src/cli/main.js, built by `npm run build`) reach a broker that only speaks mqtts://,
// with a CA made by openssl at test time; a missing or unreadable CA file is named.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../broker/embedded.js';
import { hashPassword } from '../../broker/users.js';
import { usePkiPerFile } from '../fixtures/tls/make-certs.js';
import { MATRIX_USERS } from '../helpers/acl-matrix.js';
import { until } from '../helpers/wait.js';

const MAIN = path.resolve('dist/src/cli/main.js');
const { orchestrator: ORCH, operator: OP } = MATRIX_USERS;

const files = usePkiPerFile('cli-tls');

const children: ChildProcess[] = [];
let broker: EmbeddedBroker | null = null;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await broker?.close();
  broker = null;
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function alicia(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const env = {
    ...process.env,
    ALICIA_HOME: path.join(files.dir, 'home'),
    ALICIA_REQUEST_TIMEOUT_MS: '3000',
  };
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return {
    child,
    done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr }))),
  };
}

async function tlsOnlyBroker(): Promise<string> {
  const users = await Promise.all(
    [ORCH, OP].map(async (u) => ({
      name: u.name,
      role: u.role,
      password_hash: await hashPassword(u.password, { N: 1024, r: 8, p: 1 }),
    })),
  );
  broker = await startEmbeddedBroker({
    port: 0,
    security: { users },
    tls: { port: 0, cert: await readFile(files.pki.serverCert), key: await readFile(files.pki.serverKey) },
  });
  return broker.tls?.url ?? '';
}

describe('CLI over mqtts://', () => {
  it('runs the orchestrator and answers client commands with --tls-ca; without the CA it cannot connect', async () => {
    const url = await tlsOnlyBroker();
    expect(url).toMatch(/^mqtts:\/\//);
    alicia([
      'orchestrator',
      '--broker',
      url,
      '--tls-ca',
      files.pki.ca,
      '--username',
      ORCH.name,
      '--password',
      ORCH.password,
      '--state-dir',
      path.join(files.dir, 'orchestrator'),
      '--log-level',
      'warn',
    ]);
    const asOperator = ['--broker', url, '--username', OP.name, '--password', OP.password];
    // The orchestrator may still be connecting: ask until it answers.
    const agents = await until(
      async () => {
        const run = await alicia(['agents', ...asOperator, '--tls-ca', files.pki.ca, '--json']).done;
        return run.code === 0 ? run : undefined;
      },
      { what: 'alicia agents over mqtts:// to answer', timeoutMs: 20_000, everyMs: 200 },
    );
    expect(JSON.parse(agents.stdout)).toMatchObject({ agents: [] });
    const ps = await alicia(['ps', ...asOperator, '--tls-ca', files.pki.ca, '--json']).done;
    expect(ps.code, ps.stderr).toBe(0);

    const untrusted = await alicia(['agents', ...asOperator, '--tls-ca', files.pki.otherCa]).done;
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain(`cannot reach the broker at ${url}`);
  });

  it('names a CA file it cannot read, before connecting', async () => {
    const missing = path.join(files.dir, 'no-such-ca.pem');
    const run = await alicia(['ps', '--broker', 'mqtts://127.0.0.1:1', '--tls-ca', missing]).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--tls-ca: cannot read ${missing} (ENOENT)`);
  });
});
