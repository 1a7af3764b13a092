// The start prober: the pure start probe machine carried out with timers and the runtime's
// probe(), on fake timers and a scripted probe.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProbeTest, RuntimeContainer } from '../../../agents/runtime/index.js';
import { createStartProber } from '../../../agents/start-prober.js';
import { systemClock } from '../../../src/clock/index.js';
import { startProbePlan } from '../../../src/core/healing/index.js';
import { silentLogger } from '../../../src/logging/logger.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

const TEST: ProbeTest = ['CMD', 'true'];
const PLAN = startProbePlan({ test: TEST, disable: false, interval_ms: 2_000, retries: 2 }, true);

function container(instance: string, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  return {
    id: `id-${instance}`,
    name: `alicia-${instance}`,
    instance,
    stack: 's',
    service: instance,
    slot: 1,
    agent: 'a',
    specHash: 'h',
    image: 'i',
    state: 'running',
    health: 'starting',
    exitCode: null,
    restartCount: 0,
    restartPolicy: 'no',
    createdAt: Date.now(),
    startedAt: Date.now(),
    finishedAt: null,
    networkMode: 'host',
    ports: [],
    labels: {},
    ...extra,
  };
}

function setup(answer: (id: string) => boolean, options: { probeMs?: number; planned?: boolean } = {}) {
  const probes: { id: string; at: number }[] = [];
  const changes: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const prober = createStartProber({
    runtime: {
      async probe(id) {
        probes.push({ id, at: Date.now() });
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (options.probeMs !== undefined)
          await new Promise((resolve) => setTimeout(resolve, options.probeMs));
        inFlight -= 1;
        return answer(id);
      },
    },
    // systemClock calls the global timers and Date.now, which vitest's fake timers replace.
    clock: systemClock,
    probeFor: () => (options.planned === false || PLAN === null ? null : { test: TEST, plan: PLAN }),
    changed: (instance) => changes.push(instance),
    log: silentLogger(),
  });
  return { prober, probes, changes, maxInFlight: () => maxInFlight };
}

describe('start prober', () => {
  it('probes a starting container every 100 ms, growing with its age, and reports the first pass healthy', async () => {
    let ready = false;
    const t = setup(() => ready);
    const start = Date.now();
    const api = container('api');
    expect(t.prober.view(api).health).toBe('starting');
    await vi.advanceTimersByTimeAsync(1_000);
    const delays = t.probes.map((p) => p.at - start);
    expect(delays.slice(0, 3)).toEqual([100, 200, 300]);
    expect(t.changes).toEqual([]);
    ready = true;
    await vi.advanceTimersByTimeAsync(150);
    expect(t.changes).toEqual(['api']);
    expect(t.prober.seen('api')).toBe(api);
    // Docker still says starting; the agent's view of this run says healthy.
    expect(t.prober.view(api)).toEqual({ ...api, health: 'healthy' });
  });

  it('after the pass, probes every interval and reports unhealthy after `retries` failures in a row', async () => {
    let ready = true;
    const t = setup(() => ready);
    const api = container('api');
    t.prober.view(api);
    await vi.advanceTimersByTimeAsync(100);
    expect(t.prober.view(api).health).toBe('healthy');
    ready = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.prober.view(api).health).toBe('healthy');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.changes).toEqual(['api', 'api']);
    expect(t.prober.view(api).health).toBe('unhealthy');
    // Done with this run: the same run is not probed again.
    const count = t.probes.length;
    t.prober.view(api);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.probes).toHaveLength(count);
  });

  it('stops as soon as Docker has a verdict, and starts over for a new run of the container', async () => {
    const t = setup(() => true);
    const api = container('api');
    t.prober.view(api);
    await vi.advanceTimersByTimeAsync(250);
    expect(t.prober.view(api).health).toBe('healthy');
    const count = t.probes.length;
    // Docker's own verdict rules, even against the start probe's.
    expect(t.prober.view({ ...api, health: 'unhealthy' }).health).toBe('unhealthy');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.probes).toHaveLength(count);
    t.prober.view(container('api', { startedAt: Date.now() }));
    await vi.advanceTimersByTimeAsync(100);
    expect(t.probes).toHaveLength(count + 1);
    t.prober.view(container('api', { state: 'exited' }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(t.probes).toHaveLength(count + 1);
  });

  it('runs one probe at a time however many containers start, each in its turn', async () => {
    const t = setup(() => false, { probeMs: 50 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) t.prober.view(container(name));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.maxInFlight()).toBe(1);
    expect(new Set(t.probes.map((p) => p.id)).size).toBe(5);
  });

  it('leaves alone what has no plan (no healthcheck, start_probe: false) and everything once closed', async () => {
    const none = setup(() => true, { planned: false });
    none.prober.view(container('api'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(none.probes).toEqual([]);
    const closed = setup(() => true);
    closed.prober.view(container('api'));
    closed.prober.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(closed.probes).toEqual([]);
  });
});
