// Needs root and Docker (Debian's docker.io): two lab hosts (docs/lab.md, lab 8), an agent per
// host in its namespace (the built CLI), the embedded broker on the lab bridge, the
// orchestrator in this process. The healing ladder's "reschedule elsewhere" rung end to end:
// a stateless service whose healthcheck needs a file that only host B's copy of the image
// has (a variant built on B's engine under the same tag) fails on host A; after its agent's
// restarts and the orchestrator's recreate there, it is moved to B (`service_rescheduled`
// saying why), runs healthy there, and nothing of it is left on A. It fails, loudly, without
// root or Docker — never skips. ALICIA_LAB_ID overrides lab 8 when developing beside
// another lab user.
import { describe, expect, it } from 'vitest';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { TEST_IMAGE } from '../helpers/docker.js';
import { until } from '../helpers/wait.js';
import { stackFrom } from '../integration/orchestrator-harness.js';
import { dockerInHost } from './lab.js';
import { type LabCluster, labClusterAround } from './lab-cluster.js';

const LAB = Number(process.env.ALICIA_LAB_ID ?? 8);
const HOSTS = ['lab1', 'lab2'] as const;
type Host = (typeof HOSTS)[number];
const STACK = 'mv';
/** The file only the good host's image has. */
const MARK = '/healthy-here';

// Stateless (no volume, nothing published): free to move. Its healthcheck passes only where
// the image carries MARK. Two restarts by the agent, then the orchestrator's ladder.
const YAML = `name: ${STACK}
services:
  web:
    image: ${TEST_IMAGE}
    command: ["sleep", "100000"]
    stop_signal: SIGKILL
    healthcheck: { test: ["CMD", "test", "-f", "${MARK}"], interval: 500ms, timeout: 3s, retries: 1 }
    x-alicia:
      backoff: { min: 100ms, max: 200ms, max_attempts: 2, reset_after: 1m }
`;

let lab: () => LabCluster<Host>;

async function docker(host: Host, args: string[]): Promise<string> {
  const r = await dockerInHost(host, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} on ${host}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The containers of web on a host (ids), stopped ones too. */
const containersOn = (host: Host): Promise<string[]> => lab().containers(host, STACK, 'web', true);

/** Docker's own health verdict of web's containers on a host. */
async function healthOn(host: Host): Promise<string[]> {
  const ids = await containersOn(host);
  return Promise.all(ids.map((id) => lab().healthOf(host, id)));
}

/** B's copy of the test image gets MARK, under the same tag (no registry: a commit). */
async function variantImageOn(host: Host): Promise<void> {
  const name = `alicia-mv-variant-${process.pid}`;
  await dockerInHost(host, ['rm', '-f', name]);
  await docker(host, ['run', '--name', name, '--network', 'none', TEST_IMAGE, 'touch', MARK]);
  await docker(host, ['commit', name, TEST_IMAGE]);
  await docker(host, ['rm', '-f', name]);
}

function ofWeb<T extends AliciaEvent['event_type']>(type: T) {
  return lab()
    .eventsSince(0, type)
    .map((e) => e.event)
    .filter((e) => (e.event_data as { service?: string }).service === 'web');
}

/** service_failed of the ladder (the circuit opened), not the deploy's own failure. */
const circuitOpened = () =>
  ofWeb('service_failed').filter((e) => e.event_data.error.code === 'ALICIA_ERR_CIRCUIT_OPEN');

describe('healing: reschedule off a host that keeps failing a service (lab)', () => {
  lab = labClusterAround({ lab: LAB, hosts: HOSTS, name: 'move-off', debug: 'MV_DEBUG' }, async (cluster) => {
    for (const host of HOSTS) cluster.startAgent(host);
    await cluster.agentsOnline(HOSTS);
  });

  it('fails on A: restarted and recreated there, then moved to B with the reason, healthy on B, nothing left on A', async () => {
    const orch = lab().orchestrator;
    const bundle = stackFrom(YAML, STACK);
    // Where the placer puts it is A; the other host gets the image that passes.
    const plan = await orch.request('plan', bundle);
    const a = plan.containers.find((c) => c.service === 'web')?.agent as Host | undefined;
    if (a === undefined || !HOSTS.includes(a)) throw new Error(`web planned on ${String(a)}`);
    const b = HOSTS.find((h) => h !== a) as Host;
    await variantImageOn(b);

    const t0 = Date.now();
    // Nothing waits on web, so its deploy step ends once it started — or fails at once, naming
    // A, when Docker's first verdict (unhealthy) comes first. Either way the ladder takes over.
    const deployError = await orch.deploy(bundle).then(
      () => null,
      (err: unknown) => String(err),
    );
    if (deployError !== null) {
      expect(deployError).toMatch(
        new RegExp(`instance \\S+ on ${a} is unhealthy \\(its healthcheck failed\\)`),
      );
    }
    expect((await containersOn(a)).length).toBe(1);

    const moved = await until(() => ofWeb('service_rescheduled')[0], {
      timeoutMs: 45_000,
      what: () =>
        `service_rescheduled of web; events so far: ${lab()
          .events.map(
            ({ event: e }) => `${e.event_type}:${(e.event_data as { action?: string }).action ?? ''}`,
          )
          .join(' ')}`,
    });
    const movedMs = Date.now() - t0;
    expect(moved.event_data).toMatchObject({
      stack: STACK,
      service: 'web',
      from: a,
      to: b,
      reason: expect.stringMatching(
        new RegExp(`^host ${a} keeps failing it: its agent gave up after 2 restarts`),
      ),
    });
    // A new incarnation: the copy on B has its own id; `replaces` names the failed one.
    expect(moved.event_data.replaces).toMatch(/^mv_web_1_/);
    expect(moved.event_data.instance).not.toBe(moved.event_data.replaces);
    // The ladder before the move: the agent's restarts on A, one recreate there.
    const recreates = ofWeb('healing_action').filter(
      (e) => e.event_type === 'healing_action' && e.event_data.action === 'recreate',
    );
    expect(recreates).toHaveLength(1);
    expect(ofWeb('service_restarted').length).toBeGreaterThanOrEqual(2);
    expect(circuitOpened()).toHaveLength(0);

    // Healthy on B (Docker's own verdict and the orchestrator's), and nothing of it left on A.
    await until(async () => (await healthOn(b)).join() === 'healthy', {
      timeoutMs: 20_000,
      what: `web healthy on ${b}`,
    });
    const healthyMs = Date.now() - t0;
    const row = await until(
      async () => {
        const { services } = await orch.request('ps', { stack: STACK });
        const web = services.find((s) => s.service === 'web');
        return web?.healthy_replicas === 1 && web.hosts.join() === b && web;
      },
      { timeoutMs: 10_000, what: `ps: web healthy on ${b} only` },
    );
    expect(row.instances.map((i) => i.agent)).toEqual([b]);
    // Removed by the move itself, not by the sweep of strays (~15 s later).
    await until(async () => (await containersOn(a)).length === 0, {
      timeoutMs: 8_000,
      what: `no web container left on ${a}`,
    });
    const cleanMs = Date.now() - t0;
    expect(await containersOn(b)).toHaveLength(1);
    // It stays put and healthy: no second move, no give-up.
    expect(ofWeb('service_rescheduled')).toHaveLength(1);
    expect(circuitOpened()).toHaveLength(0);
    console.info(
      `move off a failing host: rescheduled ${a} -> ${b} after ${movedMs} ms, healthy on ${b} after ${healthyMs} ms, nothing on ${a} after ${cleanMs} ms`,
    );
  }, 90_000);
});
