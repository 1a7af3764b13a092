// Views of the cluster: per-service state (retained on alicia/stacks/<stack>/services/<service>/state),
// the system health summary (retained on alicia/orchestrator/health), and the rows of
// `ps` and `agents`.
import type { TimerHandle } from '../clock/index.js';
import type { Assignment } from '../core/deploy/index.js';
import { holdsOnHost } from '../core/placement/index.js';
import { isOneShotRestart } from '../core/restart-policy.js';
import type { AgentRow, Health, InstanceState, ServiceState, SystemHealth } from '../protocol/index.js';
import { PROTOCOL_VERSION } from '../protocol/index.js';
import type { Context } from './context.js';
import type { StackRecord } from './store.js';

const HEALING_EVENTS = new Set([
  'service_restarted',
  'service_recovered',
  'service_rescheduled',
  'healing_action',
] as const);

export function desiredReplicas(record: StackRecord, service: string): number {
  if (record.stopped.includes(service)) return 0;
  return record.scale[service] ?? record.stack.services[service]?.replicas ?? 0;
}

function instanceRows(ctx: Context, assignments: readonly Assignment[]): ServiceState['instances'] {
  return assignments.map((a) => {
    const report = ctx.registry.report(a.agent, a.instance);
    const reachable = ctx.registry.status(a.agent) === 'online';
    const current = report?.spec_hash === a.spec_hash ? report : undefined;
    return {
      instance: a.instance,
      // A moved instance says which incarnation it is (the lost copy had another id).
      ...(a.incarnation !== undefined && a.incarnation > 0 ? { incarnation: a.incarnation } : {}),
      agent: a.agent,
      container_id: current?.container_id ?? null,
      // What an unreachable host runs is not known.
      state: reachable ? (current?.state ?? 'unknown') : 'unknown',
      health: reachable ? (current?.health ?? 'unknown') : 'unknown',
      restarts: current?.restarts ?? 0,
      started_at: current?.started_at ?? null,
      exit_code: current?.exit_code ?? null,
      ...(reachable && current?.crash_loop
        ? {
            crash_loop: {
              exit_code: current.crash_loop.exit_code,
              restarts: current.crash_loop.restarts,
              since: current.crash_loop.since,
            },
          }
        : {}),
    };
  });
}

function summarize(
  rows: ServiceState['instances'],
  desired: number,
): { state: InstanceState; health: Health } {
  if (rows.length === 0) return { state: desired === 0 ? 'stopped' : 'unknown', health: 'unknown' };
  const states = rows.map((r) => r.state);
  const healths = rows.map((r) => r.health);
  let state: InstanceState = 'unknown';
  if (states.every((s) => s === 'running')) state = 'running';
  else if (states.some((s) => s === 'failed')) state = 'failed';
  else if (states.some((s) => s === 'starting')) state = 'starting';
  else if (states.some((s) => s === 'stopping')) state = 'stopping';
  else if (states.every((s) => s === 'stopped')) state = 'stopped';
  let health: Health = 'unknown';
  if (healths.every((h) => h === 'none')) health = 'none';
  else if (healths.every((h) => h === 'healthy' || h === 'none')) health = 'healthy';
  else if (healths.every((h) => h === 'unhealthy')) health = 'unhealthy';
  else if (healths.some((h) => h === 'recovering')) health = 'recovering';
  else if (healths.some((h) => h === 'unhealthy' || h === 'degraded')) health = 'degraded';
  return { state, health };
}

