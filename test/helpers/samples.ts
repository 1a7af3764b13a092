// One valid sample of every protocol message, for round-trip and fuzz tests.
import { compileContainerSpec } from '../../src/compose/compile.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import { DEFAULT_BACKOFF } from '../../src/compose/model.js';
import type { ContainerSpec } from '../../src/protocol/container-spec.js';

export const NOW = 1_790_000_000_000;

export function sampleSpec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    image: 'alicia-test/busybox:latest',
    command: ['sleep', '3600'],
    environment: { MODE: 'test', FROM_HOST: null },
    ports: [{ target: 8080, published: '8080', protocol: 'tcp', mode: 'ingress' }],
    volumes: [],
    depends_on: { db: { condition: 'service_healthy', required: true, restart: false } },
    healthcheck: { test: ['CMD-SHELL', 'true'], interval_ms: 1000, retries: 3, disable: false },
    restart: 'unless-stopped',
    replicas: 1,
    constraints: [{ field: 'node.labels.zone', op: '==', value: 'garage' }],
    labels: {},
    network_mode: 'host',
    privileged: false,
    cap_add: [],
    cap_drop: [],
    x_alicia: { backoff: { ...DEFAULT_BACKOFF } },
    ...overrides,
  };
}

/** sampleSpec compiled to the wire ContainerSpec (stack `demo`), with overrides on top. */
export function sampleContainerSpec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return { ...compileContainerSpec('demo', sampleSpec()), ...overrides };
}

const cmdBase = { v: 1, transaction: 'tx-1', issued_at: NOW, expires_at: NOW + 30_000, session: 3 } as const;
const instance = {
  instance: 'demo_web_1',
  stack: 'demo',
  service: 'web',
  slot: 1,
  spec: sampleContainerSpec(),
  spec_hash: 'abc123',
};

