// Where the dashboard may be served: a pure decision, so the CLI commands and the tests
// share it. The page itself holds no secret, but it is the door to the broker: on a
// non-loopback address it is only served when the broker has users (anonymous viewers are
// loopback-only by default, and an open broker would let anyone on the LAN act).
export type UiExposure = { ok: true } | { ok: false; reason: string };

/** 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * `secured`: the broker the page will talk to has users and roles (the orchestrator logs in
 * with a user name, or `alicia up` generated its users).
 */
export function decideUiExposure(host: string, secured: boolean): UiExposure {
  if (isLoopbackHost(host)) return { ok: true };
  if (secured) return { ok: true };
  return {
    ok: false,
    reason: `the dashboard is served on ${host} (not loopback) only when the broker has users: give the orchestrator --username/--password, or serve it on 127.0.0.1`,
  };
}