export function serviceState(ctx: Context, record: StackRecord, service: string): ServiceState {
  const assignments = record.assignments.filter((a) => a.service === service);
  const rows = instanceRows(ctx, assignments);
  const oneShot = isOneShotRestart(record.stack.services[service]?.restart ?? 'no');
  const desired = desiredReplicas(record, service);
  const { state, health } = summarize(rows, desired);
  return {
    v: PROTOCOL_VERSION,
    ts: ctx.now(),
    stack: record.name,
    service,
    desired_replicas: desired,
    running_replicas: rows.filter((r) => r.state === 'running').length,
    healthy_replicas: rows.filter(
      (r) => r.state === 'running' && (r.health === 'healthy' || r.health === 'none'),
    ).length,
    completed_replicas: oneShot ? rows.filter((r) => r.state === 'stopped' && r.exit_code === 0).length : 0,
    state,
    health,
    hosts: [...new Set(assignments.map((a) => a.agent))].sort(),
    depends_on: Object.keys(record.stack.services[service]?.depends_on ?? {}).sort(),
    ...(circuitNote(ctx, record, service).note !== undefined
      ? circuitNote(ctx, record, service)
      : waitingNote(ctx, record, assignments)),
    instances: rows,
  };
}

/** Why a service or its dependents stand still: its own open circuit, or a dependency's (transitively). */
function circuitNote(ctx: Context, record: StackRecord, service: string): { note?: string } {
  const own = ctx.healing.circuitOf(record.name, service);
  if (own?.state === 'open') {
    return { note: `circuit open: ${own.reason ?? 'healing stopped'}; alicia heal ${service} closes it` };
  }
  const seen = new Set<string>([service]);
  const queue = Object.keys(record.stack.services[service]?.depends_on ?? {});
  while (queue.length > 0) {
    const dep = queue.shift() as string;
    if (seen.has(dep)) continue;
    seen.add(dep);
    const c = ctx.healing.circuitOf(record.name, dep);
    if (c?.state === 'open') {
      return { note: `dependency ${dep} failed (circuit open): ${c.reason ?? 'healing stopped'}` };
    }
    queue.push(...Object.keys(record.stack.services[dep]?.depends_on ?? {}));
  }
  return {};
}

/** A service with data on a host that is not online waits for that host (docs/hosts.md). */
function waitingNote(
  ctx: Context,
  record: StackRecord,
  assignments: readonly Assignment[],
): { note?: string } {
  for (const a of assignments) {
    if (ctx.registry.status(a.agent) === 'online') continue;
    const spec = record.specs[a.spec_hash];
    const service = record.stack.services[a.service];
    const holds = spec !== undefined ? holdsOnHost(spec, service?.x_alicia.movable) : undefined;
    if (holds === undefined || service === undefined) continue;
    return { note: `waiting for ${a.agent}, which holds its data (${holds})` };
  }
  return {};
}

export function allServiceStates(ctx: Context, stack?: string): ServiceState[] {
  const out: ServiceState[] = [];
  for (const record of Object.values(ctx.state.stacks).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (stack !== undefined && record.name !== stack) continue;
    const intent = ctx.state.intents[record.name];
    const note =
      intent === undefined
        ? undefined
        : intent.kind === 'down'
          ? 'down in progress'
          : `${intent.op} in progress`;
    for (const service of Object.keys(record.stack.services).sort()) {
      const row = serviceState(ctx, record, service);
      out.push(note === undefined ? row : { ...row, note });
    }
  }
  // Stacks taken down whose containers are still on hosts that were offline: shown, with why.
  for (const [name, intent] of Object.entries(ctx.state.intents).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (intent.kind !== 'down' || ctx.state.stacks[name] !== undefined) continue;
    if (stack !== undefined && name !== stack) continue;
    const left = ctx.registry.reports().filter((r) => r.stack === name);
    for (const service of [...new Set(left.map((r) => r.service))].sort()) {
      const mine = left.filter((r) => r.service === service);
      const hosts = [...new Set(mine.map((r) => r.agent))].sort();
      out.push({
        v: PROTOCOL_VERSION,
        ts: ctx.now(),
        stack: name,
        service,
        desired_replicas: 0,
        running_replicas: mine.filter((r) => r.state === 'running').length,
        healthy_replicas: 0,
        completed_replicas: 0,
        state: 'stopping',
        health: 'unknown',
        hosts,
        note: `taken down; removal pending on offline host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')}`,
        instances: [],
      });
    }
  }
  return out;
}

