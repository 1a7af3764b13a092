// The seeded chaos soak on the lab, long form (the short form runs in the tests:
// test/chaos/soak.test.ts, lab 6).
//
//   npm run build && ALICIA_LAB_ID=3 node dist/bench/soak.js --minutes 30 --seed 7 \
//     [--interval-s 8] [--no-reboots] [--kinds a,b] [--logs DIR]
//   needs root (the lab: docs/lab.md); ALICIA_LAB_ID picks the lab (default 3), which the
//   soak makes (3 hosts) and removes
//
// Faults drawn from the seed (see bench/soak-engine.ts): container kills and hangs, agent
// kill -9 + restart, host partitions (link down, no FIN), broker restarts, orchestrator
// kill -9 + restart, host reboots. Prints each fault as it goes and a summary table; exits 1
// when the stack did not converge, the stateful service ever ran twice or on a second host,
// a move has no service_rescheduled event or a container kill no event naming its instance.
import { FAULT_KINDS, type FaultKind, formatSoak, runSoak } from './soak-engine.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} wants a number`);
  return value;
}

const logsAt = process.argv.indexOf('--logs');
const kindsAt = process.argv.indexOf('--kinds');
const kinds =
  kindsAt >= 0
    ? (process.argv[kindsAt + 1] ?? '').split(',').map((k) => {
        if (!(FAULT_KINDS as readonly string[]).includes(k))
          throw new Error(`--kinds: ${k} is not one of ${FAULT_KINDS.join(', ')}`);
        return k as FaultKind;
      })
    : undefined;
const result = await runSoak({
  seed: flag('seed', 1),
  labId: Number(process.env.ALICIA_LAB_ID ?? 3),
  faultsMs: flag('minutes', 30) * 60_000,
  intervalMs: flag('interval-s', 8) * 1000,
  reboots: !process.argv.includes('--no-reboots'),
  ...(kinds !== undefined ? { kinds } : {}),
  stack: 'soakbench',
  convergeTimeoutMs: 180_000,
  ...(logsAt >= 0 && process.argv[logsAt + 1] ? { logDir: process.argv[logsAt + 1] } : {}),
  log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
});
process.stdout.write(`\n${formatSoak(result)}\n`);
const ok =
  result.converged &&
  result.statefulDuplicateSamples === 0 &&
  result.statefulHosts.length <= 1 &&
  result.unaccountedMoves.length === 0 &&
  result.containerFaultsAccounted === result.containerFaults;
process.exitCode = ok ? 0 : 1;
