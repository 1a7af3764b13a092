// Healing benchmark on the real engine: how long a hung service takes to be healthy again,
// against its healthcheck budget (interval × retries + start), healed by Alicia from
// Docker's own healthcheck and from the agent's HTTP probe; and how long a crash loop takes
// to be reported. Docker Compose never restarts an unhealthy container (it has no healer:
// `restart:` acts on exits only), so its figure is "never".
//
//   npm run build && node dist/bench/healing.js      (or: npm run bench:healing)
//   env: BENCH_ROUNDS (5), DOCKER_HOST (as for the tests)
//
// The service is busybox httpd (network_mode host, on 127.0.0.1) with a CGI that answers
// by /tmp/mode: `ok`, or `hang` (sleeps: the process is up, the service does not answer).
// Each start resets the mode to ok. A round: deploy, wait until healthy, make it hang, time
// until the orchestrator announces service_recovered; then take it down.
//   docker-healthcheck  healthcheck `wget` of the CGI, interval 1s, timeout 1s, retries 3
//   http-probe          x-alicia.probe.http of the CGI, interval 1s, timeout 1s, unhealthy_threshold 3
// Both: budget = 1 s × 3 + 1 s of start. The crash loop: `exit 1` under restart: always,
// timed from the deploy call until service_crashlooping.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { createDockerRuntime, startAgent } from '../agents/index.js';
import { startEmbeddedBroker } from '../broker/embedded.js';
import { loadBundle } from '../src/compose/index.js';
import { silentLogger } from '../src/logging/logger.js';
import { type Orchestrator, startOrchestrator } from '../src/orchestrator/index.js';
import type { AliciaEvent } from '../src/protocol/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const docker = new Docker();
const log = silentLogger();
/** interval × retries + start, seconds (the same for both cases). */
const BUDGET_S = 1 * 3 + 1;

const CGI = [
  '#!/bin/sh',
  'if [ "$(cat /tmp/mode)" = hang ]; then sleep 3600; fi',
  "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'",
].join('\n');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function httpdService(port: number, health: string): string {
  const start = `mkdir -p /www/cgi-bin && echo ok > /tmp/mode && cat > /www/cgi-bin/h <<'EOF'\n${CGI}\nEOF\nchmod +x /www/cgi-bin/h && exec httpd -f -p 127.0.0.1:${port} -h /www`;
  return `
services:
  web:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ["sh", "-c", ${JSON.stringify(start.replaceAll('$', '$$$$'))}]
    restart: unless-stopped
    # httpd as PID 1 ignores SIGTERM: a restart would wait out the 10 s grace for nothing.
    stop_signal: SIGKILL
${health}
`;
}

const CASES: { name: string; health: (port: number) => string }[] = [
  {
    name: 'docker-healthcheck',
    health: (port) => `    healthcheck:
      # (busybox-static's wget -T crashes; Docker's own timeout bounds the test)
      test: ["CMD-SHELL", "wget -q -O - http://127.0.0.1:${port}/cgi-bin/h > /dev/null"]
      interval: 1s
      timeout: 1s
      retries: 3
    x-alicia:
      backoff: { min: 100ms }`,
  },
  {
    name: 'http-probe',
    health: (port) => `    x-alicia:
      probe:
        http: { url: "http://127.0.0.1:${port}/cgi-bin/h", interval: 1s, timeout: 1s }
      unhealthy_threshold: 3
      backoff: { min: 100ms }`,
  },
];

const CRASH_YAML = `
services:
  crash:
    image: alicia-test/busybox:latest
    network_mode: host
    command: ["sh", "-c", "echo cannot start: missing config >&2; exit 1"]
    restart: always
`;

function nextEvent(
  orchestrator: Orchestrator,
  type: string,
  stack: string,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${type} for ${stack} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = orchestrator.events.onEvent((e: AliciaEvent) => {
      if (e.event_type !== type || (e.event_data as { stack?: string }).stack !== stack) return;
      clearTimeout(timer);
      off();
      resolve(Date.now());
    });
  });
}