export function systemHealth(ctx: Context, startedMs: number): SystemHealth {
  const states = allServiceStates(ctx);
  const byState: Record<string, number> = {};
  for (const s of states) byState[s.state] = (byState[s.state] ?? 0) + 1;
  const counted = states.filter((s) => s.desired_replicas > 0);
  const good = counted.filter((s) => s.healthy_replicas + s.completed_replicas >= s.desired_replicas).length;
  const agents = { online: 0, suspect: 0, offline: 0 };
  for (const e of ctx.registry.list()) {
    const status = e.liveness?.status;
    if (status !== undefined) agents[status] += 1;
  }
  return {
    v: PROTOCOL_VERSION,
    ts: ctx.now(),
    uptime_s: Math.max(0, (ctx.now() - startedMs) / 1000),
    services_by_state: byState,
    health_percentage: counted.length === 0 ? 100 : Math.round((good / counted.length) * 1000) / 10,
    restarts: states.reduce((sum, s) => sum + s.instances.reduce((n, i) => n + i.restarts, 0), 0),
    healing_actions: ctx.events.history({ types: HEALING_EVENTS, limit: 1_000 }).length,
    agents,
  };
}

export function agentRows(ctx: Context): AgentRow[] {
  const now = ctx.now();
  return ctx.registry.list().map((e) => ({
    agent: e.id,
    status: e.liveness?.status ?? 'unknown',
    session: e.liveness?.session ?? null,
    hostname: e.info?.hostname ?? null,
    ...(e.info?.address !== undefined ? { address: e.info.address } : {}),
    arch: e.info?.arch ?? null,
    os: e.info?.os ?? null,
    role: e.info?.role ?? null,
    labels: e.info?.labels ?? {},
    last_seen_ms_ago: e.liveness ? now - e.liveness.lastSeenMs : null,
    containers: e.containers?.containers.length ?? 0,
    running: e.containers?.containers.filter((c) => c.state === 'running').length ?? 0,
    docker_version: e.info?.docker_version ?? null,
    agent_version: e.info?.agent_version ?? null,
  }));
}

/**
 * Publishes retained service states and the health summary when they change (debounced),
 * and the health summary at least every `healthEveryMs`.
 */
export function createStatusPublisher(ctx: Context, options: { startedMs: number; healthEveryMs?: number }) {
  const last = new Map<string, string>();
  let lastHealth = '';
  let timer: TimerHandle | null = null;
  let closed = false;

  const publishAll = async (): Promise<void> => {
    for (const state of allServiceStates(ctx)) {
      const topic = ctx.topics.serviceState(state.stack, state.service);
      const key = JSON.stringify({ ...state, ts: 0 });
      if (last.get(topic) === key) continue;
      last.set(topic, key);
      await ctx.transport.publish(topic, state, { qos: 1, retain: true });
    }
    const health = systemHealth(ctx, options.startedMs);
    const key = JSON.stringify({ ...health, ts: 0, uptime_s: 0 });
    if (key !== lastHealth) {
      lastHealth = key;
      await ctx.transport.publish(ctx.topics.orchestratorHealth, health, { qos: 1, retain: true });
    }
  };
  const refresh = (): void => {
    if (timer || closed) return;
    timer = ctx.clock.setTimeout(() => {
      timer = null;
      publishAll().catch((err: unknown) => ctx.log.warn({ err }, 'status not published'));
    }, 100);
  };
  const heartbeat = ctx.clock.setInterval(() => {
    lastHealth = '';
    refresh();
  }, options.healthEveryMs ?? 10_000);

  return {
    refresh,
    /** Clears the retained state of a removed stack's services. */
    async clear(record: StackRecord): Promise<void> {
      for (const service of Object.keys(record.stack.services)) {
        const topic = ctx.topics.serviceState(record.name, service);
        last.delete(topic);
        await ctx.transport.clearRetained(topic);
      }
    },
    close(): void {
      closed = true;
      ctx.clock.clearInterval(heartbeat);
      ctx.clock.clearTimeout(timer);
    },
  };
}
