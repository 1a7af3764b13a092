// `ports` in any of Compose's forms → long form, one entry per container port:
// "8080:80", "127.0.0.1:8080:80/udp", "[::1]:53:53/udp", "80", 80, "9000-9001:9000-9001",
// "8000-8010:80" (a host range for one container port), and the long mapping form.
import { type FileContext, fail, type KeyPath, warn } from './diagnostics.js';
import { describe } from './durations.js';
import type { Port } from './model.js';
import { checkKeys, isRawMap, readInt, readString } from './read.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
const MODES = ['ingress', 'host'] as const;
const LONG_KEYS = ['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'];
const SHORT_HINT =
  'write [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "8080:80" or "127.0.0.1:53:53/udp"';

export function readPorts(ctx: FileContext, path: KeyPath, value: unknown): Port[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return fail(ctx, path, `expected a list of ports, got ${describe(value)}`);
  return value.flatMap((item, index) => {
    const at = [...path, index];
    if (typeof item === 'number') return parseShort(ctx, at, String(item));
    if (typeof item === 'string') return parseShort(ctx, at, item);
    if (isRawMap(item)) return [parseLong(ctx, at, item)];
    return fail(ctx, at, `expected a port such as "8080:80" or a mapping with target, got ${describe(item)}`);
  });
}

/** The identity Compose uses when merging files: same host IP, ports and protocol = same entry. */
export function portKey(port: Port): string {
  return `${port.host_ip ?? ''}|${port.published ?? ''}|${port.target}|${port.protocol}`;
}

function parseShort(ctx: FileContext, path: KeyPath, raw: string): Port[] {
  const text = raw.trim();
  const slash = text.lastIndexOf('/');
  const protocol = slash === -1 ? 'tcp' : text.slice(slash + 1);
  if (!isProtocol(protocol)) {
    return fail(ctx, path, `"${raw}": protocol "${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
  }
  const spec = slash === -1 ? text : text.slice(0, slash);
  let hostIp: string | undefined;
  let rest = spec;
  if (rest.startsWith('[')) {
    // IPv6 host address in brackets: [::1]:8080:80
    const close = rest.indexOf(']:');
    if (close === -1) return fail(ctx, path, `"${raw}" is not a port mapping; ${SHORT_HINT}`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (hostIp === undefined && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || (hostIp !== undefined && parts.length !== 2)) {
    return fail(ctx, path, `"${raw}" is not a port mapping; ${SHORT_HINT}`);
  }
  const target = parts.pop() ?? '';
  const published = parts.pop();
  const targets = range(target);
  if (!targets) {
    return fail(ctx, path, `"${raw}": container port "${target}" is not a port or range; ${SHORT_HINT}`);
  }
  const publishedRange = published === undefined || published === '' ? undefined : range(published);
  if (published && !publishedRange) {
    return fail(ctx, path, `"${raw}": host port "${published}" is not a port or range; ${SHORT_HINT}`);
  }
  if (hostIp === '') hostIp = undefined;
  const base = { protocol, mode: 'ingress' as const, ...(hostIp === undefined ? {} : { host_ip: hostIp }) };
  const [first, last] = targets;
  if (!publishedRange) return spread(first, last).map((port) => ({ target: port, ...base }));
  const [from, to] = publishedRange;
  if (first === last) {
    return [{ target: first, published: from === to ? String(from) : `${from}-${to}`, ...base }];
  }
  if (to - from !== last - first) {
    return fail(
      ctx,
      path,
      `"${raw}": the host range has ${to - from + 1} ports but the container range has ${last - first + 1}; make them the same size`,
    );
  }
  return spread(first, last).map((port, i) => ({ target: port, published: String(from + i), ...base }));
}

function parseLong(ctx: FileContext, path: KeyPath, map: Record<string, unknown>): Port {
  checkKeys(ctx, path, map, LONG_KEYS);
  if (map.target === undefined) {
    return fail(ctx, [...path, 'target'], 'the container port (target) is required');
  }
  const target = readInt(ctx, [...path, 'target'], map.target, 1);
  if (target > 65535) fail(ctx, [...path, 'target'], `${target} is not a port (1-65535)`);
  const port: Port = { target, protocol: 'tcp', mode: 'ingress' };
  if (map.published !== undefined && map.published !== null) {
    const published = readString(ctx, [...path, 'published'], map.published);
    const parsed = range(published);
    if (!parsed) {
      fail(ctx, [...path, 'published'], `"${published}" is not a port or a range such as 8000-8010`);
    }
    port.published = parsed[0] === parsed[1] ? String(parsed[0]) : `${parsed[0]}-${parsed[1]}`;
  }
  if (map.host_ip !== undefined && map.host_ip !== null) {
    port.host_ip = readString(ctx, [...path, 'host_ip'], map.host_ip);
  }
  if (map.protocol !== undefined && map.protocol !== null) {
    const protocol = readString(ctx, [...path, 'protocol'], map.protocol).toLowerCase();
    if (!isProtocol(protocol)) {
      fail(ctx, [...path, 'protocol'], `"${protocol}" is not one of ${PROTOCOLS.join(', ')}`);
    }
    port.protocol = protocol;
  }
  if (map.mode !== undefined && map.mode !== null) {
    const mode = readString(ctx, [...path, 'mode'], map.mode);
    if (!isMode(mode)) fail(ctx, [...path, 'mode'], `"${mode}" is not one of ${MODES.join(', ')}`);
    port.mode = mode;
  }
  for (const key of ['name', 'app_protocol']) {
    if (map[key] !== undefined && map[key] !== null) {
      warn(ctx, [...path, key], `"${key}" is descriptive only in Compose and Alicia does not keep it`);
    }
  }
  return port;
}

function range(text: string): [number, number] | undefined {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from < 1 || to > 65535 || to < from) return undefined;
  return [from, to];
}

function spread(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function isProtocol(value: string): value is Port['protocol'] {
  return (PROTOCOLS as readonly string[]).includes(value);
}

function isMode(value: string): value is Port['mode'] {
  return (MODES as readonly string[]).includes(value);
}