async function removeByLabel(label: string): Promise<void> {
  const found = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(found.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

async function exec(container: string, cmd: string[]): Promise<void> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.resume();
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alicia-bench-healing-'));
  const broker = await startEmbeddedBroker({ port: 0 });
  const orchestrator = await startOrchestrator({
    brokerUrl: broker.url,
    stateDir: path.join(dir, 'orch'),
    log,
  });
  const agent = await startAgent({
    id: 'bench',
    brokerUrl: broker.url,
    stateDir: path.join(dir, 'agent'),
    runtime: createDockerRuntime({ log }),
    snapshotDebounceMs: 25,
    log,
  });
  const results: Record<string, number[]> = {};
  try {
    await orchestrator.waitForAgents(1, 15_000);
    for (const c of CASES) {
      results[c.name] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const project = `bench-heal-${c.name}-${round}`;
        await removeByLabel(`alicia.stack=${project}`);
        const port = await freePort();
        const file = path.join(dir, `${project}.yaml`);
        await writeFile(file, httpdService(port, c.health(port)));
        const { bundle } = await loadBundle({ files: [file], projectName: project });
        await orchestrator.deploy(bundle);
        await until(
          async () => (await orchestrator.ps(project))[0]?.health === 'healthy',
          `${project} healthy`,
        );
        const instance = (await orchestrator.ps(project))[0]?.instances[0]?.instance;
        const recovered = nextEvent(orchestrator, 'service_recovered', project, 60_000);
        const t0 = Date.now();
        await exec(`alicia-${instance}`, ['sh', '-c', 'echo hang > /tmp/mode']);
        const ms = (await recovered) - t0;
        results[c.name]?.push(ms);
        process.stdout.write(
          `  ${c.name} round ${round + 1}: healthy again after ${(ms / 1000).toFixed(2)} s\n`,
        );
        await orchestrator.down(project);
        await removeByLabel(`alicia.stack=${project}`);
      }
    }
    results['crash-loop'] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const project = `bench-crash-${round}`;
      await removeByLabel(`alicia.stack=${project}`);
      const file = path.join(dir, `${project}.yaml`);
      await writeFile(file, CRASH_YAML);
      const { bundle } = await loadBundle({ files: [file], projectName: project });
      const reported = nextEvent(orchestrator, 'service_crashlooping', project, 60_000);
      const t0 = Date.now();
      const deployed = orchestrator.deploy(bundle).catch(() => undefined);
      const ms = (await reported) - t0;
      await deployed;
      results['crash-loop']?.push(ms);
      process.stdout.write(`  crash-loop round ${round + 1}: reported after ${(ms / 1000).toFixed(2)} s\n`);
      await orchestrator.down(project).catch(() => undefined);
      await removeByLabel(`alicia.stack=${project}`);
    }
  } finally {
    await agent.close();
    await orchestrator.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nhealing, median of ${ROUNDS} rounds (budget = interval 1s × retries 3 + start 1s = ${BUDGET_S} s)\n`,
  );
  for (const c of CASES) {
    const m = median(results[c.name] ?? []) / 1000;
    process.stdout.write(
      `  ${c.name.padEnd(20)} hung -> healthy again ${m.toFixed(2)} s = ${(m / BUDGET_S).toFixed(2)} × budget` +
        `   (target ≤ budget + 2 s: ${m <= BUDGET_S + 2 ? 'met' : 'MISSED'}; docker-compose: never)\n`,
    );
  }
  const crash = median(results['crash-loop'] ?? []) / 1000;
  process.stdout.write(
    `  ${'crash-loop'.padEnd(20)} reported ${crash.toFixed(2)} s after the deploy began` +
      `   (docker-compose: never; \`up\` says started, \`ps\` says Restarting)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
