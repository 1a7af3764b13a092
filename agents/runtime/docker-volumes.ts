// A stack's named volumes with settings (driver, driver_opts, labels, name, external), made
// before the container as docker-compose makes them: same name, com.docker.compose.* labels.
// Docker makes a plain local volume by itself on create; these need the explicit call (an NFS
// volume through the local driver's `type: nfs` options, say). Volumes hold data: the agent
// never removes one (as `docker-compose down` without -v).
import type Dockerode from 'dockerode';
import { aliciaError } from '../../src/core/errors.js';
import type { InstanceSpec } from '../../src/protocol/agent-actions.js';
import type { VolumeDefinition } from '../../src/protocol/container-spec.js';
import { dockerError, statusOf } from './docker-inspect.js';
import { LABELS } from './labels.js';

export async function ensureVolumes(
  docker: Dockerode,
  stack: string,
  volumes: readonly VolumeDefinition[],
  host: string,
): Promise<void> {
  for (const volume of volumes) {
    try {
      await docker.getVolume(volume.name).inspect();
      continue;
    } catch (err) {
      if (statusOf(err) !== 404) throw dockerError(err, `inspect volume ${volume.name}`);
    }
    if (volume.external) {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `external volume ${volume.name} does not exist on host ${host}; create it there first (docker volume create ${volume.name})`,
        { details: { volume: volume.name, host } },
      );
    }
    try {
      await docker.createVolume({
        Name: volume.name,
        Driver: volume.driver ?? 'local',
        DriverOpts: { ...volume.driver_opts },
        Labels: {
          ...volume.labels,
          'com.docker.compose.project': stack,
          'com.docker.compose.volume': volume.key,
          [LABELS.stack]: stack,
        },
      });
    } catch (err) {
      throw dockerError(err, `create volume ${volume.name}`);
    }
  }
}

/**
 * Compose `volumes_from`: each entry's container. One naming a service is that service's
 * container of the same stack on this host (running or not, as Docker allows; the
 * orchestrator placed both here); one naming a container is taken as given.
 */
export async function resolveVolumesFrom(
  docker: Dockerode,
  spec: InstanceSpec,
): Promise<string[] | undefined> {
  const entries = spec.spec.volumes_from;
  if (entries === undefined) return undefined;
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.service === undefined) {
      out.push(entry.container ?? '');
      continue;
    }
    const found = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.stack}=${spec.stack}`, `${LABELS.service}=${entry.service}`] },
    });
    const target = found.find((c) => c.State === 'running') ?? found[0];
    if (target === undefined) {
      throw aliciaError(
        'ALICIA_ERR_NOT_FOUND',
        `instance ${spec.instance} takes volumes_from service ${entry.service}, which has no container on this host; place both on the same host`,
      );
    }
    out.push(target.Id);
  }
  return out;
}
