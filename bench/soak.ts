// The seeded chaos soak, long form (the short form runs in the tests: test/chaos/soak.test.ts).
//
//   npm run build && node dist/bench/soak.js --minutes 30 --seed 7 [--interval-s 8] [--logs DIR]
//   env: DOCKER_HOST (as for the tests); a second private engine beside it is started when
//   missing (scripts/docker-engine.sh), so the two agents are two hosts
//
// Faults drawn from the seed (see bench/soak-engine.ts): container kills and hangs, agent
// kill -9 + restart, agent partitions without FIN, broker restarts, orchestrator kill -9 +
// restart. Prints each fault as it goes and a summary table; exits 1 when the stack did not
// converge, a stateful service ever ran twice, or a move has no service_rescheduled event.
import { formatSoak, runSoak, secondEngine } from './soak-engine.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} wants a number`);
  return value;
}

const logsAt = process.argv.indexOf('--logs');
// Two engines, two hosts: DOCKER_HOST's and a second private one beside it (made if missing).
const engines = [process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', await secondEngine()];
const result = await runSoak({
  seed: flag('seed', 1),
  faultsMs: flag('minutes', 30) * 60_000,
  intervalMs: flag('interval-s', 8) * 1000,
  stack: 'soakbench',
  engines,
  ...(logsAt >= 0 && process.argv[logsAt + 1] ? { logDir: process.argv[logsAt + 1] } : {}),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`\n${formatSoak(result)}\n`);
const ok = result.converged && result.statefulDuplicateSamples === 0 && result.unaccountedMoves.length === 0;
process.exitCode = ok ? 0 : 1;
