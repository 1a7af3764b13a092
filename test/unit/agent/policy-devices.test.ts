// Devices are host access: a networked agent refuses them unless its config lists them, and
// the refusal names the exact setting to add; the embedded `alicia up` allows what Compose does.
import { describe, expect, it } from 'vitest';
import { checkPolicy, LOCAL_COMPOSE_POLICY } from '../../../src/core/agent-plan/index.js';

const subject = (devices: string[]) => ({
  instance: 'ha_zigbee2mqtt_1_abc123',
  spec: {
    image: 'koenkk/zigbee2mqtt',
    privileged: false,
    mounts: [],
    devices: devices.map((path) => ({ path_on_host: path })),
  },
});

describe('agent policy: devices', () => {
  it('refuses a device by default, naming the config setting that allows it', () => {
    const refusal = checkPolicy(subject(['/dev/ttyACM0']), {});
    expect(refusal?.code).toBe('ALICIA_ERR_POLICY_DEVICE');
    expect(refusal?.message).toContain('policy: {allowed_devices: ["/dev/ttyACM0"]}');
  });

  it('allows listed devices and globs, and keeps the list when suggesting one more', () => {
    expect(
      checkPolicy(subject(['/dev/ttyACM0', '/dev/dri/renderD128']), {
        allowedDevices: ['/dev/ttyACM0', '/dev/dri/*'],
      }),
    ).toBeNull();
    expect(checkPolicy(subject(['/dev/ttyUSB0']), { allowedDevices: ['/dev/ttyACM0'] })?.message).toContain(
      'allowed_devices: ["/dev/ttyACM0","/dev/ttyUSB0"]',
    );
  });

  it('the embedded local policy allows what docker-compose allows', () => {
    const everything = {
      ...subject(['/dev/ttyACM0']),
      spec: {
        ...subject(['/dev/ttyACM0']).spec,
        privileged: true,
        mounts: [{ type: 'bind', source: '/srv/data' }],
      },
    };
    expect(checkPolicy(everything, LOCAL_COMPOSE_POLICY)).toBeNull();
  });
});
