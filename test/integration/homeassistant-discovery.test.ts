// Needs Docker and Mosquitto: Home Assistant MQTT device discovery on Debian's real
// Mosquitto 2.0 with the shipped conf and ACL, the orchestrator and an agent on the private
// Docker engine, the bridge wired as `alicia orchestrator --homeassistant` wires it. Read
// back as Home Assistant would: `mosquitto_sub -V mqttv5` as user homeassistant; the restart
// button pressed with `mosquitto_pub -V mqttv5` restarts the container; `homeassistant/status
// online` makes the configs come again; removing the stack empties the service's config.
// Labels: alicia.stack=hadisc.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Agent, startAgent } from '../../agents/index.js';
import { startIntegrations } from '../../src/cli/integrations.js';
import type { DevicePayload } from '../../src/homeassistant/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { type Orchestrator, startOrchestrator } from '../../src/orchestrator/index.js';
import type { AliciaEvent } from '../../src/protocol/index.js';
import { removeLabelled, testDocker } from '../helpers/docker.js';
import { type Mosquitto, startMosquitto } from './mosquitto-harness.js';
import { stackFrom } from './orchestrator-harness.js';

const STACK = 'hadisc';
const run = promisify(execFile);
const docker = testDocker();
const USERS = {
  orchestrator: { name: 'orchestrator', password: 'ha-orchestrator-pw' },
  homeassistant: { name: 'homeassistant', password: 'ha-homeassistant-pw' },
  agent: { name: 'ha-a', password: 'ha-a-pw' },
};
const HA = USERS.homeassistant;
const cleanup: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  await removeLabelled(docker, 'alicia.stack', STACK);
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
  await removeLabelled(docker, 'alicia.stack', STACK);
});

