// The closed union of events: every type has a strict event_data schema, a category and a
// line of text; history entries and progress rows come from the same tables.
import { describe, expect, it } from 'vitest';
import { describeEvent, formatEvent, progressOf } from '../../../src/cli/event-view.js';
import {
  EVENT_CATEGORIES,
  EVENT_TYPES,
  EventSchema,
  extraChannels,
  HEALING_EVENT_TYPES,
  HistoryEntrySchema,
  toHistoryEntry,
} from '../../../src/protocol/index.js';
import { sampleEvent } from './samples.js';

describe('event union', () => {
  it.each([...EVENT_TYPES])('accepts a %s event with its own data', (type) => {
    expect(EventSchema.safeParse(sampleEvent(type)).success).toBe(true);
  });

  it('rejects a field an event type does not have, and a missing one', () => {
    const extra = {
      ...sampleEvent('service_started'),
      event_data: { stack: 'a', service: 'b', elapsed_ms: 1, x: 1 },
    };
    expect(EventSchema.safeParse(extra).success).toBe(false);
    const missing = { ...sampleEvent('service_scaled'), event_data: { stack: 'a', service: 'web', from: 1 } };
    expect(EventSchema.safeParse(missing).success).toBe(false);
    const unknownType = { ...sampleEvent('service_started'), event_type: 'service_exploded' };
    expect(EventSchema.safeParse(unknownType).success).toBe(false);
  });

  it("rejects one type's data under another type", () => {
    const swapped = { ...sampleEvent('agent_lost'), event_type: 'service_started' };
    expect(EventSchema.safeParse(swapped).success).toBe(false);
  });
});

describe('event categories', () => {
  it('classifies every type, with the channels of the old sets', () => {
    expect(Object.keys(EVENT_CATEGORIES).sort()).toEqual([...EVENT_TYPES].sort());
    const errors = EVENT_TYPES.filter((t) => extraChannels(t).includes('orchestration_errors'));
    expect(errors.sort()).toEqual(
      [
        'agent_lost',
        'deploy_failed',
        'orchestration_error',
        'service_crashlooping',
        'service_failed',
        'service_unhealthy',
      ].sort(),
    );
    const recovery = EVENT_TYPES.filter((t) => extraChannels(t).includes('recovery'));
    expect(recovery.sort()).toEqual(
      ['healing_action', 'service_recovered', 'service_rescheduled', 'service_restarted'].sort(),
    );
    expect([...HEALING_EVENT_TYPES].sort()).toEqual(
      [
        'healing_action',
        'service_crashlooping',
        'service_failed',
        'service_recovered',
        'service_rescheduled',
        'service_restarted',
        'service_unhealthy',
      ].sort(),
    );
  });

  it('makes a typed history entry of healing events only', () => {
    expect(toHistoryEntry(sampleEvent('service_started'))).toBeNull();
    const recovered = toHistoryEntry(sampleEvent('service_recovered'));
    expect(recovered).toEqual({
      time: '2026-11-22T13:00:00.000Z',
      action: 'service_recovered',
      service: 'web',
      instance: 'demo_web_1_abcdef',
      reason: null,
      success: true,
      recovery_ms: 2500,
    });
    expect(HistoryEntrySchema.parse(recovered)).toEqual(recovered);
    expect(toHistoryEntry(sampleEvent('service_failed'))).toMatchObject({
      success: false,
      reason: 'exited 1',
    });
  });
});

describe('event view', () => {
  it.each([...EVENT_TYPES])('describes %s in one line that names what it is about', (type) => {
    const line = describeEvent(sampleEvent(type));
    expect(line).not.toMatch(/undefined|\[object|\n/);
    expect(line.length).toBeGreaterThan(3);
    expect(formatEvent(sampleEvent(type))).toContain(type);
  });

  it('gives the progress of deploy steps and nothing for other events', () => {
    expect(progressOf(sampleEvent('service_waiting'))).toEqual({
      kind: 'waiting',
      service: 'web',
      on: ['db'],
    });
    expect(progressOf(sampleEvent('service_starting'))).toEqual({
      kind: 'starting',
      service: 'web',
      hosts: ['pi-1'],
    });
    expect(progressOf(sampleEvent('service_failed'))).toEqual({
      kind: 'failed',
      service: 'web',
      reason: 'exited 1',
    });
    expect(progressOf(sampleEvent('agent_lost'))).toBeNull();
    expect(progressOf(sampleEvent('service_recovered'))).toBeNull();
  });

  it('prints time, type, stack/service and the description', () => {
    expect(formatEvent(sampleEvent('service_scaled'))).toBe(
      `13:00:00.000  ${'service_scaled'.padEnd(20)}  demo/web  scaled up from 1 to 3`,
    );
  });
});
