// Docker's inspect output -> RuntimeContainer, and Docker's errors -> Alicia's codes.
import type Docker from 'dockerode';
import { type AliciaError, aliciaError, isAliciaError } from '../../src/core/errors.js';
import { LABELS } from './labels.js';
import type { RuntimeContainer, RuntimeHealth, RuntimeState } from './types.js';

const STATES: readonly RuntimeState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
];
const HEALTHS: readonly RuntimeHealth[] = ['starting', 'healthy', 'unhealthy', 'none'];

/** Docker writes 0001-01-01T00:00:00Z for "never". */
export function dockerTime(value: string | undefined): number | null {
  if (value === undefined || value.startsWith('0001-01-01')) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function portNumbers(keys: Iterable<string>): number[] {
  const out = new Set<number>();
  for (const key of keys) {
    const n = Number.parseInt(key, 10);
    if (Number.isInteger(n) && n > 0) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

export function fromInspect(info: Docker.ContainerInspectInfo): RuntimeContainer {
  const labels = info.Config?.Labels ?? {};
  const status = info.State?.Status as RuntimeState | undefined;
  const state: RuntimeState = status !== undefined && STATES.includes(status) ? status : 'dead';
  const rawHealth = info.State?.Health?.Status as RuntimeHealth | undefined;
  // Docker reports State.Health only once the container ran; a created one with a
  // healthcheck is still waiting for its first verdict, not without a check.
  const test = info.Config?.Healthcheck?.Test;
  const checked = test !== undefined && test.length > 0 && test[0] !== 'NONE';
  const health: RuntimeHealth =
    rawHealth !== undefined && HEALTHS.includes(rawHealth) ? rawHealth : checked ? 'starting' : 'none';
  const startedAt = dockerTime(info.State?.StartedAt);
  const networkMode = info.HostConfig?.NetworkMode ?? 'default';
  const hostPorts: string[] = [];
  for (const bindings of Object.values(info.HostConfig?.PortBindings ?? {}) as (
    | { HostPort?: string }[]
    | null
  )[]) {
    for (const binding of bindings ?? []) if (binding.HostPort) hostPorts.push(binding.HostPort);
  }
  const running = state === 'running' || state === 'restarting' || state === 'paused';
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    instance: labels[LABELS.instance] ?? '',
    stack: labels[LABELS.stack] ?? '',
    service: labels[LABELS.service] ?? '',
    slot: Number.parseInt(labels[LABELS.slot] ?? '0', 10) || 0,
    agent: labels[LABELS.agent] ?? '',
    specHash: labels[LABELS.specHash] ?? '',
    image: info.Config?.Image ?? info.Image,
    state,
    health,
    exitCode: running || startedAt === null ? null : (info.State?.ExitCode ?? null),
    restartCount: info.RestartCount ?? 0,
    restartPolicy: info.HostConfig?.RestartPolicy?.Name || 'no',
    createdAt: dockerTime(info.Created) ?? 0,
    startedAt,
    finishedAt: dockerTime(info.State?.FinishedAt),
    networkMode,
    ports:
      networkMode === 'host'
        ? portNumbers(Object.keys(info.Config?.ExposedPorts ?? {}))
        : portNumbers(hostPorts),
    labels,
  };
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

export function statusOf(err: unknown): number | undefined {
  if (err !== null && typeof err === 'object' && 'statusCode' in err) {
    const code = (err as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The engine's own message ("No such container: …") rather than dockerode's wrapper text. */
export function reasonOf(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const json = (err as { json?: unknown }).json;
    if (json !== null && typeof json === 'object' && 'message' in json) {
      const message = (json as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Maps a dockerode failure to one of Alicia's codes, naming what was being done. */
export function dockerError(err: unknown, doing: string): AliciaError {
  if (isAliciaError(err)) return err;
  const sys = err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
  if (typeof sys === 'string' && UNREACHABLE.has(sys)) {
    return aliciaError('ALICIA_ERR_DOCKER_UNREACHABLE', `${doing}: ${reasonOf(err)}`, { cause: err });
  }
  const status = statusOf(err);
  if (status === 404)
    return aliciaError('ALICIA_ERR_NOT_FOUND', `${doing}: ${reasonOf(err)}`, { cause: err });
  return aliciaError('ALICIA_ERR_RUNTIME', `${doing}: ${reasonOf(err)}`, {
    cause: err,
    ...(status !== undefined ? { details: { status } } : {}),
  });
}
