// Which hosts may run a service: Swarm-style constraints plus `x-alicia.hosts`. Pure.

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
}

/** The part of a service that decides where it may run. */
export interface PlacementRule {
  readonly constraints: readonly PlacementConstraint[];
  /** `x-alicia.hosts`: agent ids or host names; absent means any host. */
  readonly hosts?: readonly string[] | undefined;
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
  return null;
}
