// The agent's policy on a networked broker: privileged containers, host paths, devices, host
// namespaces and images outside its lists are refused, and each refusal names the exact
// setting to add to that agent's config; the embedded `alicia up` allows what Compose allows.
import { describe, expect, it } from 'vitest';
import { resolveAgentConfig } from '../../../agents/config.js';
import { checkPolicy, LOCAL_COMPOSE_POLICY } from '../../../src/core/agent-plan/index.js';
import type { AgentPolicy, PolicySubject } from '../../../src/core/agent-plan/policy.js';

const base: PolicySubject['spec'] = {
  image: 'ghcr.io/home-assistant/home-assistant:2024.7',
  privileged: false,
  mounts: [],
};
const subject = (spec: Partial<PolicySubject['spec']>): PolicySubject => ({
  instance: 'ha_homeassistant_1_abc123',
  spec: { ...base, ...spec },
});

/** What `alicia agent` with no policy in its config enforces. */
async function networkedDefault(extra: Record<string, unknown> = {}): Promise<AgentPolicy> {
  const resolved = await resolveAgentConfig({ id: 'pi-1', broker: 'mqtt://127.0.0.1:1883', ...extra }, {});
  return resolved.options.policy ?? {};
}

describe('agent policy on a networked broker', () => {
  it.each([
    [
      { privileged: true },
      'ALICIA_ERR_POLICY_PRIVILEGED',
      'privileged: true',
      'policy: {allow_privileged: true}',
    ],
    [
      { mounts: [{ type: 'bind', source: '/srv/ha/config' }] },
      'ALICIA_ERR_POLICY_HOST_PATH',
      'host path "/srv/ha/config"',
      'policy: {allowed_host_paths: ["/srv/ha/config"]}',
    ],
    [
      { devices: [{ path_on_host: '/dev/ttyACM0' }] },
      'ALICIA_ERR_POLICY_DEVICE',
      'device /dev/ttyACM0',
      'policy: {allowed_devices: ["/dev/ttyACM0"]}',
    ],
    [
      { network_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'network_mode: host',
      'policy: {allowed_host_namespaces: ["network"]}',
    ],
    [
      { pid_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'pid: host',
      'policy: {allowed_host_namespaces: ["pid"]}',
    ],
    [
      { ipc_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'ipc: host',
      'policy: {allowed_host_namespaces: ["ipc"]}',
    ],
    [
      { uts_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'uts: host',
      'policy: {allowed_host_namespaces: ["uts"]}',
    ],
    [
      { userns_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'userns_mode: host',
      'policy: {allowed_host_namespaces: ["userns"]}',
    ],
    [
      { cgroupns_mode: 'host' },
      'ALICIA_ERR_POLICY_HOST_NAMESPACE',
      'cgroup: host',
      'policy: {allowed_host_namespaces: ["cgroup"]}',
    ],
  ] as const)('refuses %o by default and names the setting', async (spec, code, what, setting) => {
    const refusal = checkPolicy(subject(spec as Partial<PolicySubject['spec']>), await networkedDefault());
    expect(refusal?.code).toBe(code);
    expect(refusal?.message).toContain('ha_homeassistant_1_abc123');
    expect(refusal?.message).toContain(what);
    expect(refusal?.message).toContain(`add to the agent's config: ${setting}`);
  });

  it('refuses an image outside allowed_images, naming the repository to add', () => {
    const refusal = checkPolicy(subject({}), { allowedImages: ['eclipse-mosquitto'] });
    expect(refusal?.code).toBe('ALICIA_ERR_POLICY_IMAGE');
    expect(refusal?.message).toContain(
      'policy: {allowed_images: ["eclipse-mosquitto","ghcr.io/home-assistant/home-assistant"]}',
    );
  });

  it('allows what the config lists, from the file or the flags', async () => {
    const policy = await networkedDefault({ allowHostNamespace: ['network', 'pid'], allowPrivileged: true });
    expect(
      checkPolicy(subject({ network_mode: 'host', pid_mode: 'host', privileged: true }), policy),
    ).toBeNull();
    expect(checkPolicy(subject({ ipc_mode: 'host' }), policy)?.message).toContain(
      'allowed_host_namespaces: ["network","pid","ipc"]',
    );
    // Shareable/private modes and other containers' namespaces are not the host's.
    expect(checkPolicy(subject({ ipc_mode: 'shareable', network_mode: 'container:abc' }), policy)).toBeNull();
    await expect(networkedDefault({ allowHostNamespace: ['mount'] })).rejects.toThrow(
      /--allow-host-namespace: "mount" is not one of network, pid, ipc, uts, userns, cgroup/,
    );
  });

  it('the embedded local policy allows what docker-compose allows', () => {
    const everything = subject({
      privileged: true,
      mounts: [{ type: 'bind', source: '/etc/localtime' }],
      devices: [{ path_on_host: '/dev/ttyACM0' }],
      network_mode: 'host',
      pid_mode: 'host',
      ipc_mode: 'host',
      uts_mode: 'host',
      userns_mode: 'host',
      cgroupns_mode: 'host',
    });
    expect(checkPolicy(everything, LOCAL_COMPOSE_POLICY)).toBeNull();
  });
});
