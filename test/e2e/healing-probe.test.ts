// Needs Docker: a real agent on the private engine, the orchestrator on aedes (port 0), the
// real CLI (`node dist/src/cli/main.js heal`, built by `npm run build`). Issue 13's test 2 with
// the agent's own HTTP probe (x-alicia.probe) instead of Docker's healthcheck: busybox httpd
// whose CGI answers by a mode file in a named volume (so a fresh container keeps failing):
// healthy → slow → `degraded` (event, ps, retained state) → failing → restarted by its agent
// → recreated by the orchestrator → never recovering → the circuit opens, `service_failed`
// exactly once, the dependent's state says why → the operator fixes the mode and runs
// `alicia heal web` → the circuit closes, web is healthy by its probe again.
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AliciaEvent, eventSubject, type ServiceState } from '../../src/protocol/index.js';
import { runAlicia } from '../helpers/cli.js';
import { removeLabelled, TEST_IMAGE, testDocker } from '../helpers/docker.js';
import { freePort } from '../helpers/net.js';
import { until } from '../helpers/wait.js';
import { type Harness, nextEvent, stackFrom, startHarness } from '../integration/orchestrator-harness.js';
import { modeHttpdCommand } from './helpers.js';

const STACK = 'e2eprobe';
const VOLUME = `${STACK}_mode`;
const docker = testDocker();
let harness: Harness | null = null;
let watcher: mqtt.MqttClient | null = null;

