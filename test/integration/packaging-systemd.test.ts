// The systemd units in packaging/systemd/ pass `systemd-analyze verify` with no warning at
// all (it exits 0 on warnings, so the test reads what it prints). ExecStart points at the
// installed /usr/local/bin/alicia; here it points at this checkout's bin/alicia, the same file.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const unitsDir = path.join(repo, 'packaging/systemd');
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function verify(units: Record<string, string>): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-units-'));
  const files: string[] = [];
  for (const [name, text] of Object.entries(units)) {
    const file = path.join(dir, name);
    await writeFile(file, text.replaceAll('/usr/local/bin/alicia', path.join(repo, 'bin/alicia')));
    files.push(file);
  }
  // Fails loudly (ENOENT) when systemd-analyze is missing: scripts/test-deps.sh installs it.
  const { stdout, stderr } = await run('systemd-analyze', ['verify', ...files]).catch(
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(
        `systemd-analyze verify failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`,
      );
    },
  );
  return `${stdout}${stderr}`.trim();
}

async function units(): Promise<Record<string, string>> {
  const names = (await readdir(unitsDir)).filter((n) => n.endsWith('.service')).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await readFile(path.join(unitsDir, n), 'utf8')])),
  );
}

describe('systemd units', () => {
  it('are the agent and the orchestrator, started through the installed entry point', async () => {
    const all = await units();
    expect(Object.keys(all)).toEqual(['alicia-agent.service', 'alicia-orchestrator.service']);
    expect(all['alicia-agent.service']).toMatch(/^ExecStart=\/usr\/local\/bin\/alicia agent /m);
    expect(all['alicia-orchestrator.service']).toMatch(/^ExecStart=\/usr\/local\/bin\/alicia orchestrator /m);
    // Hardened: no privilege escalation, read-only system, their own state directory.
    for (const text of Object.values(all)) {
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
      expect(text).toMatch(/^StateDirectory=alicia\//m);
    }
    expect(all['alicia-orchestrator.service']).toMatch(/^DynamicUser=yes$/m);
  });

  it('pass systemd-analyze verify without a warning', async () => {
    expect(await verify(await units())).toBe('');
  });

  it('a unit with a mistake is reported (the check is not vacuous)', async () => {
    const all = await units();
    const broken = (all['alicia-agent.service'] ?? '').replace('Restart=always', 'Restart=sometimes');
    expect(await verify({ 'alicia-agent.service': broken })).toMatch(/restart specifier/i);
  });
});
