// Many hosts, in process (memory runtime; the real thing is test/lab/multi-host.test.ts):
// the advertised address in info, plan's placement/links/warnings, dependents recreated when
// a service they reach moves, and a service with data on a lost host waiting for it (a changed
// spec of it refused until that host is back).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAlicia } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { closeHarnesses, stackFrom, startHarness } from './orchestrator-harness.js';

const dirs: string[] = [];

afterEach(async () => {
  await closeHarnesses();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Addresses are only strings here: nothing is sent to them (memory runtime).
const AGENTS = [
  { id: 'a', address: '10.9.0.1' },
  { id: 'b', address: '10.9.0.2' },
  { id: 'c', address: '10.9.0.3' },
];

const YAML = `
services:
  api:
    image: alicia-test/busybox:latest
    ports: ["8080:8080"]
    x-alicia: { hosts: [b, c] }
  web:
    image: alicia-test/busybox:latest
    depends_on: [api]
    x-alicia: { hosts: [a] }
  db:
    image: alicia-test/busybox:latest
    volumes: ["data:/data"]
    x-alicia: { hosts: [c] }
  quiet:
    image: alicia-test/busybox:latest
    x-alicia: { hosts: [c] }
  needy:
    image: alicia-test/busybox:latest
    depends_on: [quiet]
    x-alicia: { hosts: [a] }
volumes:
  data: {}
`;

describe('many hosts (in process)', () => {
  it('plans links and warnings, recreates dependents when a service moves, keeps data with its host', async () => {
    const harness = await startHarness({
      runtime: 'memory',
      agents: AGENTS,
      orchestrator: { rescheduleGraceMs: 200 },
    });
    const orch = harness.orchestrator;
    await until(async () => (await orch.request('agents', {})).agents.filter((r) => r.address).length === 3, {
      what: 'three advertised addresses',
    });
    expect((await orch.request('agents', {})).agents.map((r) => [r.agent, r.address]).sort()).toEqual(
      AGENTS.map((x) => [x.id, x.address]),
    );

    const bundle = stackFrom(YAML, 'xh');
    const plan = await orch.request('plan', bundle);
    const row = (service: string) => plan.containers.find((c) => c.service === service);
    expect(row('api')?.agent).toBe('b');
    expect(row('web')?.links).toEqual(['api:10.9.0.2']);
    expect(row('db')?.holds).toBe('volume "xh_data"');
    expect(
      plan.warnings.map((w) => [w.dependent, w.dependent_agent, w.dependency, w.dependency_agent]),
    ).toEqual([['needy', 'a', 'quiet', 'c']]);
    // Nothing ran.
    expect(harness.agents.get('a')?.memory?.all()).toEqual([]);

    await orch.request('deploy', bundle);
    const webOnA = () =>
      harness.agents
        .get('a')
        ?.memory?.all()
        .find((c) => c.service === 'web');
    const before = webOnA();
    expect(before?.state).toBe('running');

    // b is lost: api moves to c; web (on a) is recreated to reach it there; db (c) stays.
    const t0 = harness.events.length;
    await harness.stopAgent('b');
    await until(
      () =>
        harness.agents
          .get('c')
          ?.memory?.all()
          .some((x) => x.service === 'api' && x.state === 'running'),
      {
        timeoutMs: 15_000,
        what: 'api running on c',
      },
    );
    await until(() => webOnA()?.id !== before?.id && webOnA()?.state === 'running', {
      timeoutMs: 15_000,
      what: 'web recreated on a',
    });
    expect((await orch.request('plan', bundle)).containers.find((c) => c.service === 'web')?.links).toEqual([
      'api:10.9.0.3',
    ]);

    // c is lost: api cannot go anywhere (hosts b, c); db waits for c, which holds its data.
    await harness.stopAgent('c');
    const waiting = await until(
      () =>
        harness.events
          .slice(t0)
          .find((e) => e.event_type === 'service_waiting' && e.event_data.service === 'db'),
      { timeoutMs: 15_000, what: 'service_waiting for db' },
    );
    expect(waiting.event_type === 'service_waiting' && waiting.event_data.host).toBe('c');
    const ps = await orch.request('ps', { stack: 'xh' });
    expect(ps.services.find((s) => s.service === 'db')?.note).toBe(
      'waiting for c, which holds its data (volume "xh_data")',
    );
    expect(
      harness.events
        .slice(t0)
        .filter((e) => e.event_type === 'service_rescheduled' && e.event_data.service === 'db'),
    ).toEqual([]);

    // A changed db while c is away: refused before anything runs, naming the host and its data.
    const changed = stackFrom(
      YAML.replace('volumes: ["data:/data"]', 'volumes: ["data:/data"]\n    environment: [V=2]'),
      'xh',
    );
    await expect(orch.request('deploy', changed)).rejects.toMatchObject({
      code: 'ALICIA_ERR_PLACEMENT',
      message: expect.stringContaining(
        '"xh/db" holds its data on host c (volume "xh_data"), which is offline',
      ),
    });
    await expect(orch.request('plan', changed)).rejects.toMatchObject({ code: 'ALICIA_ERR_PLACEMENT' });
    expect(
      harness.agents
        .get('a')
        ?.memory?.all()
        .some((x) => x.service === 'db'),
    ).toBe(false);
  }, 60_000);

  it('alicia plan -f … --profile P --json (the built CLI) plans the services of that profile too, and runs nothing', async () => {
    const harness = await startHarness({ runtime: 'memory', agents: AGENTS });
    const dir = mkdtempSync(path.join(tmpdir(), 'alicia-plan-'));
    dirs.push(dir);
    const file = path.join(dir, 'compose.yaml');
    writeFileSync(
      file,
      'services:\n  app:\n    image: alicia-test/busybox:latest\n  debug:\n    image: alicia-test/busybox:latest\n    profiles: [debug]\n',
    );
    const env = { ...process.env, ALICIA_HOME: path.join(dir, 'home') };
    const plan = async (extra: string[]) => {
      const run = await runAlicia(
        ['plan', '-f', file, '-p', 'pp', '--json', '--broker', harness.broker.url, ...extra],
        {
          env,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as { containers: { service: string }[] }).containers.map(
        (c) => c.service,
      );
    };
    expect(await plan([])).toEqual(['app']);
    expect((await plan(['--profile', 'debug'])).sort()).toEqual(['app', 'debug']);
    expect((await harness.orchestrator.request('ps', {})).services).toEqual([]);
  }, 60_000);
});
