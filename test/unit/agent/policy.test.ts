// The agent's local policy (src/core/agent-plan/policy.ts).
import { describe, expect, it } from 'vitest';
import {
  checkPolicy,
  imageAllowed,
  imageRepository,
  isUnderPath,
  normalizeHostPath,
} from '../../../src/core/agent-plan/index.js';

// `volumes` as the tests write them; the wire spec calls them mounts.
const subject = ({
  volumes = [],
  ...spec
}: Partial<{ image: string; privileged: boolean; volumes: { type: string; source?: string }[] }> = {}) => ({
  instance: 'demo_web_1',
  spec: { image: 'alicia-test/busybox:latest', privileged: false, mounts: volumes, ...spec },
});

describe('checkPolicy', () => {
  it('allows an ordinary container by default', () => {
    expect(checkPolicy(subject(), {})).toBeNull();
    expect(
      checkPolicy(subject({ volumes: [{ type: 'volume', source: 'data' }, { type: 'tmpfs' }] }), {}),
    ).toBeNull();
  });

  it('refuses privileged unless allowed, naming the instance', () => {
    expect(checkPolicy(subject({ privileged: true }), {})).toEqual({
      code: 'ALICIA_ERR_POLICY_PRIVILEGED',
      message: expect.stringContaining('demo_web_1'),
    });
    expect(checkPolicy(subject({ privileged: true }), { allowPrivileged: true })).toBeNull();
  });

  it('refuses bind mounts outside the allowed host paths, seeing through .. and look-alike prefixes', () => {
    const policy = { allowedHostPaths: ['/srv/alicia'] };
    expect(
      checkPolicy(subject({ volumes: [{ type: 'bind', source: '/srv/alicia/data' }] }), policy),
    ).toBeNull();
    expect(checkPolicy(subject({ volumes: [{ type: 'bind', source: '/srv/alicia' }] }), policy)).toBeNull();
    for (const source of ['/etc', '/srv/alicia/../../etc', '/srv/alicia-evil', 'relative/path', '']) {
      const refusal = checkPolicy(subject({ volumes: [{ type: 'bind', source }] }), policy);
      expect(refusal?.code).toBe('ALICIA_ERR_POLICY_HOST_PATH');
      expect(refusal?.message).toContain(JSON.stringify(source));
    }
    expect(checkPolicy(subject({ volumes: [{ type: 'bind', source: '/tmp' }] }), {})?.message).toContain(
      '(none)',
    );
  });

  it('refuses images outside the allow-list only when one is configured', () => {
    const policy = { allowedImages: ['alicia-test/*', 'redis', 'ghcr.io/acme/api:1.2'] };
    expect(checkPolicy(subject({ image: 'alicia-test/busybox:latest' }), policy)).toBeNull();
    expect(checkPolicy(subject({ image: 'redis:7' }), policy)).toBeNull();
    expect(checkPolicy(subject({ image: 'ghcr.io/acme/api:1.2' }), policy)).toBeNull();
    expect(checkPolicy(subject({ image: 'ghcr.io/acme/api:1.3' }), policy)?.code).toBe(
      'ALICIA_ERR_POLICY_IMAGE',
    );
    expect(checkPolicy(subject({ image: 'nginx' }), policy)?.message).toContain('"nginx"');
    expect(checkPolicy(subject({ image: 'nginx' }), {})).toBeNull();
    expect(checkPolicy(subject({ image: 'nginx' }), { allowedImages: [] })?.code).toBe(
      'ALICIA_ERR_POLICY_IMAGE',
    );
  });
});

describe('path and image helpers', () => {
  it('normalizes absolute paths and refuses relative ones', () => {
    expect(normalizeHostPath('/a/./b/../c//d/')).toBe('/a/c/d');
    expect(normalizeHostPath('/../..')).toBe('/');
    expect(normalizeHostPath('a/b')).toBeNull();
    expect(isUnderPath('/anything', '/')).toBe(true);
  });

  it('reads the repository of an image reference', () => {
    expect(imageRepository('redis')).toBe('redis');
    expect(imageRepository('redis:7')).toBe('redis');
    expect(imageRepository('localhost:5000/team/app:2@sha256:abc')).toBe('localhost:5000/team/app');
    expect(imageRepository('localhost:5000/team/app')).toBe('localhost:5000/team/app');
  });

  it('matches globs anywhere in the reference', () => {
    // `*` crosses slashes: it matches any run of characters.
    expect(imageAllowed('docker.io/library/busybox:1', ['*/busybox:*'])).toBe(true);
    expect(imageAllowed('docker.io/library/busybox:1', ['*/nginx:*'])).toBe(false);
    expect(imageAllowed('a/b', ['a/*/c'])).toBe(false);
    expect(imageAllowed('a/x/c', ['a/*/c'])).toBe(true);
    expect(imageAllowed('ab', ['a*b*'])).toBe(true);
  });
});
