// A stack's networks on this host, as Compose makes them on one engine: created when a
// container first needs one (same name and com.docker.compose.* labels as docker-compose),
// removed with the stack's last container here, and an external network never created nor
// removed. No lock between creating and pruning: a create that loses a race with a prune
// finds the network gone (404) and ensures it again (see docker-runtime.ts).
import type Dockerode from 'dockerode';
import { aliciaError } from '../../src/core/errors.js';
import type { Logger } from '../../src/logging/logger.js';
import type { NetworkAttachment, NetworkDefinition } from '../../src/protocol/container-spec.js';
import { dockerError, statusOf } from './docker-inspect.js';
import { LABELS } from './labels.js';

/** Compose's labels on the networks it makes (docker-compose 1.29 and Compose 2 alike). */
export const COMPOSE_NETWORK_LABEL = 'com.docker.compose.network';
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

/** Docker's NetworkCreate body for a stack network. Pure. */
export function toNetworkCreateOptions(
  stack: string,
  network: NetworkDefinition,
): Dockerode.NetworkCreateOptions {
  const options: Dockerode.NetworkCreateOptions = {
    Name: network.name,
    CheckDuplicate: true,
    Driver: network.driver ?? 'bridge',
    Labels: {
      ...network.labels,
      [COMPOSE_NETWORK_LABEL]: network.key,
      [COMPOSE_PROJECT_LABEL]: stack,
      // How the agent tells networks it made (and may remove) from the user's own.
      [LABELS.stack]: stack,
    },
  };
  if (network.driver_opts !== undefined) options.Options = { ...network.driver_opts };
  if (network.internal !== undefined) options.Internal = network.internal;
  if (network.attachable !== undefined) options.Attachable = network.attachable;
  if (network.enable_ipv6 !== undefined) options.EnableIPv6 = network.enable_ipv6;
  if (network.ipam !== undefined) {
    options.IPAM = {
      Driver: network.ipam.driver ?? 'default',
      Config: network.ipam.config.map((pool) => ({
        ...(pool.subnet !== undefined ? { Subnet: pool.subnet } : {}),
        ...(pool.ip_range !== undefined ? { IPRange: pool.ip_range } : {}),
        ...(pool.gateway !== undefined ? { Gateway: pool.gateway } : {}),
        ...(pool.aux_addresses !== undefined ? { AuxiliaryAddresses: { ...pool.aux_addresses } } : {}),
      })),
      ...(network.ipam.options !== undefined ? { Options: { ...network.ipam.options } } : {}),
    };
  }
  return options;
}

/** Docker's EndpointSettings for one attachment (aliases, static addresses). Pure. */
export function toEndpointSettings(attachment: NetworkAttachment): Dockerode.EndpointSettings {
  const endpoint: Dockerode.EndpointSettings = { Aliases: [...attachment.aliases] };
  const ipam: NonNullable<Dockerode.EndpointSettings['IPAMConfig']> = {};
  if (attachment.ipv4_address !== undefined) ipam.IPv4Address = attachment.ipv4_address;
  if (attachment.ipv6_address !== undefined) ipam.IPv6Address = attachment.ipv6_address;
  if (attachment.link_local_ips !== undefined) ipam.LinkLocalIPs = [...attachment.link_local_ips];
  if (Object.keys(ipam).length > 0) endpoint.IPAMConfig = ipam;
  return endpoint;
}

export interface NetworkManager {
  /** Makes every network present; a missing external one is ALICIA_ERR_NOT_FOUND naming it and the host. */
  ensure(stack: string, attachments: readonly NetworkAttachment[], host: string): Promise<void>;
  /** Removes the stack's networks this agent made that no container uses any more. */
  prune(stack: string): Promise<void>;
}

export function createNetworkManager(docker: Dockerode, log: Logger): NetworkManager {
  async function exists(name: string): Promise<boolean> {
    try {
      await docker.getNetwork(name).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw dockerError(err, `inspect network ${name}`);
    }
  }

  /**
   * Creations in flight, by name: Docker's CheckDuplicate is best effort, and two instances
   * of a stack starting together would otherwise both create `<stack>_default` (then every
   * use of the name is "ambiguous").
   */
  const creating = new Map<string, Promise<void>>();

  async function ensureOne(stack: string, network: NetworkDefinition, host: string): Promise<void> {
    if (await exists(network.name)) return;
    if (network.external) {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `external network ${network.name} does not exist on host ${host}; create it there first (docker network create ${network.name})`,
        { details: { network: network.name, host } },
      );
    }
    try {
      await docker.createNetwork(toNetworkCreateOptions(stack, network));
      log.info({ stack, network: network.name }, 'network created');
    } catch (err) {
      // 409: made a moment ago by someone else.
      if (statusOf(err) !== 409) throw dockerError(err, `create network ${network.name}`);
    }
  }

  return {
    async ensure(stack, attachments, host) {
      for (const { network } of attachments) {
        let pending = creating.get(network.name);
        if (pending === undefined) {
          pending = ensureOne(stack, network, host).finally(() => creating.delete(network.name));
          creating.set(network.name, pending);
        }
        await pending;
      }
    },
    async prune(stack) {
      let networks: Dockerode.NetworkInspectInfo[];
      try {
        networks = await docker.listNetworks({ filters: { label: [`${LABELS.stack}=${stack}`] } });
      } catch (err) {
        log.warn({ err, stack }, 'could not list the stack networks');
        return;
      }
      for (const summary of networks) {
        try {
          const info = (await docker.getNetwork(summary.Id).inspect()) as Dockerode.NetworkInspectInfo;
          if (Object.keys(info.Containers ?? {}).length > 0) continue;
          await docker.getNetwork(summary.Id).remove();
          log.info({ stack, network: summary.Name }, 'network removed with the last container of the stack');
        } catch (err) {
          // In use again (a container joined meanwhile) or already gone: both are fine.
          const status = statusOf(err);
          if (status !== 403 && status !== 404 && status !== 409) {
            log.warn({ err, stack, network: summary.Name }, 'could not remove a stack network');
          }
        }
      }
    },
  };
}
