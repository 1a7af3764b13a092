// Alicia's own settings, under `x-alicia` (per service and at the top level). Durations are
// Compose strings in the file ("10s") and milliseconds in the model. Unlike other `x-*`
// keys these are checked strictly: a misspelt setting would otherwise be silently dropped.
import { type FileContext, fail, type KeyPath } from './diagnostics.js';
import { readDuration } from './healthcheck.js';
import type { HttpProbeLayer, ServiceXAliciaLayer, StackXAliciaLayer, TcpProbeLayer } from './layer.js';
import type { Backoff } from './model.js';
import { checkKeys, readBool, readInt, readMap, readString, readStringList } from './read.js';

const SERVICE_KEYS = [
  'hosts',
  'probe',
  'backoff',
  'unhealthy_threshold',
  'start_probe',
  'priority',
  'category',
  'movable',
];
const STACK_KEYS = ['backoff', 'startup_timeout'];
const BACKOFF_KEYS = ['min', 'max', 'reset_after', 'max_attempts'];

export function readServiceXAlicia(ctx: FileContext, path: KeyPath, value: unknown): ServiceXAliciaLayer {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, SERVICE_KEYS, 'ALICIA_ERR_COMPOSE_INVALID', false);
  const out: ServiceXAliciaLayer = {};
  if (present(map.hosts)) {
    out.hosts = readStringList(ctx, [...path, 'hosts'], map.hosts, true);
    out.hosts.forEach((host, index) => {
      if (host.trim() === '') fail(ctx, [...path, 'hosts', index], 'a host name must not be empty');
    });
  }
  if (present(map.probe)) {
    const probePath = [...path, 'probe'];
    const probe = readMap(ctx, probePath, map.probe);
    checkKeys(ctx, probePath, probe, ['http', 'tcp'], 'ALICIA_ERR_COMPOSE_INVALID', false);
    out.probe = {};
    if (present(probe.http)) out.probe.http = readHttpProbe(ctx, [...probePath, 'http'], probe.http);
    if (present(probe.tcp)) out.probe.tcp = readTcpProbe(ctx, [...probePath, 'tcp'], probe.tcp);
  }
  if (present(map.backoff)) out.backoff = readBackoff(ctx, [...path, 'backoff'], map.backoff);
  if (present(map.unhealthy_threshold)) {
    out.unhealthy_threshold = readInt(ctx, [...path, 'unhealthy_threshold'], map.unhealthy_threshold, 1);
  }
  if (present(map.start_probe)) {
    out.start_probe = readBool(ctx, [...path, 'start_probe'], map.start_probe);
  }
  if (present(map.priority)) {
    out.priority = readInt(ctx, [...path, 'priority'], map.priority, Number.MIN_SAFE_INTEGER);
  }
  if (present(map.category)) out.category = readString(ctx, [...path, 'category'], map.category);
  if (present(map.movable)) out.movable = readBool(ctx, [...path, 'movable'], map.movable);
  return out;
}

export function readStackXAlicia(ctx: FileContext, path: KeyPath, value: unknown): StackXAliciaLayer {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, STACK_KEYS, 'ALICIA_ERR_COMPOSE_INVALID', false);
  const out: StackXAliciaLayer = {};
  if (present(map.backoff)) out.backoff = readBackoff(ctx, [...path, 'backoff'], map.backoff);
  if (present(map.startup_timeout)) {
    out.startup_timeout_ms = positive(ctx, [...path, 'startup_timeout'], map.startup_timeout);
  }
  return out;
}

function readBackoff(ctx: FileContext, path: KeyPath, value: unknown): Partial<Backoff> {
  const map = readMap(ctx, path, value);
  checkKeys(ctx, path, map, BACKOFF_KEYS, 'ALICIA_ERR_COMPOSE_INVALID', false);
  const out: Partial<Backoff> = {};
  if (present(map.min)) out.min_ms = readDuration(ctx, [...path, 'min'], map.min);
  if (present(map.max)) out.max_ms = positive(ctx, [...path, 'max'], map.max);
  if (present(map.reset_after)) out.reset_after_ms = positive(ctx, [...path, 'reset_after'], map.reset_after);
  if (present(map.max_attempts)) {
    out.max_attempts = readInt(ctx, [...path, 'max_attempts'], map.max_attempts, 1);
  }
  return out;
}

function readHttpProbe(ctx: FileContext, path: KeyPath, value: unknown): HttpProbeLayer {
  const map = readMap(ctx, path, value);
  checkKeys(
    ctx,
    path,
    map,
    ['url', 'interval', 'timeout', 'expect_status', 'degraded_after', 'start_period'],
    'ALICIA_ERR_COMPOSE_INVALID',
    false,
  );
  const out: HttpProbeLayer = {};
  if (present(map.url)) {
    const url = readString(ctx, [...path, 'url'], map.url);
    if (!/^https?:\/\/[^/\s]+/.test(url) || !URL.canParse(url)) {
      fail(ctx, [...path, 'url'], `"${url}" is not an http(s) URL; e.g. http://127.0.0.1:8080/healthz`);
    }
    out.url = url;
  }
  if (present(map.interval)) out.interval_ms = positive(ctx, [...path, 'interval'], map.interval);
  if (present(map.timeout)) out.timeout_ms = positive(ctx, [...path, 'timeout'], map.timeout);
  if (present(map.degraded_after)) {
    out.degraded_after_ms = positive(ctx, [...path, 'degraded_after'], map.degraded_after);
  }
  if (present(map.start_period)) {
    out.start_period_ms = readDuration(ctx, [...path, 'start_period'], map.start_period);
  }
  if (present(map.expect_status)) {
    const statusPath = [...path, 'expect_status'];
    const list = Array.isArray(map.expect_status) ? map.expect_status : [map.expect_status];
    out.expect_status = list.map((item, index) => {
      const at = Array.isArray(map.expect_status) ? [...statusPath, index] : statusPath;
      const status = readInt(ctx, at, item, 100);
      if (status > 599) fail(ctx, at, `${status} is not an HTTP status (100-599)`);
      return status;
    });
  }
  return out;
}

function readTcpProbe(ctx: FileContext, path: KeyPath, value: unknown): TcpProbeLayer {
  const map = readMap(ctx, path, value);
  checkKeys(
    ctx,
    path,
    map,
    ['host', 'port', 'interval', 'timeout', 'start_period'],
    'ALICIA_ERR_COMPOSE_INVALID',
    false,
  );
  const out: TcpProbeLayer = {};
  if (present(map.host)) out.host = readString(ctx, [...path, 'host'], map.host);
  if (present(map.port)) {
    out.port = readInt(ctx, [...path, 'port'], map.port, 1);
    if (out.port > 65535) fail(ctx, [...path, 'port'], `${out.port} is not a port (1-65535)`);
  }
  if (present(map.interval)) out.interval_ms = positive(ctx, [...path, 'interval'], map.interval);
  if (present(map.timeout)) out.timeout_ms = positive(ctx, [...path, 'timeout'], map.timeout);
  if (present(map.start_period)) {
    out.start_period_ms = readDuration(ctx, [...path, 'start_period'], map.start_period);
  }
  return out;
}

function positive(ctx: FileContext, path: KeyPath, value: unknown): number {
  const ms = readDuration(ctx, path, value);
  if (ms === 0) fail(ctx, path, 'must be longer than 0s');
  return ms;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}
