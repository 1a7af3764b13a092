// What the agent says about its host: the retained info and the heartbeat.
import os from 'node:os';
import type { AgentInfo, Heartbeat } from '../src/protocol/presence.js';
import { PROTOCOL_VERSION } from '../src/protocol/version.js';

const DOCKER_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ia32: 'i386' };

/** Docker's (uname -m) name of this machine: x86_64, aarch64, armv7l, … */
export function dockerArch(): string {
  // os.machine() is uname -m: it tells a Pi's armv6l from armv7l, process.arch does not.
  const machine = typeof os.machine === 'function' ? os.machine() : '';
  if (machine) return machine === 'arm64' ? 'aarch64' : machine;
  return DOCKER_ARCH[process.arch] ?? process.arch;
}

/**
 * Address other hosts reach this one's containers at (network_mode host). When the broker is
 * on loopback everything runs on one machine, so loopback it is; else the first external IPv4.
 */
export function defaultAddress(brokerUrl: string): string {
  let host = '';
  try {
    host = new URL(brokerUrl).hostname;
  } catch {
    // Not a URL: fall through to the interfaces.
  }
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '::1')
    return '127.0.0.1';
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? [])
      if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

export interface InfoInput {
  agent: string;
  hostname: string;
  labels: Record<string, string>;
  role: 'worker' | 'manager';
  dockerVersion: string | null;
  agentVersion: string;
  /** The ContainerSpec features this agent speaks (feature negotiation). */
  features: readonly string[];
  /** The advertised address (absent: not announced). */
  address?: string | undefined;
  now: number;
}

export function buildInfo(input: InfoInput): AgentInfo {
  return {
    v: PROTOCOL_VERSION,
    agent: input.agent,
    hostname: input.hostname,
    arch: dockerArch(),
    os: os.platform(),
    cpus: Math.max(1, os.cpus().length),
    memory_bytes: Math.max(1, os.totalmem()),
    labels: input.labels,
    role: input.role,
    docker_version: input.dockerVersion,
    agent_version: input.agentVersion,
    protocol: PROTOCOL_VERSION,
    features: [...input.features],
    ...(input.address !== undefined ? { address: input.address } : {}),
    ts: input.now,
  };
}

export function buildHeartbeat(input: {
  seq: number;
  session: number;
  running: number;
  startedAt: number;
  now: number;
}): Heartbeat {
  const [l1 = 0, l5 = 0, l15 = 0] = os.loadavg();
  return {
    v: PROTOCOL_VERSION,
    ts: input.now,
    seq: input.seq,
    session: input.session,
    uptime_s: Math.max(0, (input.now - input.startedAt) / 1000),
    load: [l1, l5, l15],
    mem: { rss_bytes: process.memoryUsage.rss(), free_bytes: os.freemem(), total_bytes: os.totalmem() },
    running: input.running,
  };
}
