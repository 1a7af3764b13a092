// Spreads a service's replicas over the hosts that may run it: fewest instances of this
// service first, then least loaded (fewest instances overall), ties broken by agent id so
// the same inputs always give the same placement. Pure; the only state is the load table
// the caller passes in and gets back.
import { type AliciaError, aliciaError } from '../errors.js';
import {
  excludedBy,
  lackingFeatures,
  type PlacementNode,
  type PlacementRule,
  upgradeMessage,
} from './feasibility.js';

export interface PlaceRequest extends PlacementRule {
  /** `stack/service`, used in errors only. */
  readonly service: string;
  /** How many new replicas to place. */
  readonly count: number;
  /** Agents that already run replicas of this service (one entry per replica). */
  readonly existing?: readonly string[];
}

export type PlaceResult =
  | { readonly ok: true; readonly agents: readonly string[] }
  | { readonly ok: false; readonly error: AliciaError };

/** How many excluded hosts an error message names before it summarizes the rest. */
const NAMED_IN_ERROR = 5;

/**
 * A placer over a fixed set of nodes. `place()` picks agents for one service and counts
 * them into the load, so successive calls spread a whole stack. Nodes are sorted once by
 * id; each pick is one pass over the feasible nodes (O(replicas × feasible)).
 */
export function createPlacer(
  nodes: readonly PlacementNode[],
  initialLoad: ReadonlyMap<string, number> = new Map(),
) {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const load = new Map<string, number>();
  for (const node of sorted) load.set(node.id, initialLoad.get(node.id) ?? 0);

  function place(request: PlaceRequest): PlaceResult {
    const feasible: PlacementNode[] = [];
    const excluded: string[] = [];
    for (const node of sorted) {
      const reason = excludedBy(node, request);
      if (reason === null) feasible.push(node);
      else excluded.push(`${node.id}: ${reason}`);
    }
    if (request.count <= 0) return { ok: true, agents: [] };
    if (feasible.length === 0) {
      // Hosts the rules allow but that lack a feature: the fix is an upgrade, so say which.
      const outdated = sorted.flatMap((node) => {
        const features = lackingFeatures(node, request);
        return features.length > 0 && excludedBy(node, { ...request, features: [] }) === null
          ? [{ node, features }]
          : [];
      });
      if (outdated.length > 0) {
        const features = [...new Set(outdated.flatMap((o) => o.features))].sort();
        return {
          ok: false,
          error: aliciaError('ALICIA_ERR_PLACEMENT', upgradeMessage(request.service, outdated), {
            details: {
              service: request.service,
              features,
              upgrade: outdated.map((o) => o.node.id),
              excluded: excluded.slice(0, 100),
            },
          }),
        };
      }
      const named = excluded.slice(0, NAMED_IN_ERROR).join('; ');
      const more = excluded.length > NAMED_IN_ERROR ? `; and ${excluded.length - NAMED_IN_ERROR} more` : '';
      const detail =
        sorted.length === 0
          ? `service "${request.service}" has no host to run on: no agent is online`
          : `service "${request.service}" fits no host: ${named}${more}`;
      return {
        ok: false,
        error: aliciaError('ALICIA_ERR_PLACEMENT', detail, {
          details: { service: request.service, excluded: excluded.slice(0, 100) },
        }),
      };
    }
    const ofService = new Map<string, number>();
    for (const agent of request.existing ?? []) ofService.set(agent, (ofService.get(agent) ?? 0) + 1);
    const picked: string[] = [];
    for (let i = 0; i < request.count; i += 1) {
      let best: PlacementNode | undefined;
      let bestOwn = 0;
      let bestLoad = 0;
      for (const node of feasible) {
        const own = ofService.get(node.id) ?? 0;
        const total = load.get(node.id) ?? 0;
        // `feasible` is in id order, so strict < keeps the smallest id on ties.
        if (best === undefined || own < bestOwn || (own === bestOwn && total < bestLoad)) {
          best = node;
          bestOwn = own;
          bestLoad = total;
        }
      }
      if (best === undefined) break; // unreachable: feasible is not empty
      picked.push(best.id);
      ofService.set(best.id, bestOwn + 1);
      load.set(best.id, bestLoad + 1);
    }
    return { ok: true, agents: picked };
  }

  /** Counts an instance removed from an agent out of the load. */
  function release(agent: string): void {
    const current = load.get(agent);
    if (current !== undefined && current > 0) load.set(agent, current - 1);
  }

  return {
    place,
    release,
    /** Current load per agent (instances), for inspection. */
    load: (): ReadonlyMap<string, number> => load,
  };
}

export type Placer = ReturnType<typeof createPlacer>;
