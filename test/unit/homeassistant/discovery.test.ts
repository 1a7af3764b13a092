// Home Assistant device discovery payloads (src/homeassistant/discovery.ts): topics, the
// fields Home Assistant requires, ids it accepts, and the restart button's request.
import { describe, expect, it } from 'vitest';
import { homeassistantPrefix } from '../../../src/cli/integrations.js';
import { agentDevice, objectId, serviceDevice, statusTopic } from '../../../src/homeassistant/index.js';
import { createTopics, RequestSchemas } from '../../../src/protocol/index.js';

const ctx = { topics: createTopics('alicia'), discoveryPrefix: 'homeassistant', version: '0.1.0' };

describe('Home Assistant discovery payloads', () => {
  it('one device per service on <prefix>/device/<id>/config, state from the retained service state', () => {
    const d = serviceDevice(ctx, 'shop', 'web');
    expect(d.topic).toBe('homeassistant/device/alicia_alicia_shop_web/config');
    expect(d.payload.dev).toMatchObject({ ids: ['alicia_alicia_shop_web'], name: 'shop web' });
    expect(d.payload.o).toEqual({ name: 'Alicia', sw: '0.1.0' });
    expect(d.payload.state_topic).toBe('alicia/stacks/shop/services/web/state');
    expect(d.payload.availability).toEqual([
      expect.objectContaining({ topic: 'alicia/orchestrator/state', payload_available: 'online' }),
    ]);
    for (const [key, c] of Object.entries(d.payload.cmps)) {
      expect(c.unique_id).toBe(key);
      expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it("the restart button's press is a valid restart request on the request topic", () => {
    const button = Object.values(serviceDevice(ctx, 'shop', 'web').payload.cmps).find(
      (c) => c.p === 'button',
    );
    expect(button?.command_topic).toBe('alicia/orchestrator/request/restart');
    const parsed = RequestSchemas.restart.safeParse(JSON.parse(String(button?.payload_press)));
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data).toMatchObject({ stack: 'shop', service: 'web' });
  });

  it('one device per agent, its sensors available while the agent is online', () => {
    const d = agentDevice(ctx, 'pi.1', 'garage-pi');
    expect(d.topic).toBe('homeassistant/device/alicia_alicia_agent_pi_1/config');
    expect(d.payload.dev.name).toBe('Alicia agent pi.1 (garage-pi)');
    const online = Object.values(d.payload.cmps).find((c) => c.device_class === 'connectivity');
    expect(online).toMatchObject({ state_topic: 'alicia/agents/pi.1/state' });
    expect(online?.availability).toBeUndefined();
    for (const c of Object.values(d.payload.cmps).filter((c) => c !== online)) {
      expect(c.availability).toEqual([expect.objectContaining({ topic: 'alicia/agents/pi.1/state' })]);
    }
  });

  it('ids hold only what Home Assistant accepts; prefixes and the status topic follow the options', () => {
    expect(objectId('alicia', 'my.stack', 'web+1')).toBe('alicia_my_stack_web_1');
    expect(statusTopic('ha')).toBe('ha/status');
    expect(serviceDevice({ ...ctx, discoveryPrefix: 'ha' }, 's', 'w').topic).toBe(
      'ha/device/alicia_alicia_s_w/config',
    );
    expect(homeassistantPrefix(undefined)).toBeNull();
    expect(homeassistantPrefix(true)).toBe('homeassistant');
    expect(homeassistantPrefix('1')).toBe('homeassistant');
    expect(homeassistantPrefix('off')).toBeNull();
    expect(homeassistantPrefix('ha')).toBe('ha');
    expect(() => homeassistantPrefix('ha/#')).toThrow(/discovery prefix/);
  });
});
