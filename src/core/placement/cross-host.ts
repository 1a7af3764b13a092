// Names across hosts. On one host a stack's services find each other through the stack's
// network (Docker's DNS, as under Compose). Across hosts there is no shared network: a
// service on another host is reached at that host's advertised address, through the ports it
// publishes. So an instance gets one `/etc/hosts` entry (`extra_hosts`) per service of its
// stack that has no instance on its own host and publishes a port, pointing at the host that
// runs it; and a dependency on another host that publishes nothing is a placement to warn
// about before anything runs. Pure: the placement and the hosts' addresses come in.

/** What the cross-host rules need of a service. */
export interface LinkService {
  readonly name: string;
  /** It publishes a host port (or shares the host's network): other hosts can reach it. */
  readonly reachable: boolean;
  /** depends_on targets. */
  readonly dependsOn: readonly string[];
}

/** An instance of a service on a host. */
export interface Placed {
  readonly service: string;
  readonly agent: string;
}

export interface HostLink {
  readonly service: string;
  readonly agent: string;
  readonly address: string;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The other-host services an instance of `service` on `agent` reaches by name: for every
 * reachable service with no instance on `agent`, the host of its first instance (hosts in
 * id order, so the same placement always gives the same entries). Hosts with no known
 * address are left out (an agent older than the advertised address).
 */
export function hostLinks(input: {
  readonly service: string;
  readonly agent: string;
  readonly services: readonly LinkService[];
  readonly placed: readonly Placed[];
  readonly addressOf: (agent: string) => string | undefined;
}): HostLink[] {
  const out: HostLink[] = [];
  for (const other of [...input.services].sort((a, b) => byId(a.name, b.name))) {
    if (other.name === input.service || !other.reachable) continue;
    const hosts = [...new Set(input.placed.filter((p) => p.service === other.name).map((p) => p.agent))];
    // Same host: the stack network resolves it (an /etc/hosts entry would override that).
    if (hosts.length === 0 || hosts.includes(input.agent)) continue;
    for (const agent of hosts.sort(byId)) {
      const address = input.addressOf(agent);
      if (address === undefined) continue;
      out.push({ service: other.name, agent, address });
      break;
    }
  }
  return out;
}

/** Docker's `extra_hosts` form of links: `name:address`. */
export function extraHostEntries(links: readonly HostLink[]): string[] {
  return links.map((l) => `${l.service}:${l.address}`);
}

export interface LinkWarning {
  readonly dependent: string;
  readonly dependent_agent: string;
  readonly dependency: string;
  readonly dependency_agent: string;
  readonly message: string;
}

/**
 * Dependents that cannot reach a dependency: the dependency runs only on other hosts and
 * publishes nothing there. One warning per dependent host and dependency.
 */
export function crossHostWarnings(
  services: readonly LinkService[],
  placed: readonly Placed[],
): LinkWarning[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const hostsOf = (service: string): string[] =>
    [...new Set(placed.filter((p) => p.service === service).map((p) => p.agent))].sort(byId);
  const out: LinkWarning[] = [];
  for (const dependent of [...services].sort((a, b) => byId(a.name, b.name))) {
    for (const dependencyName of [...dependent.dependsOn].sort(byId)) {
      const dependency = byName.get(dependencyName);
      if (dependency === undefined || dependency.reachable) continue;
      const there = hostsOf(dependencyName);
      if (there.length === 0) continue;
      for (const agent of hostsOf(dependent.name)) {
        if (there.includes(agent)) continue;
        const dependencyAgent = there[0] as string;
        out.push({
          dependent: dependent.name,
          dependent_agent: agent,
          dependency: dependencyName,
          dependency_agent: dependencyAgent,
          message:
            `service "${dependent.name}" on ${agent} depends on "${dependencyName}" on ${dependencyAgent}, ` +
            `which publishes no port: "${dependent.name}" cannot reach it across hosts ` +
            `(publish its port, or keep both on one host with x-alicia.hosts)`,
        });
      }
    }
  }
  return out;
}

/** Names in `before` ("name:address,…", as sent) whose address in `now` differs or is gone. */
export function movedNames(before: string, now: string): string[] {
  const parse = (entries: string) =>
    new Map(
      entries
        .split(',')
        .filter((e) => e !== '')
        .map((e) => [e.slice(0, e.lastIndexOf(':')), e.slice(e.lastIndexOf(':') + 1)] as const),
    );
  const after = parse(now);
  return [...parse(before)].filter(([name, address]) => after.get(name) !== address).map(([name]) => name);
}

/**
 * What a running instance started with entries `before` needs, now that it would get `now`:
 * - `keep`: no name it has points elsewhere (a service placed after it started — a later
 *   layer — only adds a name, and recreating every running dependency after each deploy for
 *   it would be churn, not healing);
 * - `accept`: names it has moved, but it is stateful (`sticky`: data on its host) and none is
 *   one of its own dependencies — it keeps running, and `now` counts as what it has;
 * - `recreate`: it must be recreated to get `now`.
 */
export function linksVerdict(input: {
  readonly before: string;
  readonly now: string;
  readonly sticky: boolean;
  readonly dependsOn: readonly string[];
}): 'keep' | 'accept' | 'recreate' {
  const moved = movedNames(input.before, input.now);
  if (moved.length === 0) return 'keep';
  if (input.sticky && !moved.some((name) => input.dependsOn.includes(name))) return 'accept';
  return 'recreate';
}
