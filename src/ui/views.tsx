// The dashboard's views: hosts, stacks (dependency graph in layers with live colours and
// each service's row), events with filters, a service's healing history. They only render
// the DashboardState; actions go back to the App through callbacks.
import { useState } from 'preact/hooks';
import { describeEvent } from '../cli/event-view.js';
import { EVENT_CATEGORIES, type HistoryEntry } from '../protocol/event-categories.js';
import { type AliciaEvent, eventSubject, type ServiceState } from '../protocol/events.js';
import {
  type AgentView,
  type DashboardState,
  filterEvents,
  hostStatus,
  layersOf,
  serviceTone,
  stacksOf,
} from './model.js';

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
const time = (iso: string) => iso.slice(11, 19);

export function HostsView({ state, now }: { state: DashboardState; now: number }) {
  const agents = Object.values(state.agents).sort((a, b) => a.agent.localeCompare(b.agent));
  return (
    <section id="hosts">
      <h2>Hosts</h2>
      {agents.length === 0 ? <p class="muted">No agent has announced itself yet.</p> : null}
      <table data-testid="hosts">
        <thead>
          <tr>
            <th>host</th>
            <th>status</th>
            <th>hostname</th>
            <th>arch</th>
            <th>labels</th>
            <th>load</th>
            <th>memory</th>
            <th>containers</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <HostRow key={a.agent} agent={a} now={now} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function HostRow({ agent, now }: { agent: AgentView; now: number }) {
  const status = hostStatus(agent, now);
  const containers = agent.containers?.containers ?? [];
  const running = containers.filter((c) => c.state === 'running').length;
  const hb = agent.heartbeat;
  return (
    <tr data-testid={`host-${agent.agent}`} data-status={status}>
      <td>{agent.agent}</td>
      <td>
        <span class={`badge ${status}`}>{status}</span>
      </td>
      <td>{agent.info?.hostname ?? '—'}</td>
      <td>{agent.info?.arch ?? '—'}</td>
      <td>
        {Object.entries(agent.info?.labels ?? {}).map(([k, v]) => (
          <span key={k} class="label">
            {k}={v}
          </span>
        ))}
      </td>
      <td>{hb ? hb.load.map((l) => l.toFixed(2)).join(' ') : '—'}</td>
      <td>{hb ? `${mib(hb.mem.total_bytes - hb.mem.free_bytes)} / ${mib(hb.mem.total_bytes)}` : '—'}</td>
      <td data-testid={`host-${agent.agent}-containers`}>
        {running} running / {containers.length}
      </td>
    </tr>
  );
}

export interface ServiceActions {
  scale(stack: string, service: string, replicas: number): void;
  restart(stack: string, service: string): void;
  stop(stack: string, service: string): void;
  heal(stack: string, service: string): void;
  select(stack: string, service: string): void;
}

export function StacksView(props: {
  state: DashboardState;
  operator: boolean;
  actions: ServiceActions;
  busy: string | null;
}) {
  const { state } = props;
  const stacks = stacksOf(state);
  return (
    <section id="stacks">
      <h2>Stacks</h2>
      {stacks.length === 0 ? <p class="muted">No stack is deployed.</p> : null}
      {stacks.map((stack) => (
        <StackView key={stack} stack={stack} {...props} />
      ))}
    </section>
  );
}

function StackView(props: {
  stack: string;
  state: DashboardState;
  operator: boolean;
  actions: ServiceActions;
  busy: string | null;
}) {
  const { stack, state } = props;
  const deploy = state.deploys[stack];
  const layers = layersOf(state, stack);
  const graph = state.graphs[stack];
  const service = (name: string) => state.services[`${stack}/${name}`];
  return (
    <div class="stack" data-testid={`stack-${stack}`}>
      <h3>
        {stack}
        {deploy ? (
          <span class={`badge deploy-${deploy.phase}`} data-testid={`deploy-${stack}`}>
            deploy {deploy.phase}
          </span>
        ) : null}
      </h3>
      <div class="graph" data-testid={`graph-${stack}`}>
        {layers.map((layer, i) => (
          <div class="layer" key={i}>
            <div class="layer-title">{graph ? `layer ${i}` : 'services'}</div>
            {layer.map((name) => {
              const s = service(name);
              const deps = graph?.services.find((g) => g.service === name)?.depends_on ?? [];
              const progress = deploy?.phase === 'deploying' ? deploy.services[name] : undefined;
              return (
                <button
                  type="button"
                  key={name}
                  class={`node ${serviceTone(s)}`}
                  data-testid={`node-${stack}-${name}`}
                  onClick={() => props.actions.select(stack, name)}
                  title={
                    deps.length > 0
                      ? `depends on ${deps.map((d) => `${d.service} (${d.condition})`).join(', ')}`
                      : 'no dependencies'
                  }
                >
                  <strong>{name}</strong>
                  <span>{s ? `${s.running_replicas}/${s.desired_replicas} ${s.health}` : 'not started'}</span>
                  {deps.length > 0 ? (
                    <span class="deps">← {deps.map((d) => d.service).join(', ')}</span>
                  ) : null}
                  {progress ? (
                    <span class="progress">
                      {progress.status} ({(progress.elapsedMs / 1000).toFixed(1)}s)
                    </span>
                  ) : null}
                </button>
              );
            })}
          </div>
        ))}
      </div>
      <table data-testid={`services-${stack}`}>
        <thead>
          <tr>
            <th>service</th>
            <th>state</th>
            <th>health</th>
            <th>replicas</th>
            <th>hosts</th>
            <th>restarts</th>
            {props.operator ? <th>actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {layers.flat().map((name) => (
            <ServiceRow key={name} {...props} stack={stack} name={name} s={service(name)} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ServiceRow(props: {
  stack: string;
  name: string;
  s: ServiceState | undefined;
  operator: boolean;
  actions: ServiceActions;
  busy: string | null;
}) {
  const { stack, name, s, actions } = props;
  const [replicas, setReplicas] = useState<string>('');
  const busy = props.busy !== null;
  const restarts = s?.instances.reduce((n, i) => n + i.restarts, 0) ?? 0;
  return (
    <tr data-testid={`service-${stack}-${name}`} class={serviceTone(s)}>
      <td>
        <button type="button" class="link" onClick={() => actions.select(stack, name)}>
          {name}
        </button>
      </td>
      <td>{s?.state ?? '—'}</td>
      <td>{s?.health ?? '—'}</td>
      <td data-testid={`replicas-${stack}-${name}`}>
        {s ? `${s.running_replicas}/${s.desired_replicas}` : '—'}
      </td>
      <td>{s?.hosts.join(', ') ?? '—'}</td>
      <td>{restarts}</td>
      {props.operator ? (
        <td class="actions">
          <input
            type="number"
            min={0}
            max={100}
            placeholder={String(s?.desired_replicas ?? 1)}
            value={replicas}
            onInput={(e) => setReplicas((e.target as HTMLInputElement).value)}
            data-testid={`scale-input-${stack}-${name}`}
            aria-label={`replicas of ${name}`}
          />
          <button
            type="button"
            disabled={busy || replicas === ''}
            data-testid={`scale-${stack}-${name}`}
            onClick={() => actions.scale(stack, name, Number(replicas))}
          >
            scale
          </button>
          <button type="button" disabled={busy} onClick={() => actions.restart(stack, name)}>
            restart
          </button>
          <button type="button" disabled={busy} onClick={() => actions.heal(stack, name)}>
            heal
          </button>
          <button type="button" disabled={busy} class="danger" onClick={() => actions.stop(stack, name)}>
            stop
          </button>
        </td>
      ) : null}
    </tr>
  );
}

export const EVENT_FILTERS = [
  'all',
  'deploy_',
  'service_',
  'agent_',
  'healing_action',
  'orchestration_error',
];

export function EventsView({ state }: { state: DashboardState }) {
  const [type, setType] = useState('all');
  const [stack, setStack] = useState('all');
  const [text, setText] = useState('');
  const shown = filterEvents(state.events, { type, stack, text }).slice(0, 200);
  return (
    <section id="events">
      <h2>Events</h2>
      <div class="filters">
        <select
          value={type}
          onChange={(e) => setType((e.target as HTMLSelectElement).value)}
          aria-label="type"
        >
          {EVENT_FILTERS.map((f) => (
            <option key={f} value={f}>
              {f === 'all' ? 'all types' : f.endsWith('_') ? `${f}*` : f}
            </option>
          ))}
        </select>
        <select
          value={stack}
          onChange={(e) => setStack((e.target as HTMLSelectElement).value)}
          aria-label="stack"
        >
          <option value="all">all stacks</option>
          {stacksOf(state).map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="service or host"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          data-testid="event-filter-text"
        />
        <span class="muted">
          {shown.length} of {state.events.length}
        </span>
      </div>
      <ol class="events" data-testid="events">
        {shown.map((e) => (
          <EventRow key={e.id} event={e} />
        ))}
      </ol>
    </section>
  );
}

function EventRow({ event }: { event: AliciaEvent }) {
  const subject = eventSubject(event);
  const where = [subject.stack, subject.service].filter(Boolean).join('/') || subject.agent || '';
  return (
    <li class={`event ${toneOfEvent(event)}`} data-type={event.event_type}>
      <time>{time(event.timestamp)}</time>
      <code>{event.event_type}</code>
      <span class="where">{where}</span>
      <span class="detail">{describeEvent(event)}</span>
    </li>
  );
}

/** An event's colour: failures red, healing amber (the protocol's categories), the rest green. */
function toneOfEvent(event: AliciaEvent): string {
  const category = EVENT_CATEGORIES[event.event_type];
  if (category.error) return 'bad';
  if (category.recovery || event.event_type === 'agent_suspect') return 'warn';
  return 'ok';
}

export function HistoryView(props: {
  selected: { stack: string; service: string } | null;
  entries: readonly HistoryEntry[] | null;
  source: 'orchestrator' | 'events';
  onClose(): void;
}) {
  if (!props.selected) return null;
  const { stack, service } = props.selected;
  return (
    <section id="history" data-testid="history">
      <h2>
        Healing history of {stack}/{service}
        <button type="button" class="link" onClick={props.onClose}>
          close
        </button>
      </h2>
      <p class="muted">
        {props.source === 'orchestrator'
          ? 'From the orchestrator (history request).'
          : 'From the events seen since this page opened (viewers may not send requests).'}
      </p>
      {props.entries === null ? <p class="muted">Loading…</p> : null}
      {props.entries !== null && props.entries.length === 0 ? <p class="muted">No healing action.</p> : null}
      <table>
        <tbody>
          {(props.entries ?? []).map((h, i) => (
            <tr key={`${h.time}-${i}`} class={h.success ? 'ok' : 'bad'}>
              <td>{time(h.time)}</td>
              <td>
                <code>{h.action}</code>
              </td>
              <td>{h.instance ?? ''}</td>
              <td>{h.reason ?? ''}</td>
              <td>{h.success ? 'ok' : 'failed'}</td>
              <td>{h.recovery_ms !== null ? `${(h.recovery_ms / 1000).toFixed(1)} s` : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
