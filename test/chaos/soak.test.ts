// Needs Docker (the private engine, and a second one beside it that this file starts when
// it is missing, so the two agents are two hosts) and the build (`npm run build`: the
// processes are dist/src/cli/main.js). The seeded chaos soak, short form (fixed seed, ≈ 75 s
// of faults): container kills and hangs, agent kill -9, partitions without FIN, broker
// restarts and orchestrator kill -9; then the stack converges to desired (an instance left
// not running counts only if the orchestrator said it gave up on it: service_failed), the
// stateful service never ran twice, every move seen on Docker has its service_rescheduled
// event and every container kill an event naming its service (hangs are counted, not
// required: Docker probes no paused container). The long form is bench/soak.ts.
// Labels: alicia.stack=soaktest (removed before and after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAt, formatSoak, removeStack, runSoak, secondEngine } from '../../bench/soak-engine.js';

const STACK = 'soaktest';
const engines: string[] = [];

beforeAll(async () => {
  // Two hosts: the tests' engine and a second private one (scripts/docker-engine.sh).
  engines.push(process.env.DOCKER_HOST ?? '', await secondEngine());
  for (const e of engines) await removeStack(dockerAt(e), STACK);
}, 180_000);
afterAll(async () => {
  for (const e of engines) await removeStack(dockerAt(e), STACK);
});

describe('chaos soak (short, seed 20261124)', () => {
  it('converges to desired with 0 stateful duplicates, every move and container kill in the event log', async () => {
    const result = await runSoak({
      seed: 20261124,
      faultsMs: 75_000,
      intervalMs: 5_000,
      stack: STACK,
      engines,
      // db pinned: the "named volume makes it sticky" rule is another lane's (see pinStateful).
      pinStateful: true,
      convergeTimeoutMs: 60_000,
      log: (line) => console.log(line),
    });
    console.log(formatSoak(result));
    // Every kind of fault at least once (the first round draws each once).
    expect(
      Object.values(result.faultCounts).every((n) => n >= 1),
      JSON.stringify(result.faultCounts),
    ).toBe(true);
    expect(result.converged, JSON.stringify(result.running)).toBe(true);
    expect(result.statefulDuplicateSamples, 'db never ran twice').toBe(0);
    expect(result.unaccountedMoves).toEqual([]);
    expect(result.containerFaultsAccounted).toBe(result.containerFaults);
  }, 240_000);
});
