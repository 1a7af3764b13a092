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

/** Runs `cmd` in a running container and resolves with its exit code once it has exited. */
export async function execIn(docker: Docker, container: string, cmd: string[]): Promise<number | null> {
  const exec = await docker
    .getContainer(container)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
    stream.resume();
  });
  return (await exec.inspect()).ExitCode;
}