/** topic (under prefix `alicia`) -> a valid payload. */
export const SAMPLES: Record<string, unknown> = {
  'alicia/orchestrator/state': { v: 1, state: 'online', session: 1, ts: NOW, version: '0.1.0' },
  'alicia/orchestrator/health': {
    v: 1,
    ts: NOW,
    uptime_s: 12,
    services_by_state: { running: 3 },
    health_percentage: 100,
    restarts: 0,
    healing_actions: 0,
    agents: { online: 2, suspect: 0, offline: 0 },
  },
  'alicia/agents/pi-1/state': { v: 1, state: 'offline', session: 7, ts: NOW, version: '0.1.0' },
  'alicia/agents/pi-1/info': {
    v: 1,
    agent: 'pi-1',
    hostname: 'pi-1',
    arch: 'aarch64',
    os: 'linux',
    cpus: 4,
    memory_bytes: 4 * 1024 ** 3,
    labels: { zone: 'garage' },
    role: 'worker',
    docker_version: '20.10.24',
    agent_version: '0.1.0',
    protocol: 1,
    features: ['healthcheck', 'probe', 'resources'],
    ts: NOW,
  },
  'alicia/agents/pi-1/heartbeat': {
    v: 1,
    ts: NOW,
    seq: 41,
    session: 7,
    uptime_s: 41.2,
    load: [0.1, 0.2, 0.3],
    mem: { rss_bytes: 50_000_000, free_bytes: 1_000_000_000, total_bytes: 4_000_000_000 },
    running: 2,
  },
  'alicia/agents/pi-1/containers': {
    v: 1,
    agent: 'pi-1',
    session: 7,
    ts: NOW,
    containers: [
      {
        instance: 'demo_web_1',
        stack: 'demo',
        service: 'web',
        container_id: 'f00d',
        image: 'alicia-test/busybox:latest',
        spec_hash: 'abc123',
        state: 'running',
        health: 'healthy',
        exit_code: null,
        restarts: 0,
        created_at: NOW - 5000,
        started_at: NOW - 4000,
        finished_at: null,
        address: '127.0.0.1',
        ports: [8080],
        recovery: null,
      },
    ],
  },
  'alicia/agents/pi-1/cmd/start': { ...cmdBase, instances: [instance] },
  'alicia/agents/pi-1/cmd/apply': { ...cmdBase, instances: [instance] },
  'alicia/agents/pi-1/cmd/stop': { ...cmdBase, instances: ['demo_web_1'], timeout_ms: 10_000 },
  'alicia/agents/pi-1/cmd/remove': { ...cmdBase, instances: ['demo_web_1'] },
  'alicia/agents/pi-1/cmd/restart': { ...cmdBase, instances: ['demo_web_1'] },
  'alicia/agents/pi-1/cmd/resync': { ...cmdBase },
  'alicia/agents/pi-1/response/start': {
    v: 1,
    transaction: 'tx-1',
    status: 'ok',
    ts: NOW,
    data: { results: [{ instance: 'demo_web_1', status: 'ok', container_id: 'f00d' }] },
  },
  'alicia/agents/pi-1/response/stop': {
    v: 1,
    transaction: null,
    status: 'error',
    ts: NOW,
    error: { code: 'ALICIA_ERR_PAYLOAD_JSON', message: 'payload is not valid JSON' },
  },
  'alicia/services/events': {
    v: 1,
    id: 'V1StGXR8_Z5jdHi6B-myT',
    seq: 12,
    event_type: 'service_scaled',
    event_data: { stack: 'demo', service: 'web', from: 1, to: 3, direction: 'up' },
    timestamp: '2026-11-22T13:00:00.000Z',
    source: 'orchestrator',
  },
  'alicia/services/service_started': {
    v: 1,
    id: 'V1StGXR8_Z5jdHi6B-myU',
    seq: 13,
    event_type: 'service_started',
    event_data: { stack: 'demo', service: 'web', elapsed_ms: 850 },
    timestamp: '2026-11-22T13:00:00.000Z',
    source: 'orchestrator',
  },
  'alicia/stacks/demo/services/web/state': {
    v: 1,
    ts: NOW,
    stack: 'demo',
    service: 'web',
    desired_replicas: 1,
    running_replicas: 1,
    healthy_replicas: 1,
    completed_replicas: 0,
    state: 'running',
    health: 'healthy',
    hosts: ['pi-1'],
    instances: [
      {
        instance: 'demo_web_1',
        agent: 'pi-1',
        container_id: 'f00d',
        state: 'running',
        health: 'healthy',
        restarts: 0,
        started_at: NOW,
        exit_code: null,
      },
    ],
  },
  'alicia/orchestrator/request/deploy': {
    v: 1,
    transaction: 'rq-1',
    reply_to: 'alicia/clients/cli-1/reply',
    project_directory: '/srv/demo',
    compose: ['compose.yaml'],
    files: [
      { path: 'compose.yaml', kind: 'compose', text: 'services:\n  web:\n    env_file: app.env\n' },
      { path: 'app.env', kind: 'env_file', text: 'MODE=test\n' },
    ],
    env: { TAG: '1.2' },
    project: 'demo',
  },
  'alicia/orchestrator/request/scale': {
    v: 1,
    transaction: 'rq-2',
    reply_to: 'alicia/clients/cli-1/reply',
    service: 'web',
    replicas: 3,
  },
  'alicia/orchestrator/request/restart': {
    v: 1,
    transaction: 'rq-3',
    reply_to: 'alicia/clients/cli-1/reply',
    service: 'web',
  },
  'alicia/orchestrator/request/stop': {
    v: 1,
    transaction: 'rq-4',
    reply_to: 'alicia/clients/cli-1/reply',
    service: 'web',
  },
  'alicia/orchestrator/request/down': {
    v: 1,
    transaction: 'rq-5',
    reply_to: 'alicia/clients/cli-1/reply',
    stack: 'demo',
  },
  'alicia/orchestrator/request/ps': { v: 1, transaction: 'rq-6', reply_to: 'alicia/clients/cli-1/reply' },
  'alicia/orchestrator/request/agents': { v: 1, transaction: 'rq-7', reply_to: 'alicia/clients/cli-1/reply' },
  'alicia/orchestrator/request/health': { v: 1, transaction: 'rq-8', reply_to: 'alicia/clients/cli-1/reply' },
  'alicia/orchestrator/request/heal': {
    v: 1,
    transaction: 'rq-9',
    reply_to: 'alicia/clients/cli-1/reply',
    service: 'web',
  },
  'alicia/orchestrator/request/history': {
    v: 1,
    transaction: 'rq-10',
    reply_to: 'alicia/clients/cli-1/reply',
    limit: 10,
  },
  'alicia/clients/cli-1/reply': { v: 1, transaction: 'rq-6', status: 'ok', data: { services: [] } },
};
