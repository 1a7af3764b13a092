import { describe, expect, it } from 'vitest';
import { judgeSeq } from '../../../src/cli/event-gaps.js';

describe('judgeSeq: gaps in the event stream', () => {
  it('accepts the next seq, reports a jump within a session as a gap, a new session as a restart', () => {
    let mark = judgeSeq(null, { session: 3, seq: 7 }).mark;
    const next = judgeSeq(mark, { session: 3, seq: 8 });
    expect(next.verdict).toEqual({ kind: 'next' });
    mark = next.mark;
    const gap = judgeSeq(mark, { session: 3, seq: 20 });
    expect(gap.verdict).toEqual({ kind: 'gap', session: 3, from: 9, to: 19, lost: 11 });
    mark = gap.mark;
    // A restarted orchestrator continues above its old seq: expected, not a gap.
    const restart = judgeSeq(mark, { session: 4, seq: 10_000 });
    expect(restart.verdict).toEqual({ kind: 'restart', from: 3, to: 4 });
    mark = restart.mark;
    // QoS 1 redelivery and late events of an older session are repeats, and move nothing.
    expect(judgeSeq(mark, { session: 4, seq: 10_000 })).toEqual({ verdict: { kind: 'repeat' }, mark });
    expect(judgeSeq(mark, { session: 3, seq: 21 })).toEqual({ verdict: { kind: 'repeat' }, mark });
  });
});
