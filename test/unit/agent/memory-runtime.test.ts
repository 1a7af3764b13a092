// The in-memory runtime's simulation of health, with injected (fake) time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryRuntime, type RuntimeEvent } from '../../../agents/runtime/index.js';
import { instanceSpec, readyCheck } from '../../contract/specs.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('memory runtime health', () => {
  it('turns healthy after the first interval, unhealthy on request, and healthy again after a restart', async () => {
    const runtime = createMemoryRuntime();
    const events: RuntimeEvent[] = [];
    runtime.events('a', (e) => events.push(e));
    const spec = instanceSpec('mem', 'api', 1, { healthcheck: readyCheck(1_000, 0) });
    const created = await runtime.create(spec, 'a');
    expect(created.health).toBe('starting');
    await vi.advanceTimersByTimeAsync(999);
    expect((await runtime.inspect(created.id))?.health).toBe('starting');
    await vi.advanceTimersByTimeAsync(1);
    expect((await runtime.inspect(created.id))?.health).toBe('healthy');

    runtime.setHealth(spec.instance, 'unhealthy');
    expect((await runtime.inspect(created.id))?.health).toBe('unhealthy');
    await runtime.restart(created.id);
    expect((await runtime.inspect(created.id))?.health).toBe('starting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await runtime.inspect(created.id))?.health).toBe('healthy');
    const health = events.flatMap((e) =>
      e.type === 'container' && e.action === 'health_status' ? [e.health] : [],
    );
    expect(health).toEqual(['healthy', 'unhealthy', 'healthy']);
  });

  it('keeps a sticky failure across restarts, and has no health without a healthcheck', async () => {
    const runtime = createMemoryRuntime();
    const spec = instanceSpec('mem', 'api', 1, { healthcheck: readyCheck(500, 0) });
    const created = await runtime.create(spec, 'a');
    runtime.setHealth(spec.instance, 'unhealthy', { sticky: true });
    await runtime.restart(created.id);
    await vi.advanceTimersByTimeAsync(500);
    expect((await runtime.inspect(created.id))?.health).toBe('unhealthy');
    const plain = await runtime.create(instanceSpec('mem', 'web', 1), 'a');
    expect(plain.health).toBe('none');
  });

  it('simulates an engine that stops answering', async () => {
    const runtime = createMemoryRuntime();
    const events: RuntimeEvent[] = [];
    runtime.events('a', (e) => events.push(e));
    runtime.setReachable(false);
    await expect(runtime.list('a')).rejects.toMatchObject({ code: 'ALICIA_ERR_DOCKER_UNREACHABLE' });
    expect(await runtime.version()).toBeNull();
    runtime.setReachable(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(events.map((e) => e.type)).toEqual(['connected', 'disconnected', 'connected']);
  });

  it('pulls only pullable images', async () => {
    const runtime = createMemoryRuntime({ images: [], pullable: ['x/pullable:1'] });
    const progress: string[] = [];
    await runtime.pullImage('x/pullable:1', (p) => progress.push(p.status));
    expect(progress).toEqual(['Pulling from memory', 'Pull complete']);
    await expect(runtime.pullImage('x/other:1')).rejects.toMatchObject({ code: 'ALICIA_ERR_IMAGE_PULL' });
  });
});
