// Retained messages on disk, so `alicia/agents/+/state|containers` and service states
// survive a broker restart. No disk-backed aedes persistence is installed (aedes-persistence
// is in memory only), so this wraps its storeRetained: every retained publish also lands in
// a map written to `<dir>/retained.json` (debounced, atomic), and the file is fed back into
// the persistence before the listeners open. Sessions and QoS 1 queues stay in memory.
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../src/logging/logger.js';
import { writeFileAtomic } from '../src/store/atomic-file.js';

export interface RetainedMessage {
  topic: string;
  qos: 0 | 1 | 2;
  payload: Buffer;
}

export interface RetainedStore {
  readonly file: string;
  /** Messages found on disk at open. */
  readonly loaded: readonly RetainedMessage[];
  /** Records a retained publish (an empty payload deletes, as in MQTT). */
  record(message: RetainedMessage): void;
  /** Writes pending changes now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface FileShape {
  v: 1;
  messages: { topic: string; qos: number; payload: string }[];
}

/** Debounce between a change and the write (ms): bursts of retained updates cost one write. */
const WRITE_DELAY_MS = 100;

export async function openRetainedStore(dir: string, log: Logger): Promise<RetainedStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'retained.json');
  const messages = new Map<string, RetainedMessage>();
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as FileShape;
    for (const m of parsed.messages ?? []) {
      if (typeof m.topic !== 'string' || typeof m.payload !== 'string') continue;
      const qos = m.qos === 1 || m.qos === 2 ? m.qos : 0;
      messages.set(m.topic, { topic: m.topic, qos, payload: Buffer.from(m.payload, 'base64') });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      // A corrupt file must not keep the broker down; it is kept aside for inspection.
      const aside = `${file}.corrupt-${Date.now()}`;
      await rename(file, aside).catch(() => undefined);
      log.error({ err, file, aside }, 'retained store unreadable, starting empty');
    }
  }
  const loaded = [...messages.values()];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();
  let dirty = false;

  const write = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!dirty) return writing;
    dirty = false;
    const body: FileShape = {
      v: 1,
      messages: [...messages.values()].map((m) => ({
        topic: m.topic,
        qos: m.qos,
        payload: m.payload.toString('base64'),
      })),
    };
    writing = writing
      .then(() => writeFileAtomic(file, JSON.stringify(body), 0o600))
      .catch((err: unknown) => log.error({ err, file }, 'retained store write failed'));
    return writing;
  };

  return {
    file,
    loaded,
    record(message) {
      if (message.payload.byteLength === 0) messages.delete(message.topic);
      else messages.set(message.topic, { ...message, payload: Buffer.from(message.payload) });
      dirty = true;
      timer ??= setTimeout(() => void write(), WRITE_DELAY_MS);
    },
    flush: write,
    async close() {
      await write();
    },
  };
}
