// A stack's named volumes with settings (driver, driver_opts, labels, name, external), made
// before the container as docker-compose makes them: same name, com.docker.compose.* labels.
// Docker makes a plain local volume by itself on create; these need the explicit call (an NFS
// volume through the local driver's `type: nfs` options, say). Volumes hold data: the agent
// never removes one (as `docker-compose down` without -v).
import type Dockerode from 'dockerode';
import { aliciaError } from '../../src/core/errors.js';
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