async function tmp(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-hadisc-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** `mosquitto_sub -V mqttv5` as Home Assistant's user: `count` lines `topic payload`. */
async function subAsHomeAssistant(port: number, topics: readonly string[], count: number): Promise<string[]> {
  const args = [
    '-V',
    'mqttv5',
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-u',
    HA.name,
    '-P',
    HA.password,
    '-v',
  ];
  for (const t of topics) args.push('-t', t);
  args.push('-C', String(count), '-W', '10');
  const { stdout } = await run('mosquitto_sub', args, { timeout: 15_000 });
  return stdout.split('\n').filter((l) => l.length > 0);
}

function split(line: string): { topic: string; payload: string } {
  const at = line.indexOf(' ');
  return { topic: line.slice(0, at), payload: line.slice(at + 1) };
}

/**
 * The fields Home Assistant's device discovery requires (docs: MQTT discovery, "device
 * discovery payload"): `dev` with identifiers, `o` with a name, `cmps` whose components each
 * have `p` and `unique_id`; a sensor or binary_sensor needs a state topic (its own or the
 * shared one), a button a command topic.
 */
function checkRequired(config: DevicePayload): void {
  expect(config.dev.ids.length).toBeGreaterThan(0);
  expect(config.o.name).toBe('Alicia');
  const components = Object.entries(config.cmps);
  expect(components.length).toBeGreaterThan(0);
  for (const [key, c] of components) {
    expect(['binary_sensor', 'sensor', 'button']).toContain(c.p);
    expect(c.unique_id).toBe(key);
    if (c.p === 'button') expect(typeof c.command_topic).toBe('string');
    else expect(typeof (c.state_topic ?? config.state_topic)).toBe('string');
  }
}

/** The `value_json.<field>` names a template reads. */
const fieldsRead = (template: unknown): string[] =>
  [...String(template).matchAll(/value_json\.(\w+)/g)].map((m) => m[1] ?? '');

async function startedAt(): Promise<string> {
  const [c] = await docker.listContainers({
    filters: { label: [`alicia.stack=${STACK}`, 'alicia.service=web'] },
  });
  if (!c) throw new Error('no web container');
  return (await docker.getContainer(c.Id).inspect()).State.StartedAt;
}

function nextEvent(orchestrator: Orchestrator, match: (e: AliciaEvent) => boolean): Promise<AliciaEvent> {
  return new Promise((resolve) => {
    const off = orchestrator.events.onEvent((e) => {
      if (!match(e)) return;
      off();
      resolve(e);
    });
  });
}

describe('Home Assistant discovery on Mosquitto', () => {
  it('publishes service and agent devices, restarts on a button press, re-sends on HA online, removes with the stack', {
    timeout: 120_000,
  }, async () => {
    const mosquitto: Mosquitto = await startMosquitto({ users: Object.values(USERS) });
    cleanup.push(() => mosquitto.close());
    const orchestrator = await startOrchestrator({
      brokerUrl: mosquitto.url,
      username: USERS.orchestrator.name,
      password: USERS.orchestrator.password,
      stateDir: await tmp(),
      heartbeatMs: 500,
    });
    cleanup.push(() => orchestrator.close());
    // Mosquitto speaks MQTT 5: the orchestrator does too.
    expect(orchestrator.transport.protocolVersion).toBe(5);
    // A device of ours the broker kept from before (removed while discovery was off) goes
    // when discovery starts; another installation's (prefix alicia_x) stays.
    const staleTopic = 'homeassistant/device/alicia_alicia_hadisc_gone/config';
    const otherTopic = 'homeassistant/device/alicia_alicia_x_hadisc_web/config';
    const keeper = await mqtt.connectAsync(mosquitto.url, {
      protocolVersion: 5,
      clientId: 'ha-keeper',
      username: HA.name,
      password: HA.password,
    });
    cleanup.push(() => keeper.endAsync());
    const config = (prefix: string) =>
      JSON.stringify({
        dev: { ids: ['x'] },
        o: { name: 'Alicia' },
        state_topic: `${prefix}/stacks/hadisc/services/x/state`,
        cmps: {},
      });
    await keeper.publishAsync(staleTopic, config('alicia'), { qos: 1, retain: true });
    await keeper.publishAsync(otherTopic, config('alicia_x'), { qos: 1, retain: true });
    cleanup.push(() => keeper.publishAsync(otherTopic, '', { qos: 1, retain: true }));
    await keeper.subscribeAsync(staleTopic, { qos: 1 });
    const staleGone = new Promise<void>((resolve) => {
      keeper.on('message', (topic, payload) => {
        if (topic === staleTopic && payload.length === 0) resolve();
      });
    });
    const integrations = await startIntegrations(orchestrator, { homeassistant: true, log: silentLogger() });
    cleanup.push(() => integrations.close());
    await staleGone;
    const agent: Agent = await startAgent({
      id: USERS.agent.name,
      brokerUrl: mosquitto.url,
      username: USERS.agent.name,
      password: USERS.agent.password,
      stateDir: await tmp(),
      heartbeatMs: 500,
    });
    cleanup.push(() => agent.close());
    await orchestrator.waitForAgents(1, 20_000);
    await orchestrator.deploy(
      stackFrom(
        [
          'services:',
          '  web:',
          '    image: alicia-test/busybox:latest',
          // Leaves on SIGTERM at once, so the restart does not wait out Docker's 10 s.
          `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
        ].join('\n'),
        STACK,
      ),
    );

    const serviceTopic = 'homeassistant/device/alicia_alicia_hadisc_web/config';
    const agentTopic = 'homeassistant/device/alicia_alicia_agent_ha-a/config';
    // Home Assistant's view: its user, MQTT 5, the retained configs.
    const lines = await subAsHomeAssistant(mosquitto.port, [serviceTopic, agentTopic], 2);
    const configs = new Map(
      lines.map((l) => split(l)).map((m) => [m.topic, JSON.parse(m.payload) as DevicePayload]),
    );
    const service = configs.get(serviceTopic);
    const host = configs.get(agentTopic);
    if (!service || !host) throw new Error(`missing configs in ${lines.join('\n')}`);
    checkRequired(service);
    checkRequired(host);
    const kinds = (c: DevicePayload) =>
      Object.values(c.cmps)
        .map((x) => `${x.p}:${String(x.device_class ?? '')}`)
        .sort();
    expect(kinds(service)).toEqual([
      'binary_sensor:problem',
      'binary_sensor:running',
      'button:restart',
      'sensor:',
    ]);
    expect(kinds(host)).toEqual(['binary_sensor:connectivity', 'sensor:', 'sensor:', 'sensor:']);
    // State comes from Alicia's own retained topic; the templates read fields it has.
    expect(service.state_topic).toBe(`alicia/stacks/${STACK}/services/web/state`);
    expect(service.availability?.[0]?.topic).toBe('alicia/orchestrator/state');
    // The state as Home Assistant receives it, once the service runs (it is published a
    // little after the deploy answers).
    const watcher = await mqtt.connectAsync(mosquitto.url, {
      protocolVersion: 5,
      clientId: 'ha-state-watch',
      username: HA.name,
      password: HA.password,
    });
    cleanup.push(() => watcher.endAsync());
    const running = new Promise<Record<string, unknown>>((resolve) => {
      watcher.on('message', (_topic, payload) => {
        if (payload.length === 0) return;
        const s = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        if (s.running_replicas === 1) resolve(s);
      });
    });
    await watcher.subscribeAsync(service.state_topic ?? '', { qos: 1 });
    const state = await running;
    for (const c of Object.values(service.cmps)) {
      for (const field of fieldsRead(c.value_template)) expect(Object.keys(state)).toContain(field);
    }

    // The restart button, pressed as Home Assistant presses it.
    const button = Object.values(service.cmps).find((c) => c.p === 'button');
    const before = await startedAt();
    const restarted = nextEvent(
      orchestrator,
      (e) =>
        e.event_type === 'service_restarted' &&
        e.event_data.service === 'web' &&
        !('instance' in e.event_data),
    );
    await run('mosquitto_pub', [
      '-V',
      'mqttv5',
      '-h',
      '127.0.0.1',
      '-p',
      String(mosquitto.port),
      '-u',
      HA.name,
      '-P',
      HA.password,
      '-q',
      '1',
      '-t',
      String(button?.command_topic),
      '-m',
      String(button?.payload_press),
    ]);
    await restarted;
    expect(await startedAt()).not.toBe(before);

    // Home Assistant restarted: it says `online`, the configs come again (not retained now).
    const ha = await mqtt.connectAsync(mosquitto.url, {
      protocolVersion: 5,
      clientId: 'ha-test',
      username: HA.name,
      password: HA.password,
    });
    cleanup.push(() => ha.endAsync());
    const fresh: string[] = [];
    let retained = 0;
    ha.on('message', (topic, payload, packet) => {
      if (packet.retain) retained += 1;
      else if (payload.length > 0) fresh.push(topic);
    });
    await ha.subscribeAsync('homeassistant/device/+/config', { qos: 1 });
    const again = new Promise<void>((resolve) => {
      ha.on('message', () => {
        if (fresh.includes(serviceTopic) && fresh.includes(agentTopic)) resolve();
      });
    });
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await again;
    // Retained at subscription: the service's, the host's and the other installation's.
    expect(retained).toBe(3);

    // The stack removed: the service's device goes (empty retained config), the host stays.
    const removed = new Promise<void>((resolve) => {
      ha.on('message', (topic, payload) => {
        if (topic === serviceTopic && payload.length === 0) resolve();
      });
    });
    await orchestrator.down(STACK);
    await removed;
    // Retained messages come filter by filter: the service's config first, were it still there.
    const left = await subAsHomeAssistant(
      mosquitto.port,
      [serviceTopic, staleTopic, agentTopic, otherTopic],
      2,
    );
    expect(left.map((l) => split(l).topic)).toEqual([agentTopic, otherTopic]);
  });
});
