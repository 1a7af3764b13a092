// Agent liveness as a pure transition function. The adapter feeds it presence messages
// (retained `online`, the will's `offline`), heartbeats, and a tick on a timer with `now`;
// it returns the next record and the events to publish. No clock, no I/O.
//
// Rules (Nomad heartbeat.go and Sparkplug B bdSeq, adapted):
// - `suspect` once no heartbeat came for more than 1.5 × the heartbeat interval;
// - `offline` on the agent's will (or a clean offline), or once no heartbeat came for 3 ×
//   the interval (heartbeat TTL);
// - a presence or heartbeat carrying an older session than the one we know is ignored, so
//   a late will from a previous connection never marks a live agent offline.

export type AgentStatus = 'online' | 'suspect' | 'offline';

export interface LivenessSettings {
  /** Interval the agents heartbeat at (ms). */
  heartbeatMs: number;
  /** Missed-heartbeat window before `suspect`, as a multiple of heartbeatMs (1.5). */
  suspectFactor?: number;
  /** Heartbeat TTL before `offline`, as a multiple of heartbeatMs (3). */
  offlineFactor?: number;
}

export interface AgentLiveness {
  readonly id: string;
  readonly status: AgentStatus;
  /** Newest session seen for this agent (its connect counter). */
  readonly session: number;
  /** When we last heard from it (heartbeat or online presence), ms. */
  readonly lastSeenMs: number;
  /** When `status` last changed, ms. */
  readonly sinceMs: number;
  /** Why it is offline: its own presence (will / clean stop) or missed heartbeats. */
  readonly offlineBy: 'presence' | 'ttl' | null;
}

export type LivenessEventType = 'agent_online' | 'agent_suspect' | 'agent_offline';

export interface LivenessEvent {
  readonly type: LivenessEventType;
  readonly agent: string;
  readonly session: number;
  readonly reason: string;
}

export interface LivenessResult {
  readonly record: AgentLiveness;
  readonly events: readonly LivenessEvent[];
}

export interface PresenceInput {
  readonly state: 'online' | 'offline';
  readonly session: number;
}

export interface HeartbeatInput {
  readonly session: number;
}

function transition(
  record: AgentLiveness,
  status: AgentStatus,
  now: number,
  reason: string,
  patch: Partial<AgentLiveness> = {},
): LivenessResult {
  const next: AgentLiveness = { ...record, ...patch, status, sinceMs: now };
  const type: LivenessEventType =
    status === 'online' ? 'agent_online' : status === 'suspect' ? 'agent_suspect' : 'agent_offline';
  return { record: next, events: [{ type, agent: record.id, session: next.session, reason }] };
}

/** Applies an agent's presence message (retained state or will). */
export function applyPresence(
  current: AgentLiveness | undefined,
  id: string,
  presence: PresenceInput,
  now: number,
): LivenessResult {
  if (current === undefined) {
    const record: AgentLiveness = {
      id,
      status: presence.state,
      session: presence.session,
      lastSeenMs: now,
      sinceMs: now,
      offlineBy: presence.state === 'offline' ? 'presence' : null,
    };
    const type: LivenessEventType = presence.state === 'online' ? 'agent_online' : 'agent_offline';
    return {
      record,
      events: [{ type, agent: id, session: presence.session, reason: `presence ${presence.state}` }],
    };
  }
  // A late will from an older connection: the agent has reconnected since.
  if (presence.session < current.session) return { record: current, events: [] };
  if (presence.state === 'online') {
    const patch = { session: presence.session, lastSeenMs: now, offlineBy: null };
    if (current.status === 'online') return { record: { ...current, ...patch }, events: [] };
    return transition(current, 'online', now, `presence online (session ${presence.session})`, patch);
  }
  const patch = { session: presence.session, offlineBy: 'presence' as const };
  if (current.status === 'offline') return { record: { ...current, ...patch }, events: [] };
  return transition(current, 'offline', now, `presence offline (session ${presence.session})`, patch);
}

/** Applies a heartbeat: proof of life for its session. */
export function applyHeartbeat(
  current: AgentLiveness | undefined,
  id: string,
  heartbeat: HeartbeatInput,
  now: number,
): LivenessResult {
  if (current === undefined) {
    const record: AgentLiveness = {
      id,
      status: 'online',
      session: heartbeat.session,
      lastSeenMs: now,
      sinceMs: now,
      offlineBy: null,
    };
    return {
      record,
      events: [{ type: 'agent_online', agent: id, session: heartbeat.session, reason: 'heartbeat' }],
    };
  }
  if (heartbeat.session < current.session) return { record: current, events: [] };
  // The agent said goodbye for this session (will or clean stop): a stray heartbeat of the
  // same session, delivered late (QoS 0), does not bring it back.
  if (
    current.status === 'offline' &&
    current.offlineBy === 'presence' &&
    heartbeat.session === current.session
  ) {
    return { record: current, events: [] };
  }
  const patch = { session: heartbeat.session, lastSeenMs: now, offlineBy: null };
  if (current.status === 'online') return { record: { ...current, ...patch }, events: [] };
  return transition(current, 'online', now, 'heartbeat resumed', patch);
}

/** Called on a timer: turns missed heartbeats into `suspect`, then `offline`. */
export function tickLiveness(
  current: AgentLiveness,
  now: number,
  settings: LivenessSettings,
): LivenessResult {
  const silentMs = now - current.lastSeenMs;
  const suspectAfter = settings.heartbeatMs * (settings.suspectFactor ?? 1.5);
  const offlineAfter = settings.heartbeatMs * (settings.offlineFactor ?? 3);
  if (current.status !== 'offline' && silentMs > offlineAfter) {
    return transition(current, 'offline', now, `no heartbeat for ${silentMs} ms (ttl ${offlineAfter} ms)`, {
      offlineBy: 'ttl',
    });
  }
  if (current.status === 'online' && silentMs > suspectAfter) {
    return transition(current, 'suspect', now, `no heartbeat for ${silentMs} ms`);
  }
  return { record: current, events: [] };
}

/**
 * The orchestrator was cut off from the broker (it heard nothing, but the agents may have
 * kept heartbeating): silence while it was blind is no evidence. On reconnect every agent
 * not known offline counts as heard from `now`, so none is called suspect or lost before a
 * full heartbeat TTL (after `graceMs`) of fresh sight has passed without its heartbeat.
 */
export function restoreSight(record: AgentLiveness, now: number, graceMs = 0): AgentLiveness {
  // `graceMs`: the agents were cut off too and reconnect on their own backoff; until it has
  // run out their silence is not yet evidence either.
  const from = now + graceMs;
  if (record.status === 'offline' || record.lastSeenMs >= from) return record;
  return { ...record, lastSeenMs: from };
}