async function clean(): Promise<void> {
  await removeLabelled(docker, 'alicia.stack', STACK);
  await docker
    .getVolume(VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
}
beforeEach(clean);
afterEach(async () => {
  await watcher?.endAsync().catch(() => undefined);
  watcher = null;
  await harness?.close();
  harness = null;
  await clean();
});

const yaml = (port: number) => {
  return `
services:
  web:
    image: ${TEST_IMAGE}
    network_mode: host
    command: ${modeHttpdCommand(port, '/mode/mode')}
    volumes: ["mode:/mode"]
    restart: unless-stopped
    # httpd as PID 1 ignores SIGTERM: without this each restart waits out the 10 s grace.
    stop_signal: SIGKILL
    x-alicia:
      probe:
        http:
          url: http://127.0.0.1:${port}/cgi-bin/h
          interval: 200ms
          timeout: 3s
          degraded_after: 500ms
          # A fresh container that fails from its first probe is judged after this (default 30s).
          start_period: 1s
      unhealthy_threshold: 2
      backoff: { min: 100ms, max: 200ms, max_attempts: 2, reset_after: 1m }
  api:
    image: ${TEST_IMAGE}
    network_mode: host
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    # The probe is web's only health: it gates its dependent as a healthcheck would.
    depends_on: { web: { condition: service_healthy } }
volumes:
  mode: {}
`;
};

/** Writes the mode into the volume from a throwaway container (web itself may be stopped). */
async function setMode(mode: string): Promise<void> {
  const c = await docker.createContainer({
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', mode === 'ok' ? 'rm -f /mode/mode' : `echo ${mode} > /mode/mode`],
    HostConfig: { Binds: [`${VOLUME}:/mode`], NetworkMode: 'none' },
  });
  try {
    await c.start();
    const result = (await c.wait()) as { StatusCode: number };
    expect(result.StatusCode).toBe(0);
  } finally {
    await c.remove({ force: true });
  }
}

const is =
  (type: AliciaEvent['event_type'], service = 'web') =>
  (e: AliciaEvent): boolean =>
    e.event_type === type && eventSubject(e).service === service && eventSubject(e).stack === STACK;

const action = (e: AliciaEvent): string | undefined =>
  e.event_type === 'healing_action' ? e.event_data.action : undefined;

describe('e2e: an HTTP probe through the whole healing ladder', () => {
  it('slow → degraded; failing → restarted, recreated, circuit open once, dependent says why; alicia heal closes it', async () => {
    const h = await startHarness({ runtime: 'docker', agents: [{ id: 'e2e-probe' }] });
    harness = h;
    // The retained service state, as any MQTT client sees it.
    const states: ServiceState[] = [];
    watcher = await mqtt.connectAsync(h.broker.url, { clientId: `probe-watch-${process.pid}` });
    watcher.on('message', (_topic, payload) => states.push(JSON.parse(payload.toString()) as ServiceState));
    await watcher.subscribeAsync(`alicia/stacks/${STACK}/services/web/state`, { qos: 1 });

    const port = await freePort();
    await h.orchestrator.deploy(stackFrom(yaml(port), STACK));
    // web was healthy by its probe before api started (the probe is its start probe).
    const order = h.events
      .filter((e) => is('service_healthy')(e) || is('service_starting', 'api')(e))
      .map((e) => `${e.event_type}:${eventSubject(e).service}`);
    expect(order).toEqual(['service_healthy:web', 'service_starting:api']);
    await until(
      async () => (await h.orchestrator.ps(STACK)).find((s) => s.service === 'web')?.health === 'healthy',
      { what: 'web healthy by its probe', timeoutMs: 10_000 },
    );

    // Slow: it answers, after 1 s (> degraded_after 500 ms) — degraded, not failing.
    const degraded = nextEvent(h.orchestrator, is('service_degraded'), 'service_degraded of web', 15_000);
    const slowAt = Date.now();
    await setMode('slow');
    const deg = await degraded;
    const toDegradedMs = Date.now() - slowAt;
    expect(deg.event_data).toMatchObject({
      stack: STACK,
      service: 'web',
      agent: 'e2e-probe',
      reason: expect.stringMatching(/^its probe answered in \d+ ms, slower than degraded_after$/),
    });
    expect(deg.event_data).toHaveProperty('latency_ms', expect.any(Number));
    const slowRow = await until(
      async () =>
        (await h.orchestrator.ps(STACK)).find((s) => s.service === 'web' && s.health === 'degraded'),
      { what: 'ps: web degraded' },
    );
    expect(slowRow).toMatchObject({ state: 'running', running_replicas: 1 });
    await until(() => states.at(-1)?.health === 'degraded', { what: 'retained state: web degraded' });
    expect(h.events.filter(is('service_unhealthy'))).toHaveLength(0);

    // Failing (HTTP 503), in every fresh container too: the agent restarts it (max_attempts 2),
    // gives up; the orchestrator recreates it twice; then the circuit opens.
    const failed = nextEvent(h.orchestrator, is('service_failed'), 'service_failed of web', 60_000);
    const failAt = Date.now();
    await setMode('fail');
    const failure = await failed.catch((err) => {
      console.log(
        h.events.map((e) => `${e.timestamp} ${e.event_type} ${JSON.stringify(e.event_data)}`).join('\n'),
      );
      throw err;
    });
    const toOpenMs = Date.now() - failAt;
    expect(failure.event_data).toMatchObject({
      stack: STACK,
      service: 'web',
      agent: 'e2e-probe',
      error: { code: 'ALICIA_ERR_CIRCUIT_OPEN' },
      reason: expect.stringMatching(/gave up after 2 healing attempts.*alicia heal web closes the circuit/),
    });
    const unhealthy = h.events.filter(is('service_unhealthy'));
    expect(unhealthy.length).toBeGreaterThanOrEqual(1);
    expect(h.events.filter(is('service_restarted')).length).toBeGreaterThanOrEqual(2);
    expect(h.events.filter(is('healing_action')).filter((e) => action(e) === 'recreate')).toHaveLength(2);
    // The agent's own restarts and its give-up's stop are not a crash loop.
    expect(h.events.filter(is('service_crashlooping'))).toHaveLength(0);

    // Open means open: web stays stopped, ps and the retained state say why, so does api's.
    const ps = await h.orchestrator.ps(STACK);
    expect(ps.find((s) => s.service === 'web')?.note).toMatch(
      /^circuit open: gave up after 2 healing attempts/,
    );
    expect(ps.find((s) => s.service === 'api')?.note).toMatch(/^dependency web failed \(circuit open\)/);
    await until(() => /^circuit open/.test(states.at(-1)?.note ?? ''), {
      what: 'retained state: circuit open',
    });

    // The operator fixes the cause and heals with the CLI: the circuit closes, web is healthy.
    await setMode('ok');
    const mark = h.events.length;
    expect(h.events.filter(is('service_failed'))).toHaveLength(1);
    const healAt = Date.now();
    const healed = await runAlicia(['heal', 'web', '-p', STACK, '--broker', h.broker.url], {
      env: { ...process.env, ALICIA_HOME: `${h.dir}/home` },
    });
    expect(healed.stderr).toBe('');
    expect(healed.code).toBe(0);
    expect(healed.stdout).toMatch(new RegExp(`^${STACK}/web: healed `));
    const back = await until(
      async () => {
        const row = (await h.orchestrator.ps(STACK)).find((s) => s.service === 'web');
        return row?.health === 'healthy' && row.healthy_replicas === 1 && row.note === undefined && row;
      },
      { what: 'web healthy by its probe with its circuit closed', timeoutMs: 20_000 },
    );
    expect(back.instances[0]?.state).toBe('running');
    const healedMs = Date.now() - healAt;
    expect(h.events.slice(mark).some((e) => is('healing_action')(e) && action(e) === 'circuit_close')).toBe(
      true,
    );
    expect((await h.orchestrator.ps(STACK)).find((s) => s.service === 'api')?.note).toBeUndefined();
    await until(() => states.at(-1)?.health === 'healthy' && states.at(-1)?.note === undefined, {
      what: 'retained state: web healthy, no note',
    });
    // One give-up, one service_failed, however many reports said it.
    expect(h.events.filter(is('service_failed'))).toHaveLength(1);
    console.log(
      `probe: slow -> degraded in ${toDegradedMs} ms; failing -> circuit open in ${toOpenMs} ms; heal -> healthy in ${healedMs} ms`,
    );
  }, 90_000);
});
