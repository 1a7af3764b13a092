import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Makes a Docker engine and the test image available (scripts/docker-engine.sh) and
    // exports DOCKER_HOST to the workers; fails the run loudly when it cannot.
    globalSetup: ['test/setup/docker.ts'],
    pool: 'forks',
    // 2 cores: Docker tests contend for the engine, keep parallelism modest.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
