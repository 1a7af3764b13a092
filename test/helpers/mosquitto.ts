// The real `mosquitto_sub` as a child process, reading topics the way an operator would.
import { type ChildProcess, spawn } from 'node:child_process';
import mqtt from 'mqtt';

interface SubProcess {
  readonly child: ChildProcess;
  /** Complete output lines so far. */
  readonly lines: string[];
  stderr(): string;
  /** Calls `listener` after each chunk of new lines. */
  onLines(listener: () => void): () => void;
}

function spawnSub(args: readonly string[]): SubProcess {
  const child = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const listener of [...listeners]) listener();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // A last line without a newline still counts once the child is done.
  child.stdout.once('end', () => {
    if (buffer.length > 0) lines.push(buffer);
    buffer = '';
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    onLines(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * `mosquitto_sub -h 127.0.0.1 -p <port> -t <topic> -C <count> -W <waitS> [-v]`: resolves with
 * its non-empty output lines when it exits 0, rejects when it fails; killed after `timeoutMs`.
 * Several topics go into one SUBSCRIBE, in order (brokers send retained messages filter by
 * filter, so a retained sentinel last tells that nothing retained matched the filters before it).
 */
export function mosquittoSubOnce(
  port: number,
  topic: string | readonly string[],
  options: { verbose?: boolean; count?: number; waitS?: number; timeoutMs?: number } = {},
): Promise<string[]> {
  const args = ['-h', '127.0.0.1', '-p', String(port)];
  for (const t of typeof topic === 'string' ? [topic] : topic) args.push('-t', t);
  if (options.verbose) args.push('-v');
  args.push('-C', String(options.count ?? 1), '-W', String(options.waitS ?? 5));
  return new Promise((resolve, reject) => {
    const sub = spawnSub(args);
    const timer = setTimeout(() => sub.child.kill('SIGKILL'), options.timeoutMs ?? 10_000);
    sub.child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sub.child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(sub.lines.filter((line) => line.length > 0));
      else reject(new Error(`mosquitto_sub ${args.join(' ')} exited ${code}: ${sub.stderr()}`));
    });
  });
}

export interface Subscriber {
  /** Lines `topic payload` seen so far. */
  readonly lines: string[];
  /** Parsed JSON payloads of lines on `topic`. */
  payloads(topic: string): unknown[];
  /** Resolves once a line matching `match` was seen (deadline `timeoutMs`). */
  waitFor(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * Spawns the real `mosquitto_sub -v` on `topics` and resolves once it is subscribed: a
 * sentinel topic is subscribed as well and published to until the child prints it. With
 * `sentinel: false` (a broker where anonymous clients may only read alicia topics) it
 * resolves at once: fine for retained topics, which arrive whenever the subscription lands.
 */
export async function mosquittoSub(
  port: number,
  topics: readonly string[],
  options: { sentinel?: boolean } = {},
): Promise<Subscriber> {
  const useSentinel = options.sentinel ?? true;
  const sentinel = `e2e/sentinel/${process.pid}/${Date.now()}`;
  const args = ['-h', '127.0.0.1', '-p', String(port), '-v', '-q', '1'];
  if (useSentinel) args.push('-t', sentinel);
  for (const t of topics) args.push('-t', t);
  const sub = spawnSub(args);
  const { child, lines } = sub;
  const waitFor = (match: (line: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match);
        if (found === undefined) return false;
        clearTimeout(timer);
        off();
        resolve(found);
        return true;
      };
      const off = sub.onLines(check);
      const timer = setTimeout(() => {
        off();
        reject(
          new Error(`mosquitto_sub: no line with ${what} within ${timeoutMs} ms (stderr: ${sub.stderr()})`),
        );
      }, timeoutMs);
      check();
    });

  if (useSentinel) {
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      clientId: `sentinel-${Date.now()}`,
    });
    const ticker = setInterval(() => {
      pub.publish(sentinel, 'ready', { qos: 0 });
    }, 50);
    try {
      await waitFor((l) => l.startsWith(sentinel), 'the sentinel', 10_000);
    } finally {
      clearInterval(ticker);
      await pub.endAsync();
    }
  }
  return {
    lines,
    payloads(topic) {
      return lines
        .filter((l) => l.startsWith(`${topic} `))
        .map((l) => JSON.parse(l.slice(topic.length + 1)) as unknown);
    },
    waitFor,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
