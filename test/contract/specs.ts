// InstanceSpecs for tests: the busybox test image, host networking, short healthchecks.
// Written as Compose services (what users write), compiled to the wire ContainerSpec.
import { compileContainerSpec } from '../../src/compose/compile.js';
import type { ServiceSpec } from '../../src/compose/model.js';
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import { specHash } from '../../src/protocol/spec-hash.js';
import { TEST_IMAGE } from '../helpers/docker.js';

export function serviceSpec(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    image: TEST_IMAGE,
    command: ['sleep', '3600'],
    environment: {},
    ports: [],
    volumes: [],
    depends_on: {},
    restart: 'unless-stopped',
    replicas: 1,
    constraints: [],
    labels: {},
    privileged: false,
    cap_add: [],
    cap_drop: [],
    // Host networking unless a test asks otherwise: these tests reach ports from the host.
    network_mode: 'host',
    // busybox's sleep ignores SIGTERM as PID 1, so a grace period would only slow tests down.
    stop_grace_period_ms: 0,
    x_alicia: { backoff: { min_ms: 100, max_ms: 1_000, reset_after_ms: 60_000, max_attempts: 3 } },
    ...overrides,
  };
}

/** `sh -c` that becomes ready (touches /tmp/ready) after `delayS` seconds, then sleeps. */
export function readyAfter(delayS: number): string[] {
  return ['sh', '-c', `rm -f /tmp/ready; sleep ${delayS}; touch /tmp/ready; exec sleep 3600`];
}

/**
 * A healthcheck that passes while /tmp/ready exists, probed every `intervalMs`. During
 * `startPeriodMs` failures do not count (Docker's start_period), so a container that is
 * still getting ready reads `starting`, not `unhealthy`.
 */
export function readyCheck(
  intervalMs = 200,
  startPeriodMs = 10_000,
): NonNullable<ServiceSpec['healthcheck']> {
  return {
    test: ['CMD-SHELL', 'test -f /tmp/ready'],
    interval_ms: intervalMs,
    timeout_ms: 1_000,
    retries: 1,
    ...(startPeriodMs > 0 ? { start_period_ms: startPeriodMs } : {}),
    disable: false,
  };
}

export function instanceSpec(
  stack: string,
  service: string,
  slot: number,
  overrides: Partial<ServiceSpec> = {},
): InstanceSpec {
  const spec = compileContainerSpec(stack, serviceSpec({ name: service, ...overrides }));
  return { instance: `${stack}_${service}_${slot}`, stack, service, slot, spec, spec_hash: specHash(spec) };
}
