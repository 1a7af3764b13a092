// The agent's local policy: what it refuses whatever the broker says. Pure.
import type { ErrorCode } from '../errors.js';

export interface AgentPolicy {
  /** Default false: privileged containers own the host. */
  readonly allowPrivileged?: boolean;
  /** Absolute host paths (and everything under them) that bind mounts may use; default none. */
  readonly allowedHostPaths?: readonly string[];
  /**
   * When set, only these images run. An entry with `*` is a glob (`*` matches any run of
   * characters: `alicia-test/*`, `ghcr.io/acme/*`); an entry without one matches that
   * exact reference, or any tag or digest of that repository (`redis` allows `redis:7`).
   */
  readonly allowedImages?: readonly string[];
  /**
   * Host devices that may be mapped into containers (`*` globs: `/dev/dri/*`); default none.
   * `['*']` allows every device.
   */
  readonly allowedDevices?: readonly string[];
  /**
   * Host namespaces containers may join (`pid: host`, `ipc: host`, `network_mode: host`,
   * `uts: host`, `userns_mode: host`, `cgroup: host`). `alicia agent` always sets this list
   * (default empty: all refused); an embedding that passes none checks none.
   */
  readonly allowedHostNamespaces?: readonly HostNamespace[];
}

/** The namespaces of the host a container can share, named as in the agent's config. */
export const HOST_NAMESPACES = ['network', 'pid', 'ipc', 'uts', 'userns', 'cgroup'] as const;
export type HostNamespace = (typeof HOST_NAMESPACES)[number];

/**
 * The embedded `alicia up` (no --broker): the user runs their own Compose file on their own
 * machine, so the agent allows what docker-compose would (privileged, host paths, devices).
 */
export const LOCAL_COMPOSE_POLICY: AgentPolicy = Object.freeze({
  allowPrivileged: true,
  allowedHostPaths: Object.freeze(['/']),
  allowedDevices: Object.freeze(['*']),
  allowedHostNamespaces: Object.freeze([...HOST_NAMESPACES]),
});

/** The parts of an instance the policy looks at (an InstanceSpec fits this shape). */
export interface PolicySubject {
  readonly instance: string;
  readonly spec: {
    readonly image: string;
    readonly privileged: boolean;
    readonly mounts: readonly { readonly type: string; readonly source?: string | undefined }[];
    readonly devices?: readonly { readonly path_on_host: string }[] | undefined;
    readonly network_mode?: string | undefined;
    readonly pid_mode?: string | undefined;
    readonly ipc_mode?: string | undefined;
    readonly uts_mode?: string | undefined;
    readonly userns_mode?: string | undefined;
    readonly cgroupns_mode?: string | undefined;
  };
}

export interface PolicyRefusal {
  readonly code: Extract<ErrorCode, `ALICIA_ERR_POLICY_${string}`>;
  readonly message: string;
}

/** Resolves `.` and `..` in an absolute POSIX path; null for a relative one. */
export function normalizeHostPath(path: string): string | null {
  if (!path.startsWith('/')) return null;
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** True when `path` is `root` or lies under it (after resolving `..`). */
export function isUnderPath(path: string, root: string): boolean {
  const p = normalizeHostPath(path);
  const r = normalizeHostPath(root);
  if (p === null || r === null) return false;
  if (r === '/') return true;
  return p === r || p.startsWith(`${r}/`);
}

/** The repository part of an image reference: `ghcr.io:443/a/b:1@sha256:…` → `ghcr.io:443/a/b`. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  // A colon after the last slash is a tag; one before it belongs to a registry host:port.
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

function globMatches(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  if (!value.startsWith(first)) return false;
  let at = first.length;
  for (let i = 1; i < parts.length; i += 1) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1) return value.length - part.length >= at && value.endsWith(part);
    const found = value.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return at === value.length;
}

export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) =>
    entry.includes('*') ? globMatches(entry, image) : entry === image || entry === imageRepository(image),
  );
}

/** Each host namespace the spec may ask for: (name in the config, Compose key, value). */
function hostNamespaces(spec: PolicySubject['spec']): [HostNamespace, string, string | undefined][] {
  return [
    ['network', 'network_mode', spec.network_mode],
    ['pid', 'pid', spec.pid_mode],
    ['ipc', 'ipc', spec.ipc_mode],
    ['uts', 'uts', spec.uts_mode],
    ['userns', 'userns_mode', spec.userns_mode],
    ['cgroup', 'cgroup', spec.cgroupns_mode],
  ];
}

/** The first rule the instance breaks, or null when the policy allows it. */
export function checkPolicy(subject: PolicySubject, policy: AgentPolicy): PolicyRefusal | null {
  const { instance, spec } = subject;
  if (spec.privileged && policy.allowPrivileged !== true) {
    return {
      code: 'ALICIA_ERR_POLICY_PRIVILEGED',
      message: `instance ${instance}: privileged: true is refused by this agent's policy; to allow it, add to the agent's config: policy: {allow_privileged: true}`,
    };
  }
  if (policy.allowedHostNamespaces !== undefined) {
    const allowed = policy.allowedHostNamespaces;
    for (const [namespace, key, value] of hostNamespaces(spec)) {
      if (value !== 'host' || allowed.includes(namespace)) continue;
      const wanted = [...allowed, namespace];
      return {
        code: 'ALICIA_ERR_POLICY_HOST_NAMESPACE',
        message: `instance ${instance}: ${key}: host shares the host's ${namespace} namespace, which this agent's policy refuses; to allow it, add to the agent's config: policy: {allowed_host_namespaces: ${JSON.stringify(wanted)}}`,
      };
    }
  }
  const allowedPaths = policy.allowedHostPaths ?? [];
  for (const mount of spec.mounts) {
    if (mount.type !== 'bind') continue;
    const source = mount.source ?? '';
    if (!allowedPaths.some((root) => isUnderPath(source, root))) {
      const allowed = allowedPaths.length > 0 ? allowedPaths.join(', ') : 'none';
      return {
        code: 'ALICIA_ERR_POLICY_HOST_PATH',
        message: `instance ${instance}: bind mount of host path ${JSON.stringify(source)} is outside the allowed host paths (${allowed}); to allow it, add to the agent's config: policy: {allowed_host_paths: ${JSON.stringify([...allowedPaths, source])}}`,
      };
    }
  }
  const allowedDevices = policy.allowedDevices ?? [];
  for (const device of spec.devices ?? []) {
    if (!allowedDevices.some((entry) => entry === '*' || globMatches(entry, device.path_on_host))) {
      const wanted = [...allowedDevices.filter((d) => d !== '*'), device.path_on_host];
      return {
        code: 'ALICIA_ERR_POLICY_DEVICE',
        message: `instance ${instance}: device ${device.path_on_host} is not allowed by this agent's policy; to allow it, add to the agent's config: policy: {allowed_devices: ${JSON.stringify(wanted)}}`,
      };
    }
  }
  if (policy.allowedImages !== undefined && !imageAllowed(spec.image, policy.allowedImages)) {
    return {
      code: 'ALICIA_ERR_POLICY_IMAGE',
      message: `instance ${instance}: image ${JSON.stringify(spec.image)} is outside the allowed images (${policy.allowedImages.join(', ') || 'none'}); to allow it, add to the agent's config: policy: {allowed_images: ${JSON.stringify([...policy.allowedImages, imageRepository(spec.image)])}}`,
    };
  }
  return null;
}
