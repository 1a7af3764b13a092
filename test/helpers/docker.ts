// Tests that use this helper need a real Docker engine (see test/setup/docker.ts).
import Docker from 'dockerode';

export const TEST_IMAGE = 'alicia-test/busybox:latest';

/** dockerode client for the engine the global setup made available (DOCKER_HOST). */
export function testDocker(): Docker {
  return new Docker();
}

/** Removes every container (running or not) carrying `label=value`; returns how many. */
export async function removeLabelled(docker: Docker, label: string, value: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${label}=${value}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
  return containers.length;
}
