// Compose text for end-to-end tests on the real Docker engine: httpd and sleeper services;
// and the per-test clean-up of a stack on that engine.
// (Free ports are in ../helpers/net.ts, the real mosquitto_sub in ../helpers/mosquitto.ts.)
import type Docker from 'dockerode';
import { afterEach, beforeEach } from 'vitest';
import { removeLabelled } from '../helpers/docker.js';
import { closeHarnesses } from '../integration/orchestrator-harness.js';

/**
 * Around every test of the file: the stack's containers (label alicia.stack) and `volumes`
 * removed before it, and after it once every harness it started is closed.
 */
export function cleanStackAround(docker: Docker, stack: string, volumes: readonly string[] = []): void {
  const clean = async (): Promise<void> => {
    await removeLabelled(docker, 'alicia.stack', stack);
    for (const name of volumes)
      await docker
        .getVolume(name)
        .remove({ force: true })
        .catch(() => undefined);
  };
  beforeEach(clean);
  afterEach(async () => {
    await closeHarnesses();
    await clean();
  });
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
  /** Docker's healthcheck interval (default 300ms). */
  interval?: string;
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
    `      interval: ${options.interval ?? '300ms'}`,
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

/**
 * A Compose `command` (JSON) running busybox httpd on 127.0.0.1:`port` whose CGI
 * `/cgi-bin/h` answers by the word in `modeFile`: `slow` → 200 after 1 s, `fail` → 503,
 * anything else (or no file) → 200 ok. `init` runs first at each start (e.g. a reset).
 */
export function modeHttpdCommand(port: number, modeFile: string, init = ''): string {
  const cgi = [
    '#!/bin/sh',
    `m=$(cat ${modeFile} 2>/dev/null)`,
    'if [ "$m" = slow ]; then sleep 1; fi',
    'if [ "$m" = fail ]; then printf \'HTTP/1.0 503 Service Unavailable\\r\\n\\r\\n\'; exit 0; fi',
    "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'",
  ].join('\n');
  const start = `${init}mkdir -p /www/cgi-bin && cat > /www/cgi-bin/h <<'EOF'\n${cgi}\nEOF\nchmod +x /www/cgi-bin/h && exec httpd -f -p 127.0.0.1:${port} -h /www`;
  // Compose interpolates `$`: doubled, the shell sees it as written.
  return `["sh", "-c", ${JSON.stringify(start.replaceAll('$', '$$$$'))}]`;
}
