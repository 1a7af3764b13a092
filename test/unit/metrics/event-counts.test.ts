// What each event type adds to the metrics' counters (src/metrics/event-counts.ts).
import { describe, expect, it } from 'vitest';
import { countsOf } from '../../../src/metrics/index.js';
import { EVENT_CATEGORIES, EVENT_TYPES } from '../../../src/protocol/index.js';
import { sampleEvent } from '../events/samples.js';

describe('countsOf', () => {
  it('counts deploys with their duration in seconds, and their result', () => {
    expect(countsOf(sampleEvent('deploy_completed'))).toEqual({
      deploy: { stack: 'demo', result: 'completed', seconds: 1.2 },
    });
    expect(countsOf(sampleEvent('deploy_failed')).deploy).toEqual({
      stack: 'demo',
      result: 'failed',
      seconds: 0.8,
    });
  });

  it('tells an agent restart from an operator restart', () => {
    expect(countsOf(sampleEvent('service_restarted')).restart).toEqual({
      stack: 'demo',
      service: 'web',
      by: 'agent',
    });
    const byOperator = {
      ...sampleEvent('service_restarted'),
      event_data: { stack: 'demo', service: 'web', instances: ['x'], reason: 'restart requested' },
    } as ReturnType<typeof sampleEvent>;
    expect(countsOf(byOperator).restart).toEqual({ stack: 'demo', service: 'web', by: 'operator' });
  });

  it('counts a healing action for exactly the healing-history event types, failed when the category is an error', () => {
    for (const type of EVENT_TYPES) {
      const healing = countsOf(sampleEvent(type)).healing;
      const category = EVENT_CATEGORIES[type];
      expect(healing !== undefined, type).toBe(category.healing);
      if (healing) expect(healing.result, type).toBe(category.error ? 'failure' : 'success');
    }
    expect(countsOf(sampleEvent('healing_action')).healing).toEqual({
      action: 'start_missing',
      result: 'success',
    });
    expect(countsOf(sampleEvent('service_rescheduled')).reschedule).toEqual({
      stack: 'demo',
      service: 'web',
    });
  });
});
