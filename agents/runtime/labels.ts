// Names and labels that tie a container to its instance, stack, service and agent.
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';

export const LABELS = Object.freeze({
  stack: 'alicia.stack',
  service: 'alicia.service',
  instance: 'alicia.instance',
  agent: 'alicia.agent',
  slot: 'alicia.slot',
  specHash: 'alicia.spec-hash',
});

export function containerName(instance: string): string {
  return `alicia-${instance}`;
}

/** The service's own labels, then Alicia's (which win: they are how the agent finds its containers). */
export function containerLabels(spec: InstanceSpec, agent: string): Record<string, string> {
  return {
    ...spec.spec.labels,
    [LABELS.stack]: spec.stack,
    [LABELS.service]: spec.service,
    [LABELS.instance]: spec.instance,
    [LABELS.agent]: agent,
    [LABELS.slot]: String(spec.slot),
    [LABELS.specHash]: spec.spec_hash,
  };
}

/** Ports reachable from the host: the container's own with host networking, else the published ones. */
export function reachablePorts(spec: InstanceSpec['spec'], networkMode: string): number[] {
  const ports = new Set<number>();
  for (const port of spec.ports) {
    if (networkMode === 'host') ports.add(port.container_port);
    else if (port.host_port !== undefined) ports.add(Number.parseInt(port.host_port, 10));
  }
  return [...ports].sort((a, b) => a - b);
}
