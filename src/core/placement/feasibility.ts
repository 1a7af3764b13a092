// Which hosts may run a service: Swarm-style constraints, `x-alicia.hosts`, and the protocol
// features its container spec needs (an agent that lacks one is never sent the field). Pure.

/** A Swarm placement constraint (the shape of compose/model's Constraint). */
export interface PlacementConstraint {
  /** node.hostname | node.role | node.id | node.platform.arch | node.platform.os | node.labels.<key> */
  readonly field: string;
  readonly op: '==' | '!=';
  readonly value: string;
}

/** What placement knows of a host (from the agent's retained info). */
export interface PlacementNode {
  readonly id: string;
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly arch: string;
  readonly os: string;
  readonly role: string;
  /** Protocol the agent speaks (its info); absent: an agent from before negotiation, protocol 1. */
  readonly protocol?: number | undefined;
  /** ContainerSpec features the agent speaks; absent: the base set only. */
  readonly features?: readonly string[] | undefined;
}

/** The part of a service that decides where it may run. */
export interface PlacementRule {
  readonly constraints: readonly PlacementConstraint[];
  /** `x-alicia.hosts`: agent ids or host names; absent means any host. */
  readonly hosts?: readonly string[] | undefined;
  /** ContainerSpec features the service's spec needs (requiredFeatures); absent: none. */
  readonly features?: readonly string[] | undefined;
  /**
   * What ties its instances to the host they run on (`volume "pgdata"`: sticky.ts); set, they
   * are never moved off a lost host, they wait for it. Absent: stateless, or movable.
   */
  readonly holds?: string | undefined;
}

const NONE: readonly string[] = Object.freeze([]);

/** The features of `rule` that `node` does not speak, in the rule's order. */
export function lackingFeatures(node: PlacementNode, rule: PlacementRule): readonly string[] {
  // Most services need no feature: no allocation on placement's hot path then.
  if (rule.features === undefined || rule.features.length === 0) return NONE;
  const spoken = node.features ?? NONE;
  return rule.features.filter((feature) => !spoken.includes(feature));
}

const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');

/**
 * The error text when the only hosts the rules allow lack features: names the service, the
 * features and every agent to upgrade, e.g. `service "demo/api" needs feature "healthcheck";
 * agent pi-2 speaks protocol 1 without it — upgrade it`.
 */
export function upgradeMessage(
  service: string,
  lacking: readonly { readonly node: PlacementNode; readonly features: readonly string[] }[],
): string {
  const all = [...new Set(lacking.flatMap((l) => l.features))].sort();
  const single = all.length === 1;
  const agents = lacking.map(
    (l) =>
      `agent ${l.node.id} speaks protocol ${l.node.protocol ?? 1} without ${single ? 'it' : quoted(l.features)}`,
  );
  return `service "${service}" needs feature${single ? '' : 's'} ${quoted(all)}; ${agents.join('; ')} — upgrade ${lacking.length > 1 ? 'them' : 'it'}`;
}

/** The node's value for a constraint field, or undefined when the node has none (a missing label). */
export function nodeValue(node: PlacementNode, field: string): string | undefined {
  switch (field) {
    case 'node.hostname':
      return node.hostname;
    case 'node.id':
      return node.id;
    case 'node.role':
      return node.role;
    case 'node.platform.arch':
      return node.arch;
    case 'node.platform.os':
      return node.os;
    default:
      if (field.startsWith('node.labels.')) {
        const key = field.slice('node.labels.'.length);
        return Object.hasOwn(node.labels, key) ? node.labels[key] : undefined;
      }
      return undefined;
  }
}

/**
 * Why `node` may not run the service, or null when it may. Swarm semantics: `==` needs the
 * value to be present and equal; `!=` is met by a missing label too.
 */
export function excludedBy(node: PlacementNode, rule: PlacementRule): string | null {
  if (rule.hosts !== undefined && rule.hosts.length > 0) {
    if (!rule.hosts.includes(node.id) && !rule.hosts.includes(node.hostname)) {
      return `x-alicia.hosts [${rule.hosts.join(', ')}] (agent ${node.id}, hostname ${node.hostname})`;
    }
  }
  for (const constraint of rule.constraints) {
    const value = nodeValue(node, constraint.field);
    const met = constraint.op === '==' ? value === constraint.value : value !== constraint.value;
    if (!met) {
      const has = value === undefined ? 'not set' : JSON.stringify(value);
      return `${constraint.field} ${constraint.op} ${constraint.value} (is ${has})`;
    }
  }
  // Last: an agent the rules exclude anyway is not worth an upgrade.
  const lacking = lackingFeatures(node, rule);
  if (lacking.length > 0) {
    return `lacks feature${lacking.length > 1 ? 's' : ''} ${quoted(lacking)} (speaks protocol ${node.protocol ?? 1}; upgrade it)`;
  }
  return null;
}
