// The verdict of the agent's HTTP/TCP probe, as a pure function of results and time.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PROBE_START_PERIOD_MS,
  INITIAL_NET_PROBE,
  type NetProbeResult,
  type NetProbeState,
  netProbeDelay,
  netProbeHealth,
  stepNetProbe,
} from '../../../src/core/healing/index.js';

const rule = { interval_ms: 1_000, degraded_after_ms: 300, unhealthy_threshold: 3 };
const ok = (latency = 10): NetProbeResult => ({ ok: true, latency_ms: latency, error: null });
const fail: NetProbeResult = { ok: false, latency_ms: null, error: 'ECONNREFUSED' };

function run(results: NetProbeResult[], from: NetProbeState = INITIAL_NET_PROBE): NetProbeState {
  // Results 1 ms apart, the run 1 s old: well inside the default start period.
  return results.reduce((state, r, i) => stepNetProbe(state, r, rule, 1_000 + i, 1_000 + i), from);
}

describe('probe verdict', () => {
  it('no say before the first pass, however many failures (still starting)', () => {
    const state = run([fail, fail, fail, fail]);
    expect(netProbeHealth(state, rule)).toBeNull();
    expect(state).toMatchObject({ status: 'failing', consecutive_failures: 0, last_error: 'ECONNREFUSED' });
  });

  it('healthy after a pass; degraded when slower than degraded_after; ok again when fast', () => {
    expect(netProbeHealth(run([ok()]), rule)).toBe('healthy');
    const slow = run([ok(), ok(450)]);
    expect(slow).toMatchObject({ status: 'degraded', latency_ms: 450 });
    expect(netProbeHealth(slow, rule)).toBe('healthy');
    expect(run([ok(450), ok(20)]).status).toBe('ok');
  });

  it('failing below the threshold, unhealthy at it; a pass resets the count', () => {
    const two = run([ok(), fail, fail]);
    expect(two).toMatchObject({ status: 'failing', consecutive_failures: 2 });
    expect(netProbeHealth(two, rule)).toBe('healthy');
    const three = run([fail], two);
    expect(netProbeHealth(three, rule)).toBe('unhealthy');
    expect(run([ok()], two).consecutive_failures).toBe(0);
  });

  it('probes fast while starting (10% of the time since start, 100 ms–1 s), then every interval', () => {
    expect(netProbeDelay(INITIAL_NET_PROBE, rule, 0)).toBe(100);
    expect(netProbeDelay(INITIAL_NET_PROBE, rule, 5_000)).toBe(500);
    expect(netProbeDelay(INITIAL_NET_PROBE, { ...rule, interval_ms: 200 }, 60_000)).toBe(200);
    expect(netProbeDelay(run([ok()]), rule, 0)).toBe(1_000);
  });

  it('a run that never passes is judged once its start period is over: failures count every interval', () => {
    const short = { ...rule, start_period_ms: 2_000 };
    // Inside the start period: no say (still starting).
    const starting = [fail, fail, fail].reduce(
      (s, r, i) => stepNetProbe(s, r, short, i, i * 500),
      INITIAL_NET_PROBE,
    );
    expect(netProbeHealth(starting, short)).toBeNull();
    expect(netProbeDelay(starting, short, 1_500)).toBe(150);
    // Past it: probed every interval, and threshold failures make it unhealthy without any pass.
    expect(netProbeDelay(starting, short, 2_000)).toBe(1_000);
    const judged = [fail, fail, fail].reduce(
      (s, r, i) => stepNetProbe(s, r, short, 2_000 + i * 1_000, 2_000 + i * 1_000),
      starting,
    );
    expect(judged).toMatchObject({ passed: false, consecutive_failures: 3 });
    expect(netProbeHealth(judged, short)).toBe('unhealthy');
    // A pass (late) still ends the start period as usual.
    expect(netProbeHealth(stepNetProbe(judged, ok(), short, 6_000, 6_000), short)).toBe('healthy');
    // Without start_period_ms: the default.
    const lateFail = stepNetProbe(INITIAL_NET_PROBE, fail, rule, 0, DEFAULT_PROBE_START_PERIOD_MS);
    expect(lateFail.consecutive_failures).toBe(1);
    expect(
      stepNetProbe(INITIAL_NET_PROBE, fail, rule, 0, DEFAULT_PROBE_START_PERIOD_MS - 1).consecutive_failures,
    ).toBe(0);
  });
});
