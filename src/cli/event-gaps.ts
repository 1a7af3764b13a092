// Noticing lost events on the subscriber side: within one orchestrator session `seq` grows
// by one per event, so a jump is a gap nobody can fill any more (QoS 1 with a persistent
// session fills what was queued; a gap left after that is reported). A new session is a
// restart of the orchestrator: its seq continues above the old one's, a jump there is expected.
// Pure: the caller prints what it returns.

export interface SeqMark {
  readonly session: number;
  readonly seq: number;
}

export type SeqVerdict =
  | { readonly kind: 'next' }
  | { readonly kind: 'first' }
  | {
      readonly kind: 'gap';
      readonly session: number;
      readonly from: number;
      readonly to: number;
      readonly lost: number;
    }
  | { readonly kind: 'restart'; readonly from: number; readonly to: number }
  /** Already seen (a QoS 1 redelivery, or an event of an older session arriving late). */
  | { readonly kind: 'repeat' };

/** Judges an event's (session, seq) against the last one seen; returns the verdict and the new mark. */
export function judgeSeq(last: SeqMark | null, event: SeqMark): { verdict: SeqVerdict; mark: SeqMark } {
  if (last === null) return { verdict: { kind: 'first' }, mark: event };
  if (event.session < last.session) return { verdict: { kind: 'repeat' }, mark: last };
  if (event.session > last.session) {
    return { verdict: { kind: 'restart', from: last.session, to: event.session }, mark: event };
  }
  if (event.seq <= last.seq) return { verdict: { kind: 'repeat' }, mark: last };
  if (event.seq === last.seq + 1) return { verdict: { kind: 'next' }, mark: event };
  return {
    verdict: {
      kind: 'gap',
      session: event.session,
      from: last.seq + 1,
      to: event.seq - 1,
      lost: event.seq - last.seq - 1,
    },
    mark: event,
  };
}
