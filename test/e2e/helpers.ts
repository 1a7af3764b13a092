// Helpers for end-to-end tests on the real Docker engine: free loopback ports, a real
// `mosquitto_sub` reading topics as a child process, Compose text for httpd services.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import mqtt from 'mqtt';

/** A port the kernel says is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
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
  const child: ChildProcess = spawn('mosquitto_sub', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) lines.push(line);
    for (const w of [...waiters]) w();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const waitFor = (match: (line: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = lines.find(match);
        if (found === undefined) return false;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`mosquitto_sub: no line with ${what} within ${timeoutMs} ms (stderr: ${stderr})`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
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
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A busybox service serving HTTP on 127.0.0.1:`port` after `delayS`, healthy once it answers. */
export function httpdService(options: {
  port: number;
  delayS?: number;
  dependsOn?: Record<string, string>;
  constraint?: string;
  healthy?: boolean;
  replicas?: number;
  /** Docker's healthcheck start_period: failures before it ends do not count (default 10s). */
  startPeriod?: string;
}): string {
  const delay = options.delayS ?? 1;
  // `healthy: false`: the probe asks a port nobody listens on, so it never passes.
  const probePort = options.healthy === false ? options.port + 1 : options.port;
  const lines = [
    '    image: alicia-test/busybox:latest',
    '    network_mode: host',
    `    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www && echo ok > /www/index.html && sleep ${delay} && httpd -f -p 127.0.0.1:${options.port} -h /www & wait"]`,
    '    healthcheck:',
    `      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${probePort}/"]`,
    '      interval: 300ms',
    '      timeout: 1s',
    '      retries: 2',
    `      start_period: ${options.startPeriod ?? '10s'}`,
  ];
  if (options.replicas !== undefined) lines.push(`    deploy: { replicas: ${options.replicas} }`);
  if (options.constraint) {
    lines.push(`    deploy: { placement: { constraints: ["${options.constraint}"] } }`);
  }
  if (options.dependsOn && Object.keys(options.dependsOn).length > 0) {
    lines.push('    depends_on:');
    for (const [dep, condition] of Object.entries(options.dependsOn)) {
      lines.push(`      ${dep}: { condition: ${condition} }`);
    }
  }
  return lines.join('\n');
}

/** A service that only sleeps (no port, no healthcheck); it exits at once on SIGTERM. */
export function sleeperService(extra: string[] = []): string {
  return [
    '    image: alicia-test/busybox:latest',
    '    network_mode: host',
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
    ...extra,
  ].join('\n');
}
