// Docker's event stream for one agent's containers, kept open across engine restarts:
// when the stream breaks the adapter reconnects with exponential backoff and says
// `connected` again, so the agent lists its containers (events may have been missed).

import type Docker from 'dockerode';
import type { Clock, TimerHandle } from '../../src/clock/index.js';
import type { Logger } from '../../src/logging/logger.js';
import { readJsonLines } from './json-lines.js';
import { LABELS } from './labels.js';
import type { RuntimeAction, RuntimeEvent, RuntimeSubscription } from './types.js';

const ACTIONS = new Set<string>([
  'create',
  'start',
  'die',
  'oom',
  'kill',
  'stop',
  'restart',
  'destroy',
  'pause',
  'unpause',
  'health_status',
]);

export interface EventStreamOptions {
  /** First reconnect delay (ms); doubles up to maxMs. */
  minMs: number;
  maxMs: number;
  /** Timers (the one Clock port). */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  log: Logger;
}

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  timeNano?: number;
  time?: number;
}

/** One Docker event line -> a RuntimeEvent, or null for events the agent does not use (exec_*, …). */
export function toRuntimeEvent(message: unknown): RuntimeEvent | null {
  if (message === null || typeof message !== 'object') return null;
  const m = message as DockerEventMessage;
  if (m.Type !== undefined && m.Type !== 'container') return null;
  const raw = m.Action ?? '';
  // Health events read "health_status: healthy"; exec events "exec_start: sh -c …".
  const [name = '', detail = ''] = raw.split(':', 2).map((part) => part.trim());
  if (!ACTIONS.has(name)) return null;
  const id = m.Actor?.ID ?? m.id;
  if (!id) return null;
  const attributes = m.Actor?.Attributes ?? {};
  const at = m.timeNano !== undefined ? Math.floor(m.timeNano / 1e6) : (m.time ?? 0) * 1000;
  const event: {
    type: 'container';
    action: RuntimeAction;
    id: string;
    instance: string | null;
    at: number;
    health?: 'starting' | 'healthy' | 'unhealthy';
    exitCode?: number;
  } = {
    type: 'container',
    action: name as RuntimeAction,
    id,
    instance: attributes[LABELS.instance] ?? null,
    at,
  };
  if (name === 'health_status' && (detail === 'starting' || detail === 'healthy' || detail === 'unhealthy')) {
    event.health = detail;
  }
  if (name === 'die' && attributes.exitCode !== undefined) {
    const code = Number.parseInt(attributes.exitCode, 10);
    if (Number.isInteger(code)) event.exitCode = code;
  }
  return event;
}

export function watchDockerEvents(
  docker: Docker,
  agent: string,
  handler: (event: RuntimeEvent) => void,
  options: EventStreamOptions,
): RuntimeSubscription {
  const log = options.log;
  let closed = false;
  let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | null = null;
  let wake: (() => void) | null = null;
  let timer: TimerHandle | null = null;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = options.clock.setTimeout(resolve, ms);
    });

  const emit = (event: RuntimeEvent) => {
    try {
      handler(event);
    } catch (err) {
      log.error({ err }, 'runtime event handler failed');
    }
  };

  const loop = async () => {
    let delay = options.minMs;
    while (!closed) {
      let failure: Error;
      try {
        const opened = (await docker.getEvents({
          filters: { type: ['container'], label: [`${LABELS.agent}=${agent}`] },
        })) as NodeJS.ReadableStream & { destroy?: () => void };
        if (closed) {
          opened.destroy?.();
          return;
        }
        stream = opened;
        delay = options.minMs;
        log.debug('docker event stream connected');
        emit({ type: 'connected' });
        await readJsonLines(opened, (message) => {
          const event = toRuntimeEvent(message);
          if (event) emit(event);
        });
        failure = new Error('docker event stream ended');
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
      }
      stream = null;
      if (closed) return;
      log.warn({ err: failure, retryInMs: delay }, 'docker event stream lost; reconnecting');
      emit({ type: 'disconnected', error: failure });
      await pause(delay);
      delay = Math.min(options.maxMs, delay * 2);
    }
  };
  loop().catch((err: unknown) => log.error({ err }, 'docker event loop failed'));

  return {
    close() {
      closed = true;
      if (timer) options.clock.clearTimeout(timer);
      wake?.();
      stream?.destroy?.();
    },
  };
}
