// `alicia plan` / `up --dry-run`: what a deploy of a bundle would do, computed with the same
// placement a deploy uses (planInstances over the online hosts and the current load), and
// nothing run, nothing written. Also what `up` checks before it deploys: the cross-host
// warnings (a dependent that cannot reach a dependency on another host).
import type { Stack } from '../compose/model.js';
import { type Assignment, planInstances, type ServiceTarget } from '../core/deploy/index.js';
import {
  createPlacer,
  crossHostWarnings,
  extraHostEntries,
  holdsOnHost,
  hostLinks,
} from '../core/placement/index.js';
import type { ContainerSpec, PlanReport } from '../protocol/index.js';
import type { Context } from './context.js';
import { linkServices } from './host-links.js';
import { serviceSpecs, serviceTarget } from './service-spec.js';

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function portsOf(spec: ContainerSpec): string[] {
  return spec.ports
    .filter((p) => p.host_port !== undefined)
    .map((p) => `${p.host_ip ? `${p.host_ip}:` : ''}${p.host_port}:${p.container_port}/${p.protocol}`);
}

export function planStack(ctx: Context, stack: Stack): PlanReport {
  const previous = ctx.state.stacks[stack.name];
  const specs: Record<string, ContainerSpec> = { ...(previous?.specs ?? {}) };
  const targets: Record<string, ServiceTarget> = {};
  for (const [name, compiled] of serviceSpecs(stack)) {
    const { service } = compiled;
    specs[compiled.hash] = compiled.spec;
    // A stopped service stays stopped and a scale override stays, as a deploy keeps them.
    const stopped = previous?.stopped.includes(name) === true;
    const sameReplicas = previous?.stack.services[name]?.replicas === service.replicas;
    const replicas = stopped ? 0 : ((sameReplicas ? previous?.scale[name] : undefined) ?? service.replicas);
    targets[name] = serviceTarget(compiled, replicas);
  }
  const load = new Map<string, number>();
  for (const record of Object.values(ctx.state.stacks))
    for (const a of record.assignments) load.set(a.agent, (load.get(a.agent) ?? 0) + 1);
  const nodes = ctx.registry.nodes();
  const planned = planInstances({
    stack: stack.name,
    targets,
    current: previous?.assignments ?? [],
    nodes,
    placer: createPlacer(nodes, load),
    now: ctx.now(),
  });
  if (!planned.ok) throw planned.error;
  const plan = planned.plan;
  const desired = plan.desired;
  const record = { stack, specs, assignments: desired };
  const services = linkServices(record);
  const addressOf = (agent: string) => ctx.registry.get(agent)?.info?.address;

  const action = new Map<string, 'keep' | 'create' | 'replace'>();
  for (const a of plan.keep) action.set(a.instance, 'keep');
  for (const a of plan.add) action.set(a.instance, 'create');
  for (const r of plan.replace) action.set(r.next.instance, 'replace');

  const container = (a: Assignment, act: PlanReport['containers'][number]['action']) => {
    const spec = specs[a.spec_hash];
    const service = stack.services[a.service] ?? previous?.stack.services[a.service];
    const links =
      act === 'remove'
        ? []
        : extraHostEntries(
            hostLinks({ service: a.service, agent: a.agent, services, placed: desired, addressOf }),
          );
    const holds = spec !== undefined ? holdsOnHost(spec, service?.x_alicia.movable) : undefined;
    return {
      instance: a.instance,
      service: a.service,
      agent: a.agent,
      action: act,
      image: spec?.image ?? '',
      ports: spec !== undefined ? portsOf(spec) : [],
      links,
      ...(holds !== undefined ? { holds } : {}),
    };
  };
  const containers = [
    ...desired.map((a) => container(a, action.get(a.instance) ?? 'keep')),
    ...plan.remove.map((a) => container(a, 'remove')),
    ...plan.replace.map((r) => container(r.old, 'remove')),
  ].sort((a, b) => byId(a.agent, b.agent) || byId(a.service, b.service) || byId(a.instance, b.instance));

  const agents = [...new Set(desired.map((a) => a.agent))].sort(byId);
  const hosts = agents.map((agent) => {
    const mine = desired.filter((a) => a.agent === agent);
    const networks = new Set<string>();
    for (const a of mine) {
      const spec = specs[a.spec_hash];
      if (spec === undefined) continue;
      // Neither networks nor a network mode: the agent puts it on `<stack>_default`, as Compose.
      if (spec.networks === undefined && spec.network_mode === undefined)
        networks.add(`${stack.name}_default`);
      for (const n of spec.networks ?? []) networks.add(n.network.name);
    }
    const address = addressOf(agent);
    return {
      agent,
      ...(address !== undefined ? { address } : {}),
      networks: [...networks].sort(byId),
      instances: mine.map((a) => a.instance).sort(byId),
    };
  });
  return {
    stack: stack.name,
    hosts,
    containers,
    warnings: [
      ...stack.warnings.map((w) => ({ message: w.message, file: w.file, path: w.path })),
      ...crossHostWarnings(services, desired),
    ],
  };
}
