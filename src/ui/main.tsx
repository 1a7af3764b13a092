// The dashboard page: logs in (one-time token, saved session, or the form), keeps one MQTT
// connection, folds what arrives into the DashboardState and renders it. Operators get the
// actions (scale, restart, stop, heal) through the same request API as the CLI.
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { HistoryEntry } from '../protocol/event-categories.js';
import { HEALING_EVENT_TYPES } from '../protocol/event-categories.js';
import { eventSubject } from '../protocol/events.js';
import type { ReplyData, RequestBody } from '../protocol/requests.js';
import type { RequestMethod } from '../protocol/topics.js';
import {
  type Connection,
  type ConnectionStatus,
  clearedTopic,
  connect,
  type Login,
  type PageRole,
  RequestError,
} from './connection.js';
import {
  applyCleared,
  applyMessage,
  type DashboardState,
  emptyState,
  historyFromEvents,
  withGraphs,
} from './model.js';
import {
  forgetLogin,
  loadConfig,
  loginFromToken,
  type PageConfig,
  savedLogin,
  saveLogin,
} from './session.js';
import { EventsView, HistoryView, HostsView, type ServiceActions, StacksView } from './views.js';

type Outcome = { ok: boolean; text: string } | null;

function LoginForm({ onLogin, error }: { onLogin(login: Login): void; error: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      class="login"
      onSubmit={(e) => {
        e.preventDefault();
        onLogin({ username, password });
      }}
    >
      <h1>Alicia</h1>
      <p class="muted">Log in with a broker user (operator or viewer role).</p>
      {error ? <p class="error">{error}</p> : null}
      <label>
        user
        <input
          name="username"
          autocomplete="username"
          value={username}
          onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        password
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={username === ''}>
        log in
      </button>
      <button type="button" class="link" onClick={() => onLogin({})}>
        watch anonymously (a viewer, from this machine only)
      </button>
    </form>
  );
}

