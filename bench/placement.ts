// Placement throughput: 1,000 agents × 10 instances each (10,000 placements, in services
// of 10 replicas, a tenth of them constrained to half the fleet), several rounds; prints
// placements per second against the target (≥ 2,000/s; Nomad's C2M ≈ 1,500/s).
//
//   npm run build && node dist/bench/placement.js      env: BENCH_ROUNDS (5), BENCH_AGENTS (1000)
import { createPlacer, type PlacementNode } from '../src/core/placement/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 1000);
const PER_AGENT = 10;
const REPLICAS = 10;

const nodes: PlacementNode[] = Array.from({ length: AGENTS }, (_, i) => ({
  id: `agent-${String(i).padStart(5, '0')}`,
  hostname: `host-${i}`,
  labels: { zone: i % 2 === 0 ? 'even' : 'odd', rack: `r${i % 20}` },
  arch: i % 4 === 0 ? 'aarch64' : 'x86_64',
  os: 'linux',
  role: 'worker',
}));

function round(): { ms: number; placed: number } {
  const t0 = process.hrtime.bigint();
  const placer = createPlacer(nodes);
  let placed = 0;
  const services = (AGENTS * PER_AGENT) / REPLICAS;
  for (let s = 0; s < services; s += 1) {
    const result = placer.place({
      service: `fleet/svc-${s}`,
      count: REPLICAS,
      constraints: s % 10 === 0 ? [{ field: 'node.labels.zone', op: '==', value: 'even' }] : [],
    });
    if (!result.ok) throw result.error;
    placed += result.agents.length;
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, placed };
}

const rates: number[] = [];
for (let r = 1; r <= ROUNDS; r += 1) {
  const { ms, placed } = round();
  rates.push((placed / ms) * 1000);
  process.stdout.write(`  round ${r}: ${placed} placements in ${ms.toFixed(1)} ms\n`);
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)] ?? 0;
process.stdout.write(
  `placement: ${AGENTS} agents × ${PER_AGENT} instances: median ${Math.round(median).toLocaleString('en')} placements/s (target ≥ 2,000/s)\n`,
);
