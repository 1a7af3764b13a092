// Data stays with its host: a service whose container holds data on its host (a named
// volume, a bind mount, a device) is not moved when that host is lost — elsewhere it would
// start with empty data (Swarm's known trap) — unless the stack says it may (`x-alicia:
// {movable: true}`: its data may be lost, or lives elsewhere, e.g. an NFS volume). Pure.

/** What stickiness needs of a ContainerSpec (structurally: no protocol import in core). */
export interface DataSpec {
  readonly mounts: readonly {
    readonly type: 'bind' | 'volume' | 'tmpfs';
    readonly source?: string | undefined;
  }[];
  readonly devices?: readonly unknown[] | undefined;
}

/** The reason a spec ties its container to its host (`volume "pgdata"`), or null when nothing does. */
export function dataOnHost(spec: DataSpec): string | null {
  for (const mount of spec.mounts) {
    // An anonymous volume is scratch space that Compose itself recreates: it does not pin.
    if (mount.type === 'volume' && mount.source !== undefined) return `volume "${mount.source}"`;
    if (mount.type === 'bind' && mount.source !== undefined) return `bind mount "${mount.source}"`;
  }
  if ((spec.devices?.length ?? 0) > 0) return 'devices';
  return null;
}

/** True when instances of the service stay on their host (it holds data there and is not movable). */
export function isSticky(spec: DataSpec, movable: boolean | undefined): boolean {
  return movable !== true && dataOnHost(spec) !== null;
}

/** What keeps the service's instances on their host (`volume "pgdata"`), or undefined when it may move. */
export function holdsOnHost(spec: DataSpec, movable: boolean | undefined): string | undefined {
  return movable === true ? undefined : (dataOnHost(spec) ?? undefined);
}
