// Needs Docker: proves the test engine and the test image are really there.
import { describe, expect, it } from 'vitest';
import { TEST_IMAGE, testDocker } from '../helpers/docker.js';

describe('test Docker engine', () => {
  it('answers and holds the busybox test image with its applets', async () => {
    const docker = testDocker();
    const info = await docker.info();
    expect(info.ServerVersion).toBeTruthy();
    const image = await docker.getImage(TEST_IMAGE).inspect();
    expect(image.Config?.Env).toContain('PATH=/bin');
  });
});
