// Needs root, Docker (Debian's docker.io) and the build (`npm run build`: the processes are
// dist/src/cli/main.js). The seeded chaos soak, short form, on lab 6 (three hosts, each its
// own namespace, address and engine; the soak makes the lab and removes it): container kills
// and hangs, agent kill -9, partitions of a host (link down, no FIN), broker restarts,
// orchestrator kill -9 and a host reboot, from a fixed seed; then Docker runs exactly the
// desired containers (nothing left stopped, whatever events said), the stateful service never
// ran twice nor on a second host (its named volume keeps it with its data: nothing pins it),
// every move seen on Docker has its service_rescheduled event and every container kill an
// event naming its instance (hangs are counted, not required: Docker probes no paused
// container). Checks are on facts, not timing: the converge deadline is generous. The long
// form is bench/soak.ts. Labels: alicia.stack=soaktest (the lab, and with it every container,
// goes before and after).
import { afterAll, describe, expect, it } from 'vitest';
import { lab } from '../../bench/lab-hosts.js';
import { formatSoak, runSoak } from '../../bench/soak-engine.js';

const LAB = 6;

afterAll(async () => {
  await lab(['down'], LAB);
}, 120_000);

describe('chaos soak on the lab (short, seed 20261124)', () => {
  it('converges to desired with 0 stateful duplicates, every move and container kill in the event log', async () => {
    const result = await runSoak({
      seed: 20261124,
      labId: LAB,
      faultsMs: 75_000,
      intervalMs: 3_000,
      reboots: true,
      stack: 'soaktest',
      convergeTimeoutMs: 120_000,
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
    expect(result.statefulHosts.length, `db stays with its data: ${result.statefulHosts.join(', ')}`).toBe(1);
    expect(result.unaccountedMoves).toEqual([]);
    expect(result.unaccountedKills).toEqual([]);
  }, 330_000);
});
