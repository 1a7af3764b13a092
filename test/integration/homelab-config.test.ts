// `alicia config` (the built CLI) on real home-lab Compose files, written as their projects'
// install guides write them (test/fixtures/compose/homelab): every service is taken whole, and
// the only warnings are about what truly cannot apply — container_name (Alicia names its
// containers per instance) and build (Alicia runs images). The exact warnings are asserted.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAlicia } from '../helpers/cli.js';

const DIR = path.resolve('test/fixtures/compose/homelab');
const NAMED = 'Alicia names containers itself (stack, service and instance); container_name is ignored';
const containerName = (file: string, services: string[]) =>
  services.map((s) => `warning: ${file}: services.${s}.container_name: ${NAMED}`);

const CASES: Record<string, { services: string[]; warnings: (file: string) => string[] }> = {
  'home-assistant.yaml': {
    services: ['homeassistant', 'mosquitto', 'nodered', 'zigbee2mqtt'],
    warnings: (f) => containerName(f, ['homeassistant', 'mosquitto', 'zigbee2mqtt', 'nodered']),
  },
  'monitoring.yaml': {
    services: ['cadvisor', 'grafana', 'influxdb', 'prometheus'],
    warnings: (f) => containerName(f, ['prometheus', 'grafana', 'influxdb', 'cadvisor']),
  },
  'media.yaml': {
    services: ['frigate', 'jellyfin', 'pihole'],
    warnings: (f) => containerName(f, ['pihole', 'jellyfin', 'frigate']),
  },
  'web-app.yaml': {
    services: ['cache', 'db', 'web', 'worker'],
    warnings: (f) => [
      `warning: ${f}: services.web.build: Alicia does not build images; the image is pulled as named by image:`,
    ],
  },
};

describe('alicia config on home-lab files', () => {
  it.each(Object.keys(CASES))(
    '%s: every service whole, warnings only for what cannot apply',
    async (name) => {
      const file = path.join(DIR, name);
      const expected = CASES[name];
      if (!expected) throw new Error(name);
      const run = await runAlicia(['config', '-f', file, '--format', 'json'], {
        env: { PATH: process.env.PATH ?? '' },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr.split('\n').filter(Boolean)).toEqual(expected.warnings(file));
      const config = JSON.parse(run.stdout) as { services: Record<string, Record<string, unknown>> };
      expect(Object.keys(config.services).sort()).toEqual(expected.services);
      // What made these stacks lose their meaning before issue 11 is all there.
      const s = config.services;
      if (name === 'home-assistant.yaml') {
        expect(s.zigbee2mqtt?.devices).toEqual([
          '/dev/serial/by-id/usb-Texas_Instruments_TI_CC2531_USB_CDC___0X00124B0018ED3DDF-if00:/dev/ttyACM0:rwm',
        ]);
        expect(s.zigbee2mqtt?.group_add).toEqual(['dialout']);
        expect(s.homeassistant?.network_mode).toBe('host');
      }
      if (name === 'media.yaml') {
        expect(s.frigate?.shm_size).toBe(String(512 * 1024 * 1024));
        expect(s.frigate?.gpus).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
        expect(s.pihole?.dns).toEqual(['127.0.0.1', '1.1.1.1']);
        expect(s.jellyfin?.extra_hosts).toEqual(['host.docker.internal:host-gateway']);
      }
      if (name === 'web-app.yaml') {
        expect(s.db?.secrets).toEqual([
          { source: 'db_password', target: '/run/secrets/db_password', mode: '0444' },
        ]);
      }
    },
  );
});
