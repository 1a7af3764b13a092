// How the page logs in: a one-time token from the URL printed by `alicia up` (exchanged
// once with the page's server for the operator's credentials), else a login form (broker
// user name and password, or anonymous: a viewer from loopback). Credentials live in
// sessionStorage only: gone when the tab closes, never in the URL after the exchange.
import type { Login } from './connection.js';

const KEY = 'alicia-dashboard-login';

export interface PageConfig {
  broker_ws_url: string;
  prefix: string;
}

export async function loadConfig(): Promise<PageConfig> {
  const res = await fetch('config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as PageConfig;
}

export function savedLogin(): Login | null {
  const text = sessionStorage.getItem(KEY);
  if (text === null) return null;
  try {
    return JSON.parse(text) as Login;
  } catch {
    return null;
  }
}

export function saveLogin(login: Login): void {
  sessionStorage.setItem(KEY, JSON.stringify(login));
}

export function forgetLogin(): void {
  sessionStorage.removeItem(KEY);
}

/** Spends the `#token=…` of the address bar, if any, and removes it from the bar and history. */
export async function loginFromToken(): Promise<Login | null> {
  const match = /(?:^|[#&])token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (!match) return null;
  history.replaceState(null, '', window.location.pathname + window.location.search);
  const res = await fetch('token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: match[1] }),
  });
  if (!res.ok) return null;
  const credentials = (await res.json()) as { username: string; password: string };
  const login = { username: credentials.username, password: credentials.password };
  saveLogin(login);
  return login;
}
