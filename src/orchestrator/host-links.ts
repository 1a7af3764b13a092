// Cross-host names, carried out (docs/hosts.md). Each start sends an instance its
// `extra_hosts` entries for the services of its stack that run on other hosts (at their
// hosts' advertised addresses); the spec hash stays that of the Compose service, so a move
// does not rename anything. When a service moves, the entries of its dependents elsewhere go
// stale: the keeper recreates those dependents (remove + start with new entries), which is
// what Docker offers for /etc/hosts — it is written once, when a container is created.
import type { Assignment } from '../core/deploy/index.js';
import {
  extraHostEntries,
  hostLinks,
  isSticky,
  type LinkService,
  linksVerdict,
} from '../core/placement/index.js';
import type { ContainerSpec } from '../protocol/index.js';
import { type Context, instanceKey } from './context.js';
import { removeInstances, startInstances } from './instance-ops.js';
import type { StackRecord } from './store.js';

/** What was sent to each instance: agent/instance -> its entries joined ("" for none). */
const sentLinks = new WeakMap<Context, Map<string, string>>();

function sentOf(ctx: Context): Map<string, string> {
  let map = sentLinks.get(ctx);
  if (map === undefined) {
    map = new Map();
    sentLinks.set(ctx, map);
  }
  return map;
}

/** The stack's services as the cross-host rules see them (from the specs its instances use). */
export function linkServices(record: Pick<StackRecord, 'stack' | 'specs' | 'assignments'>): LinkService[] {
  return Object.entries(record.stack.services).map(([name, service]) => {
    const hash = record.assignments.find((a) => a.service === name)?.spec_hash;
    const spec = hash !== undefined ? record.specs[hash] : undefined;
    const ports = spec?.ports ?? [];
    return {
      name,
      reachable:
        ports.some((p) => p.host_port !== undefined) ||
        (spec?.network_mode ?? service.network_mode) === 'host',
      dependsOn: Object.keys(service.depends_on),
    };
  });
}

const addressOf =
  (ctx: Context) =>
  (agent: string): string | undefined =>
    ctx.registry.get(agent)?.info?.address;

/** The extra_hosts entries an instance gets on its host now. */
export function linkEntries(ctx: Context, record: StackRecord, a: Assignment): string[] {
  return extraHostEntries(
    hostLinks({
      service: a.service,
      agent: a.agent,
      services: linkServices(record),
      placed: record.assignments,
      addressOf: addressOf(ctx),
    }),
  );
}

/**
 * The spec sent to an agent: the Compose service's, plus the cross-host entries (after the
 * file's own, which win: the first entry for a name is the one resolvers use). An agent that
 * does not speak `extra_hosts` gets the spec unchanged.
 */
export function withHostLinks(
  ctx: Context,
  record: StackRecord,
  a: Assignment,
  spec: ContainerSpec,
): ContainerSpec {
  const entries = linkEntries(ctx, record, a);
  sentOf(ctx).set(instanceKey(a.agent, a.instance), entries.join(','));
  if (entries.length === 0) return spec;
  const features = ctx.registry.get(a.agent)?.info?.features;
  if (features !== undefined && !features.includes('extra_hosts')) return spec;
  return { ...spec, extra_hosts: [...(spec.extra_hosts ?? []), ...entries] };
}

/**
 * Recreates running instances whose entries are stale (core/placement linksVerdict);
 * instances whose entries were never sent by this orchestrator process are adopted as they
 * are (after a restart of the orchestrator it cannot know them).
 */
export function createLinkKeeper(ctx: Context) {
  let running = false;

  async function refresh(): Promise<void> {
    const sent = sentOf(ctx);
    // Every container the agents report, whatever its state: one that fails its healthcheck
    // because it cannot reach a moved dependency is exactly one to recreate.
    const exists = new Set(ctx.registry.reports().map((r) => instanceKey(r.agent, r.instance)));
    for (const record of Object.values(ctx.state.stacks)) {
      if (ctx.isLocked(record.name)) continue;
      const services = linkServices(record);
      const stale: Assignment[] = [];
      for (const a of record.assignments) {
        const key = instanceKey(a.agent, a.instance);
        // A start not yet reported, or a removal in flight, is left to finish first.
        if (!exists.has(key) || (ctx.removing.get(key) ?? 0) > ctx.now()) continue;
        if (ctx.registry.status(a.agent) !== 'online') continue;
        const before = sent.get(key);
        const now = linkEntries(ctx, record, a).join(',');
        if (before === undefined) {
          sent.set(key, now);
          continue;
        }
        if (before === now) continue;
        const spec = record.specs[a.spec_hash];
        const service = record.stack.services[a.service];
        const verdict = linksVerdict({
          before,
          now,
          sticky: spec !== undefined && service !== undefined && isSticky(spec, service.x_alicia.movable),
          dependsOn: services.find((s) => s.name === a.service)?.dependsOn ?? [],
        });
        if (verdict === 'accept') sent.set(key, now);
        if (verdict !== 'recreate') continue;
        stale.push(a);
      }
      if (stale.length === 0) continue;
      ctx.log.info(
        { stack: record.name, instances: stale.map((a) => `${a.agent}/${a.instance}`) },
        'a service they reach moved to another host: recreating them with its new address',
      );
      await ctx.withLock(record.name, async () => {
        await removeInstances(ctx, stale);
        // The record as it is now (the lock may have waited for an operation).
        const current = ctx.state.stacks[record.name];
        if (current === undefined) return;
        const still = stale.filter((a) =>
          current.assignments.some((x) => x.instance === a.instance && x.agent === a.agent),
        );
        if (still.length === 0) return;
        await startInstances(ctx, current, still);
        // The new container supersedes the removal: a later move must not wait out its
        // quiet period (removeInstances leaves removed instances alone for a while).
        for (const a of still) ctx.removing.delete(instanceKey(a.agent, a.instance));
      });
    }
  }

  return {
    /** One pass; a pass still running makes this a no-op. */
    refresh(): Promise<void> {
      if (running) return Promise.resolve();
      running = true;
      return refresh()
        .catch((err: unknown) => ctx.log.error({ err }, 'cross-host links refresh failed'))
        .finally(() => {
          running = false;
        });
    },
  };
}
