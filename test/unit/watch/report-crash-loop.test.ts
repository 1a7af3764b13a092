// Reports -> service_crashlooping once per episode, and service_restarted with Docker's count.
import { describe, expect, it } from 'vitest';
import {
  type InstanceReport,
  reportEvents,
  type SeenInstance,
  type WatchStep,
} from '../../../src/core/watch/index.js';

const subject = { stack: 's', service: 'web', agent: 'a' };
const report = (over: Partial<InstanceReport> = {}): InstanceReport => ({
  instance: 's_web_1_abc',
  health: 'none',
  state: 'starting',
  restarts: 0,
  docker_restarts: 0,
  recovery: null,
  crash_loop: null,
  ...over,
});
const loop = (restarts: number, since = 500) => ({
  exit_code: 1,
  restarts,
  log_tail: ['nc: bind: Address in use'],
  since,
});

function feed(reports: { r: InstanceReport; sub?: typeof subject | null }[]) {
  let seen: SeenInstance | undefined;
  const all: WatchStep[] = [];
  reports.forEach(({ r, sub = subject }, i) => {
    const out = reportEvents(seen, r, sub, 1000 + i);
    seen = out.seen;
    all.push(...out.steps);
  });
  return all.flatMap((s) => (s.kind === 'emit' ? [s.event] : []));
}

describe('crash loop events', () => {
  it('one service_crashlooping per episode, with exit code, Docker’s count and log tail; no restart spam', () => {
    const events = feed([
      { r: report() },
      { r: report({ restarts: 1, docker_restarts: 1 }) },
      { r: report({ restarts: 2, docker_restarts: 2, crash_loop: loop(2) }) },
      { r: report({ restarts: 3, docker_restarts: 3, crash_loop: loop(3) }) },
      { r: report({ restarts: 4, docker_restarts: 4, crash_loop: loop(4) }) },
    ]);
    expect(events.map((e) => e.event_type)).toEqual(['service_restarted', 'service_crashlooping']);
    expect(events[0]?.data).toMatchObject({ restarts: 1, reason: 'restarted by Docker (restart policy)' });
    expect(events[1]).toEqual({
      event_type: 'service_crashlooping',
      data: {
        ...subject,
        instance: 's_web_1_abc',
        exit_code: 1,
        restarts: 2,
        log_tail: ['nc: bind: Address in use'],
      },
    });
  });

  it('a new episode (a new since) is announced again', () => {
    const events = feed([
      { r: report() },
      { r: report({ crash_loop: loop(2, 500) }) },
      { r: report({ state: 'running', crash_loop: null }) },
      { r: report({ crash_loop: loop(5, 90_000) }) },
    ]);
    expect(events.filter((e) => e.event_type === 'service_crashlooping')).toHaveLength(2);
  });

  it('a loop seen while an operation holds the stack is announced once it lets go', () => {
    const events = feed([
      { r: report({ crash_loop: loop(2) }), sub: null },
      { r: report({ crash_loop: loop(3) }), sub: null },
      { r: report({ crash_loop: loop(4) }) },
      { r: report({ crash_loop: loop(5) }) },
    ]);
    expect(events.map((e) => e.event_type)).toEqual(['service_crashlooping']);
    expect(events[0]?.data).toMatchObject({ restarts: 4 });
  });

  it('a loop already in the first report an orchestrator sees is not announced again', () => {
    expect(feed([{ r: report({ crash_loop: loop(9) }) }, { r: report({ crash_loop: loop(10) }) }])).toEqual(
      [],
    );
  });

  it('service_restarted by the agent says Docker’s count (0), and the attempt', () => {
    const events = feed([
      { r: report({ state: 'running', health: 'unhealthy' }) },
      {
        r: report({
          state: 'running',
          health: 'recovering',
          restarts: 1,
          docker_restarts: 0,
          recovery: { gave_up: false, attempts: 1 },
        }),
      },
    ]);
    expect(events).toEqual([
      {
        event_type: 'service_restarted',
        data: {
          ...subject,
          instance: 's_web_1_abc',
          restarts: 0,
          reason: 'restarted by its agent',
          attempts: 1,
        },
      },
    ]);
  });
});
