// How a managed container is reported on the containers topic.
import { describe, expect, it } from 'vitest';
import { type ReportContext, toContainerReport } from '../../../agents/reports.js';
import type { RuntimeContainer } from '../../../agents/runtime/index.js';
import { INITIAL_HEALING } from '../../../src/core/healing/index.js';
import { ContainerReportSchema } from '../../../src/protocol/containers.js';

const container = (over: Partial<RuntimeContainer> = {}): RuntimeContainer => ({
  id: 'c1',
  name: 'alicia-demo_web_1',
  instance: 'demo_web_1',
  stack: 'demo',
  service: 'web',
  slot: 1,
  agent: 'pi-1',
  specHash: 'h',
  image: 'alicia-test/busybox:latest',
  state: 'running',
  health: 'healthy',
  exitCode: null,
  restartCount: 1,
  restartPolicy: 'unless-stopped',
  createdAt: 1,
  startedAt: 2,
  finishedAt: null,
  networkMode: 'host',
  ports: [8080],
  labels: {},
  ...over,
});
const ctx = (over: Partial<ReportContext> = {}): ReportContext => ({
  agentRestarts: 2,
  healing: undefined,
  failedAttempts: undefined,
  desiredRun: true,
  busy: null,
  address: '127.0.0.1',
  ...over,
});

describe('toContainerReport', () => {
  it('reports a healthy running container, counting Docker’s and the agent’s restarts', () => {
    const report = toContainerReport(container(), ctx());
    expect(ContainerReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      state: 'running',
      health: 'healthy',
      restarts: 3,
      recovery: null,
      ports: [8080],
      address: '127.0.0.1',
    });
  });

  it('maps states: starting, recovering, stopping, restarting, stopped, failed', () => {
    expect(toContainerReport(container({ health: 'starting' }), ctx())).toMatchObject({
      state: 'starting',
      health: 'unknown',
    });
    const healing = { ...INITIAL_HEALING, attempts: 1 };
    expect(toContainerReport(container({ health: 'starting' }), ctx({ healing }))).toMatchObject({
      health: 'recovering',
      recovery: { attempts: 1, gave_up: false, next_attempt_at: null },
    });
    expect(toContainerReport(container(), ctx({ busy: 'stopping' })).state).toBe('stopping');
    expect(
      toContainerReport(container({ state: 'exited', exitCode: 137 }), ctx({ busy: 'restarting' })).state,
    ).toBe('starting');
    expect(
      toContainerReport(
        container({ state: 'exited', exitCode: 137, health: 'unhealthy' }),
        ctx({ desiredRun: false }),
      ),
    ).toMatchObject({
      state: 'stopped',
      health: 'unknown',
      exit_code: 137,
    });
    expect(
      toContainerReport(container({ state: 'exited', exitCode: 0, health: 'none' }), ctx()),
    ).toMatchObject({ state: 'stopped', health: 'none' });
    expect(toContainerReport(container({ state: 'exited', exitCode: 1 }), ctx()).state).toBe('failed');
    expect(
      toContainerReport(container({ state: 'exited', exitCode: 137 }), ctx({ failedAttempts: 3 })),
    ).toMatchObject({
      state: 'failed',
      recovery: { attempts: 3, gave_up: true },
    });
    // Healing gave up but the stop has not happened yet: it is on its way down.
    expect(toContainerReport(container({ health: 'unhealthy' }), ctx({ failedAttempts: 2 }))).toMatchObject({
      state: 'stopping',
      recovery: { attempts: 2, gave_up: true },
    });
    expect(toContainerReport(container({ state: 'paused' }), ctx()).state).toBe('maintenance');
    expect(toContainerReport(container({ state: 'created', health: 'none' }), ctx()).state).toBe('starting');
  });
});
