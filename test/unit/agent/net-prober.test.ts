// The agent's HTTP/TCP prober: the pure verdict carried out with timers, on fake timers and
// scripted results — what view() makes of Docker's view, and when it asks to be viewed again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createNetProber } from '../../../agents/probes/prober.js';
import type { RuntimeContainer } from '../../../agents/runtime/index.js';
import { systemClock } from '../../../src/clock/index.js';
import type { NetProbeResult } from '../../../src/core/healing/index.js';
import { silentLogger } from '../../../src/logging/logger.js';
import type { HealthProbe } from '../../../src/protocol/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const PROBE: HealthProbe = {
  kind: 'http',
  url: 'http://127.0.0.1:1/h',
  interval_ms: 1_000,
  timeout_ms: 500,
  degraded_after_ms: 200,
  unhealthy_threshold: 2,
};

function container(extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: 'c1',
    name: 'alicia-web',
    instance: 'web',
    stack: 's',
    service: 'web',
    slot: 1,
    agent: 'a',
    specHash: 'h',
    image: 'i',
    state: 'running',
    health: 'none',
    exitCode: null,
    restartCount: 0,
    restartPolicy: 'always',
    createdAt: Date.now(),
    startedAt: Date.now(),
    finishedAt: null,
    networkMode: 'host',
    ports: [],
    labels: {},
    ...extra,
  };
}

function setup() {
  let next: NetProbeResult = { ok: false, latency_ms: null, error: 'ECONNREFUSED' };
  const changes: string[] = [];
  let runs = 0;
  const prober = createNetProber({
    clock: systemClock,
    probeFor: () => PROBE,
    run: async () => {
      runs += 1;
      return next;
    },
    changed: (instance) => changes.push(instance),
    log: silentLogger(),
  });
  return {
    prober,
    changes,
    runs: () => runs,
    answer(result: NetProbeResult) {
      next = result;
    },
  };
}

describe('net prober', () => {
  it('starting until the first pass (probed fast), then healthy; slow is degraded in the report', async () => {
    const t = setup();
    const c = container();
    expect(t.prober.view(c).health).toBe('starting');
    await vi.advanceTimersByTimeAsync(350);
    expect(t.runs()).toBe(3);
    expect(t.prober.view(c).health).toBe('starting');
    t.answer({ ok: true, latency_ms: 5, error: null });
    await vi.advanceTimersByTimeAsync(100);
    expect(t.changes).toEqual(['web']);
    expect(t.prober.view(c).health).toBe('healthy');
    t.answer({ ok: true, latency_ms: 350, error: null });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.prober.report('web')).toMatchObject({ kind: 'http', status: 'degraded', latency_ms: 350 });
    expect(t.prober.view(c).health).toBe('healthy');
    t.prober.close();
  });

  it('unhealthy after unhealthy_threshold failures; stops probing that run; a new run starts over', async () => {
    const t = setup();
    const c = container();
    t.answer({ ok: true, latency_ms: 5, error: null });
    t.prober.view(c);
    await vi.advanceTimersByTimeAsync(100);
    t.answer({ ok: false, latency_ms: null, error: 'HTTP 503' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.prober.view(c).health).toBe('unhealthy');
    expect(t.prober.report('web')).toMatchObject({
      status: 'failing',
      consecutive_failures: 2,
      last_error: 'HTTP 503',
    });
    const runs = t.runs();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.runs()).toBe(runs);
    // Restarted by the healer: a new run, no verdict yet.
    const restarted = container({ startedAt: Date.now() });
    expect(t.prober.view(restarted).health).toBe('starting');
    t.prober.close();
  });

  it('Docker saying unhealthy wins; a container not running is left alone', () => {
    const t = setup();
    expect(t.prober.view(container({ health: 'unhealthy' })).health).toBe('unhealthy');
    const stopped = container({ state: 'exited', health: 'none' });
    expect(t.prober.view(stopped)).toBe(stopped);
    expect(t.prober.report('web')).toBeNull();
    t.prober.close();
  });

  it('a run that fails from its first probe is unhealthy once its start period is over', async () => {
    const t = setup();
    const c = container();
    expect(t.prober.view(c).health).toBe('starting');
    t.answer({ ok: false, latency_ms: null, error: 'HTTP 503' });
    // The default start period (30 s): no say.
    await vi.advanceTimersByTimeAsync(29_000);
    expect(t.prober.view(c).health).toBe('starting');
    // Then a failure every interval (1 s); unhealthy_threshold 2.
    await vi.advanceTimersByTimeAsync(3_500);
    expect(t.prober.view(c).health).toBe('unhealthy');
    expect(t.prober.report('web')).toMatchObject({ status: 'failing', consecutive_failures: 2 });
    t.prober.close();
  });
});
