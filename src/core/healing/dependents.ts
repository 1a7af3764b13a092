// Compose's `depends_on: {<dep>: {restart: true}}`: after the dependency was restarted,
// recreated or moved, its dependents restart too — once it is healthy again, so they
// reconnect to a dependency that answers. Only the direct dependents: each of their
// restarts is in turn a restart of a dependency, so theirs follow once they are healthy,
// in dependency order. Pure.

/** The part of a service definition the rule reads. */
export interface DependentsInput {
  readonly [service: string]: {
    readonly depends_on: { readonly [dependency: string]: { readonly restart: boolean } };
  };
}

/** The services that depend on `dependency` with `restart: true`, by name. */
export function dependentsToRestart(services: DependentsInput, dependency: string): string[] {
  return Object.keys(services)
    .filter((name) => name !== dependency && services[name]?.depends_on[dependency]?.restart === true)
    .sort();
}
