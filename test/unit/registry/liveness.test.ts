import { describe, expect, it } from 'vitest';
import {
  type AgentLiveness,
  applyHeartbeat,
  applyPresence,
  tickLiveness,
} from '../../../src/core/registry/index.js';

const HB = { heartbeatMs: 1000 };

function online(at = 0, session = 3): AgentLiveness {
  return applyPresence(undefined, 'pi-1', { state: 'online', session }, at).record;
}

describe('agent liveness', () => {
  it('comes online from its retained presence, with an agent_online event', () => {
    const result = applyPresence(undefined, 'pi-1', { state: 'online', session: 3 }, 100);
    expect(result.record).toMatchObject({ id: 'pi-1', status: 'online', session: 3, lastSeenMs: 100 });
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'agent_online', agent: 'pi-1', session: 3 }),
    ]);
  });

  it('turns suspect after 1.5 intervals without heartbeat, offline after 3, and back online on a heartbeat', () => {
    let record = online(0);
    expect(tickLiveness(record, 1500, HB).events).toEqual([]);
    const suspect = tickLiveness(record, 1501, HB);
    expect(suspect.record.status).toBe('suspect');
    expect(suspect.events.map((e) => e.type)).toEqual(['agent_suspect']);
    record = suspect.record;
    expect(tickLiveness(record, 2000, HB).events).toEqual([]);
    const offline = tickLiveness(record, 3001, HB);
    expect(offline.record).toMatchObject({ status: 'offline', offlineBy: 'ttl' });
    expect(offline.events.map((e) => e.type)).toEqual(['agent_offline']);
    const back = applyHeartbeat(offline.record, 'pi-1', { session: 3 }, 3500);
    expect(back.record.status).toBe('online');
    expect(back.events.map((e) => e.type)).toEqual(['agent_online']);
  });

  it('goes straight to offline when a silent online agent passes the TTL between two ticks', () => {
    const result = tickLiveness(online(0), 5000, HB);
    expect(result.record.status).toBe('offline');
    expect(result.events.map((e) => e.type)).toEqual(['agent_offline']);
  });

  it('keeps an agent online while heartbeats arrive', () => {
    let record = online(0);
    for (let t = 900; t <= 10_000; t += 900) {
      record = applyHeartbeat(record, 'pi-1', { session: 3 }, t).record;
      expect(tickLiveness(record, t + 100, HB).events).toEqual([]);
    }
    expect(record.status).toBe('online');
  });

  it('goes offline on its will (same session)', () => {
    const result = applyPresence(online(0), 'pi-1', { state: 'offline', session: 3 }, 50);
    expect(result.record).toMatchObject({ status: 'offline', offlineBy: 'presence' });
    expect(result.events.map((e) => e.type)).toEqual(['agent_offline']);
  });

  it('ignores a late will from an older session', () => {
    const record = online(0, 5);
    const result = applyPresence(record, 'pi-1', { state: 'offline', session: 4 }, 50);
    expect(result.record).toBe(record);
    expect(result.events).toEqual([]);
  });

  it('ignores a stray heartbeat of a session that said goodbye, but not of a newer one', () => {
    const gone = applyPresence(online(0, 5), 'pi-1', { state: 'offline', session: 5 }, 50).record;
    expect(applyHeartbeat(gone, 'pi-1', { session: 5 }, 60).events).toEqual([]);
    expect(applyHeartbeat(gone, 'pi-1', { session: 4 }, 60).events).toEqual([]);
    const back = applyHeartbeat(gone, 'pi-1', { session: 6 }, 70);
    expect(back.record).toMatchObject({ status: 'online', session: 6 });
  });

  it('comes back online on a newer session presence without a duplicate event while online', () => {
    const gone = applyPresence(online(0, 5), 'pi-1', { state: 'offline', session: 5 }, 50).record;
    const back = applyPresence(gone, 'pi-1', { state: 'online', session: 6 }, 80);
    expect(back.events.map((e) => e.type)).toEqual(['agent_online']);
    expect(applyPresence(back.record, 'pi-1', { state: 'online', session: 6 }, 90).events).toEqual([]);
  });

  it('does not tick an offline agent into more events', () => {
    const gone = applyPresence(online(0), 'pi-1', { state: 'offline', session: 3 }, 50).record;
    expect(tickLiveness(gone, 100_000, HB).events).toEqual([]);
  });
});