function Dashboard({
  config,
  login,
  onLogout,
}: {
  config: PageConfig;
  login: Login;
  onLogout(reason?: string): void;
}) {
  const [state, setState] = useState<DashboardState>(emptyState);
  const [status, setStatus] = useState<ConnectionStatus>('connecting');
  const [role, setRole] = useState<PageRole | null>(null);
  const [now, setNow] = useState(Date.now());
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [selected, setSelected] = useState<{ stack: string; service: string } | null>(null);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const conn = useRef<Connection | null>(null);

  const request = useCallback(
    <M extends RequestMethod>(method: M, body: RequestBody<M>): Promise<ReplyData<M>> => {
      const c = conn.current;
      if (!c) return Promise.reject(new RequestError('ALICIA_ERR_TRANSPORT_CLOSED', 'not connected'));
      return c.request(method, body);
    },
    [],
  );

  useEffect(() => {
    const c = connect(config.broker_ws_url, config.prefix, login, {
      onMessage: (message) => setState((s) => applyMessage(s, message, Date.now())),
      onCleared: (topic) => {
        const parsed = clearedTopic(topic, config.prefix);
        if (parsed) setState((s) => applyCleared(s, parsed));
      },
      onStatus: (next, detail) => {
        setStatus(next);
        if (next === 'refused') onLogout(`the broker refused the login: ${detail ?? ''}`);
      },
      onRole: setRole,
    });
    conn.current = c;
    // The console API (documented in docs/dashboard.md): what the buttons send, by hand.
    (window as unknown as { aliciaDashboard: unknown }).aliciaDashboard = {
      request: c.request,
      clientId: c.clientId,
    };
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      clearInterval(tick);
      c.close();
      conn.current = null;
    };
  }, [config, login, onLogout]);

  // Operators fetch the dependency graphs; again whenever a deploy or removal changes them.
  const lastEvent = state.events[0];
  const graphTrigger =
    lastEvent && /^(deploy_started|deploy_completed|stack_removed)$/.test(lastEvent.event_type)
      ? lastEvent.id
      : '';
  useEffect(() => {
    if (role !== 'operator' || status !== 'connected') return;
    request('graph', {}).then(
      (reply) => setState((s) => withGraphs(s, reply.stacks)),
      (err: unknown) => console.warn('alicia: graph request failed', err),
    );
  }, [role, status, graphTrigger, request]);

  // The selected service's healing history: from the orchestrator for operators, from the
  // events seen for viewers; refreshed when a healing event of that service arrives.
  const healingTrigger =
    lastEvent &&
    selected &&
    HEALING_EVENT_TYPES.has(lastEvent.event_type) &&
    eventSubject(lastEvent).service === selected.service
      ? lastEvent.id
      : '';
  useEffect(() => {
    if (!selected) return;
    if (role === 'operator') {
      request('history', { service: selected.service, limit: 50 }).then(
        (reply) => setHistory(reply.entries),
        (err: unknown) => setOutcome({ ok: false, text: `history: ${(err as Error).message}` }),
      );
    }
  }, [selected, role, healingTrigger, request]);
  const viewerHistory = selected ? historyFromEvents(state.events, selected.stack, selected.service) : [];

  const run = (label: string, action: () => Promise<string>) => {
    // As the CLI does: with no orchestrator online, say so now rather than time out.
    if (state.orchestrator?.state !== 'online') {
      setOutcome({ ok: false, text: `${label}: ALICIA_ERR_ORCHESTRATOR_OFFLINE: no orchestrator is online` });
      return;
    }
    setBusy(label);
    setOutcome(null);
    action()
      .then(
        (text) => setOutcome({ ok: true, text: `${label}: ${text}` }),
        (err: unknown) =>
          setOutcome({
            ok: false,
            text: `${label}: ${err instanceof RequestError ? `${err.code}: ` : ''}${(err as Error).message}`,
          }),
      )
      .finally(() => setBusy(null));
  };
  const actions: ServiceActions = {
    scale: (stack, service, replicas) =>
      run(`scale ${stack}/${service}=${replicas}`, async () => {
        const r = await request('scale', { stack, service, replicas });
        return `${r.from} → ${r.to} (${r.direction})`;
      }),
    restart: (stack, service) =>
      run(`restart ${stack}/${service}`, async () => {
        const r = await request('restart', { stack, service });
        return `restarted ${r.instances.join(', ') || 'nothing'}`;
      }),
    heal: (stack, service) =>
      run(`heal ${stack}/${service}`, async () => {
        const r = await request('heal', { stack, service });
        return `healing ${r.instances.join(', ') || 'nothing'}`;
      }),
    stop: (stack, service) => {
      if (!window.confirm(`Stop ${stack}/${service} and the services that depend on it?`)) return;
      run(`stop ${stack}/${service}`, async () => {
        const r = await request('stop', { stack, service });
        return `stopped ${r.stopped.join(', ') || 'nothing'}`;
      });
    },
    select: (stack, service) => {
      setHistory(null);
      setSelected({ stack, service });
    },
  };

  const operator = role === 'operator';
  return (
    <div class="app">
      <header>
        <h1>Alicia</h1>
        <span class={`badge ${status === 'connected' ? 'online' : 'offline'}`} data-testid="connection">
          {status}
        </span>
        <span class="badge" data-testid="role">
          {login.username ?? 'anonymous'} · {role ?? '…'}
        </span>
        <span class={`badge ${state.orchestrator?.state ?? 'unknown'}`}>
          orchestrator {state.orchestrator?.state ?? 'unknown'}
        </span>
        <nav>
          <a href="#hosts">hosts</a> <a href="#stacks">stacks</a> <a href="#events">events</a>
        </nav>
        <button type="button" class="link" onClick={() => onLogout()}>
          log out
        </button>
      </header>
      {outcome ? (
        <p class={`outcome ${outcome.ok ? 'ok' : 'bad'}`} data-testid="action-result" role="status">
          {outcome.text}
        </p>
      ) : busy ? (
        <p class="outcome" data-testid="action-busy">
          {busy}…
        </p>
      ) : null}
      <main>
        <HostsView state={state} now={now} />
        <StacksView state={state} operator={operator} actions={actions} busy={busy} />
        <HistoryView
          selected={selected}
          entries={operator ? history : viewerHistory}
          source={operator ? 'orchestrator' : 'events'}
          onClose={() => setSelected(null)}
        />
        <EventsView state={state} />
      </main>
    </div>
  );
}

function App() {
  const [config, setConfig] = useState<PageConfig | null>(null);
  const [login, setLogin] = useState<Login | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    (async () => {
      setConfig(await loadConfig());
      const fromToken = await loginFromToken();
      setLogin(fromToken ?? savedLogin());
    })().then(
      () => setReady(true),
      (err: unknown) => {
        setError(`cannot load the page's configuration: ${(err as Error).message}`);
        setReady(true);
      },
    );
  }, []);
  const onLogout = useCallback((reason?: string) => {
    forgetLogin();
    setLogin(null);
    setError(reason ?? null);
  }, []);

  if (!ready) return <p class="muted">Loading…</p>;
  if (!config) return <p class="error">{error}</p>;
  if (!login)
    return (
      <LoginForm
        error={error}
        onLogin={(l) => {
          saveLogin(l);
          setError(null);
          setLogin(l);
        }}
      />
    );
  return <Dashboard config={config} login={login} onLogout={onLogout} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
