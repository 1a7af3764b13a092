// Merged layers → the model: defaults filled in, attributes checked against each other
// (image or build, scale and replicas, limits given twice, dependencies), each error
// naming the file and path that set the offending value.
import type { ErrorCode } from '../core/errors.js';
import { composeError, formatPath, type Locate } from './diagnostics.js';
import { DEFAULT_FILE_MODE, fileTarget } from './files.js';
import type { MergedService, Origin, ServiceXAliciaLayer } from './layer.js';
import type { MergedFiles } from './merge.js';
import type {
  Backoff,
  Dependency,
  Healthcheck,
  Resources,
  ServiceNetwork,
  ServiceSpec,
  ServiceXAlicia,
  StackNetwork,
  StackVolume,
  StackWarning,
} from './model.js';
import { platformArch } from './runtime-keys.js';

// Probe defaults when the file gives none: frequent enough to notice trouble within a
// healthcheck budget, with a timeout well inside the interval.
const PROBE_INTERVAL_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;
const PRIORITY_LABEL = 'alicia.priority';
const CATEGORY_LABEL = 'alicia.category';

export interface FinalizeContext {
  locates: ReadonlyMap<string, Locate>;
  warnings: StackWarning[];
  merged: MergedFiles;
  /** The stack-wide backoff (DEFAULT_BACKOFF under top-level x-alicia.backoff). */
  backoff: Backoff;
  /** Services left out because none of their profiles is active, with those profiles. */
  inactive?: ReadonlyMap<string, readonly string[]>;
}

export function failAt(
  ctx: FinalizeContext,
  origin: Origin,
  message: string,
  code: ErrorCode = 'ALICIA_ERR_COMPOSE_INVALID',
): never {
  const location = ctx.locates.get(origin.file)?.(origin.path);
  throw composeError(code, { file: origin.file, path: formatPath(origin.path), location }, message);
}

function warnAt(ctx: FinalizeContext, origin: Origin, message: string): void {
  ctx.warnings.push({ file: origin.file, path: formatPath(origin.path), message });
}

export function finalizeService(
  ctx: FinalizeContext,
  name: string,
  service: MergedService,
  fallback: Origin,
): ServiceSpec {
  const { layer, origins } = service;
  const origin = (key: keyof typeof origins): Origin => origins[key] ?? fallback;
  if (layer.image === undefined) {
    if (layer.build) {
      failAt(
        ctx,
        origin('build'),
        'Alicia runs images; build and push it first, then set image:',
        'ALICIA_ERR_COMPOSE_UNSUPPORTED',
      );
    }
    failAt(ctx, fallback, `service "${name}" has no image; add image: (e.g. image: nginx:1.27)`);
  }
  if (layer.build) {
    warnAt(ctx, origin('build'), 'Alicia does not build images; the image is pulled as named by image:');
  }
  if (layer.scale !== undefined && layer.replicas !== undefined && layer.scale !== layer.replicas) {
    failAt(
      ctx,
      origin('scale'),
      `scale (${layer.scale}) and deploy.replicas (${layer.replicas}) disagree; keep one of them`,
    );
  }
  const restart = layer.restart ?? layer.deploy_restart ?? 'no';
  if (
    layer.restart !== undefined &&
    layer.deploy_restart !== undefined &&
    layer.restart !== layer.deploy_restart
  ) {
    warnAt(
      ctx,
      origin('deploy_restart'),
      `deploy.restart_policy is ignored because restart: ${layer.restart} is set`,
    );
  }
  const limits = resources(
    ctx,
    layer.limits,
    [
      ['cpus', layer.cpus, origin('cpus'), 'cpus'],
      ['memory_bytes', layer.mem_limit, origin('mem_limit'), 'memory'],
      ['pids', layer.pids_limit, origin('pids_limit'), 'pids'],
    ],
    'limits',
  );
  const reservations = resources(
    ctx,
    layer.reservations,
    [['memory_bytes', layer.mem_reservation, origin('mem_reservation'), 'memory']],
    'reservations',
  );

  const spec: ServiceSpec = {
    name,
    image: layer.image,
    environment: { ...layer.env_file, ...layer.environment },
    ports: layer.ports ?? [],
    volumes: (layer.volumes ?? []).map((entry) => {
      if (entry.named !== undefined && !ctx.merged.volumes.has(entry.named)) {
        failAt(
          ctx,
          entry.origin,
          `volume "${entry.named}" is not declared; add it under the top-level volumes: (volumes: {${entry.named}: {}}), or write ./${entry.named} for a directory`,
        );
      }
      return entry.volume;
    }),
    depends_on: {},
    restart,
    replicas: layer.replicas ?? layer.scale ?? 1,
    constraints: layer.constraints ?? [],
    labels: { ...layer.label_file, ...layer.labels },
    privileged: layer.privileged ?? false,
    cap_add: layer.cap_add ?? [],
    cap_drop: layer.cap_drop ?? [],
    x_alicia: xAlicia(ctx, layer.x_alicia ?? {}, layer.labels ?? {}, origin('x_alicia'), origin('labels')),
  };
  if (layer.command !== undefined) spec.command = layer.command;
  if (layer.entrypoint !== undefined) spec.entrypoint = layer.entrypoint;
  if (layer.healthcheck !== undefined) {
    spec.healthcheck = healthcheck(ctx, layer.healthcheck, origin('healthcheck'));
  }
  if (limits) spec.limits = limits;
  if (reservations) spec.reservations = reservations;
  for (const key of [
    'stop_grace_period_ms',
    'stop_signal',
    'network_mode',
    'user',
    'working_dir',
    'hostname',
  ] as const) {
    const value = layer[key];
    if (value !== undefined) Object.assign(spec, { [key]: value });
  }
  if (layer.runtime !== undefined) spec.runtime = layer.runtime;
  // platform: Docker's create takes it, and the service goes only to hosts of that arch.
  const arch = layer.runtime?.platform === undefined ? undefined : platformArch(layer.runtime.platform);
  if (
    arch !== undefined &&
    !spec.constraints.some((c) => c.field === 'node.platform.arch' && c.op === '==')
  ) {
    spec.constraints = [...spec.constraints, { field: 'node.platform.arch', op: '==', value: arch }];
  }
  const namedVolumes: Record<string, StackVolume> = {};
  for (const volume of spec.volumes) {
    const def =
      volume.type === 'volume' && volume.source !== undefined
        ? ctx.merged.volume_defs[volume.source]
        : undefined;
    if (def && volume.source !== undefined) namedVolumes[volume.source] = def;
  }
  if (Object.keys(namedVolumes).length > 0) spec.named_volumes = namedVolumes;
  if (layer.network_mode !== undefined && layer.networks !== undefined) {
    failAt(
      ctx,
      origin('networks'),
      `network_mode: ${layer.network_mode} and networks cannot be combined; keep one of them`,
    );
  }
  // A service that names no network is on `default`; it is written out only when the file
  // declares `default` itself: otherwise the agent's default is the same <stack>_default
  // network, and a plain service needs no protocol feature.
  if (layer.network_mode === undefined && (layer.networks !== undefined || ctx.merged.networks.default)) {
    spec.networks = serviceNetworks(ctx, layer.networks);
  }
  for (const kind of ['secrets', 'configs'] as const) {
    const uses = layer[kind];
    if (uses === undefined) continue;
    spec[kind] = uses.map((use) => {
      const declared = ctx.merged[kind][use.source];
      if (!declared) {
        failAt(
          ctx,
          use.origin,
          `${kind.slice(0, -1)} "${use.source}" is not declared; add it under the top-level ${kind}: with file:, environment: or content:`,
        );
      }
      return {
        source: use.source,
        target: fileTarget(kind, use.source, use.target),
        content_base64: declared.content_base64 ?? '',
        from: declared.from ?? { kind: 'content' },
        ...(use.uid !== undefined ? { uid: use.uid } : {}),
        ...(use.gid !== undefined ? { gid: use.gid } : {}),
        mode: use.mode ?? DEFAULT_FILE_MODE,
      };
    });
  }
  return spec;
}

/** A service's networks: `default` when it names none (as Compose), each declared at the top. */
function serviceNetworks(
  ctx: FinalizeContext,
  layers: MergedService['layer']['networks'],
): Record<string, ServiceNetwork> {
  const out: Record<string, ServiceNetwork> = {};
  for (const [key, layer] of Object.entries(layers ?? { default: undefined })) {
    if (layer && key !== 'default' && !ctx.merged.networks[key]) {
      failAt(
        ctx,
        layer.origin,
        `network "${key}" is not declared; add it under the top-level networks: (networks: {${key}: {}})`,
      );
    }
    const declared = ctx.merged.networks[key];
    const { origin: _origin, ...definition } = declared ?? { origin: undefined, external: false };
    const network: ServiceNetwork = { definition, aliases: [...(layer?.aliases ?? [])] };
    if (layer?.ipv4_address !== undefined) network.ipv4_address = layer.ipv4_address;
    if (layer?.ipv6_address !== undefined) network.ipv6_address = layer.ipv6_address;
    if (layer?.link_local_ips !== undefined) network.link_local_ips = layer.link_local_ips;
    if (layer?.mac_address !== undefined) network.mac_address = layer.mac_address;
    if (layer?.priority !== undefined) network.priority = layer.priority;
    out[key] = network;
  }
  return out;
}

/**
 * The networks the stack's services use, with their top-level settings (`default` is a plain
 * bridge unless declared), and `links` turned into aliases: `links: ["db:database"]` makes
 * `database` a name of db on the networks both services share.
 */
export function stackNetworks(
  ctx: FinalizeContext,
  specs: Record<string, ServiceSpec>,
): Record<string, StackNetwork> {
  const out: Record<string, StackNetwork> = {};
  for (const [name, spec] of Object.entries(specs)) {
    for (const key of Object.keys(spec.networks ?? {})) {
      const network = spec.networks?.[key];
      if (network) out[key] = network.definition;
    }
    const links = ctx.merged.services[name]?.layer.links ?? [];
    for (const link of links) {
      const target = specs[link.service];
      if (!target) {
        const linkOrigin = ctx.merged.services[name]?.origins.links;
        return failAt(
          ctx,
          linkOrigin ?? { file: '', path: ['services', name, 'links'] },
          `service "${name}" links to "${link.service}", which is not in the stack`,
          'ALICIA_ERR_DEPENDENCY_UNKNOWN',
        );
      }
      if (link.alias === link.service) continue;
      // A service that names no network is on `default`: written out here to carry the alias.
      const implicit = (): Record<string, ServiceNetwork> => ({
        default: { definition: { external: false }, aliases: [] },
      });
      if (target.network_mode !== undefined || spec.network_mode !== undefined) continue;
      target.networks ??= implicit();
      const mine = spec.networks ?? implicit();
      for (const [key, network] of Object.entries(target.networks)) {
        if (mine[key] && !network.aliases.includes(link.alias)) network.aliases.push(link.alias);
      }
    }
  }
  return out;
}

/**
 * Resolves each service's depends_on against the whole stack: absent optional dependencies
 * are dropped (as Compose does), absent required ones are errors naming both services.
 */
export function resolveDependencies(
  ctx: FinalizeContext,
  name: string,
  service: MergedService,
  specs: Readonly<Record<string, ServiceSpec>>,
): Record<string, Dependency> {
  const out: Record<string, Dependency> = {};
  for (const [dependency, layer] of Object.entries(service.layer.depends_on ?? {})) {
    const required = layer.required ?? true;
    const target = specs[dependency];
    if (!target) {
      if (!required) continue;
      const profiles = ctx.inactive?.get(dependency);
      if (profiles !== undefined) {
        failAt(
          ctx,
          layer.origin,
          `service "${name}" depends on "${dependency}", which runs only with profile ${profiles.join(' or ')}; enable it (--profile ${profiles[0]} or COMPOSE_PROFILES), or mark the dependency required: false`,
          'ALICIA_ERR_DEPENDENCY_UNKNOWN',
        );
      }
      failAt(
        ctx,
        layer.origin,
        `service "${name}" depends on "${dependency}", which is not in the stack; add service "${dependency}", fix the name, or mark it required: false`,
        'ALICIA_ERR_DEPENDENCY_UNKNOWN',
      );
    }
    const condition = layer.condition ?? 'service_started';
    if (condition === 'service_healthy') {
      if (target.healthcheck?.disable) {
        failAt(
          ctx,
          layer.origin,
          `service "${name}" waits for "${dependency}" to be healthy, but the healthcheck of "${dependency}" is disabled`,
        );
      }
      // The agent's HTTP/TCP probe gives the dependency a health of its own.
      if (!target.healthcheck && target.x_alicia.probe === undefined) {
        warnAt(
          ctx,
          layer.origin,
          `"${dependency}" has no healthcheck or x-alicia.probe in the file; service_healthy relies on the HEALTHCHECK of its image`,
        );
      }
    }
    out[dependency] = { condition, required, restart: layer.restart ?? false };
  }
  const mode = service.layer.network_mode;
  const modeOrigin = service.origins.network_mode;
  if (mode?.startsWith('service:') && modeOrigin && !specs[mode.slice('service:'.length)]) {
    failAt(
      ctx,
      modeOrigin,
      `service "${name}" shares the network of "${mode.slice('service:'.length)}", which is not in the stack`,
      'ALICIA_ERR_DEPENDENCY_UNKNOWN',
    );
  }
  // As in Compose, sharing another service's network or volumes makes it a dependency
  // (started first); the orchestrator also places both on the same host (sharesHostWith).
  for (const other of sharesHostWith(specs[name])) {
    if (!specs[other]) {
      const origin = service.origins.runtime ?? modeOrigin;
      if (origin)
        failAt(
          ctx,
          origin,
          `service "${name}" takes volumes_from "${other}", which is not in the stack`,
          'ALICIA_ERR_DEPENDENCY_UNKNOWN',
        );
    }
    out[other] ??= { condition: 'service_started', required: true, restart: false };
  }
  return out;
}

function healthcheck(
  ctx: FinalizeContext,
  layer: NonNullable<MergedService['layer']['healthcheck']>,
  origin: Origin,
): Healthcheck {
  const { test, disable, ...timing } = layer;
  if (disable || test?.[0] === 'NONE') {
    if ((test && test[0] !== 'NONE') || Object.keys(timing).length > 0) {
      failAt(
        ctx,
        origin,
        'a disabled healthcheck takes no other settings; remove disable: true or the other keys',
      );
    }
    return { test: ['NONE'], disable: true };
  }
  if (!test) {
    return failAt(
      ctx,
      origin,
      'healthcheck has no test; Alicia does not inherit the HEALTHCHECK of the image here, so give one, e.g. test: ["CMD", "pg_isready"]',
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
    );
  }
  return { test, ...timing, disable: false };
}

type LegacyResource = [field: keyof Resources, value: number | undefined, origin: Origin, deployKey: string];

function resources(
  ctx: FinalizeContext,
  deploy: Resources | undefined,
  legacy: LegacyResource[],
  kind: 'limits' | 'reservations',
): Resources | undefined {
  const out: Resources = { ...deploy };
  for (const [field, value, origin, deployKey] of legacy) {
    if (value === undefined) continue;
    const current = out[field];
    if (current !== undefined && current !== value) {
      failAt(
        ctx,
        origin,
        `disagrees with deploy.resources.${kind}.${deployKey} (${current} against ${value}); keep one of them`,
      );
    }
    out[field] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function xAlicia(
  ctx: FinalizeContext,
  layer: ServiceXAliciaLayer,
  labels: Readonly<Record<string, string>>,
  origin: Origin,
  labelsOrigin: Origin,
): ServiceXAlicia {
  const backoff: Backoff = { ...ctx.backoff, ...layer.backoff };
  if (backoff.min_ms > backoff.max_ms) {
    failAt(ctx, origin, `backoff.min (${backoff.min_ms}ms) is longer than backoff.max (${backoff.max_ms}ms)`);
  }
  const out: ServiceXAlicia = { backoff };
  if (layer.hosts) out.hosts = layer.hosts;
  // The agent's HTTP/TCP probe counts its failures against it (compile.ts).
  if (layer.unhealthy_threshold !== undefined) {
    out.unhealthy_threshold = layer.unhealthy_threshold;
    if (layer.probe?.http === undefined && layer.probe?.tcp === undefined) {
      warnAt(
        ctx,
        { ...origin, path: [...origin.path, 'unhealthy_threshold'] },
        "applies to x-alicia.probe, which this service has none of: the healthcheck's retries decide when it is unhealthy",
      );
    }
  }
  if (layer.start_probe !== undefined) out.start_probe = layer.start_probe;
  const http = layer.probe?.http;
  const tcp = layer.probe?.tcp;
  if (http && tcp) {
    warnAt(
      ctx,
      { ...origin, path: [...origin.path, 'probe', 'tcp'] },
      'the agent runs one probe per service: http, given too, is the one it runs; tcp is not run',
    );
  }
  if (http || tcp) out.probe = {};
  if (http && out.probe) {
    if (http.url === undefined) {
      failAt(ctx, origin, 'probe.http needs a url, e.g. http://127.0.0.1:8080/healthz');
    }
    out.probe.http = {
      ...http,
      url: http.url,
      interval_ms: http.interval_ms ?? PROBE_INTERVAL_MS,
      timeout_ms: http.timeout_ms ?? PROBE_TIMEOUT_MS,
    };
  }
  if (tcp && out.probe) {
    if (tcp.port === undefined) failAt(ctx, origin, 'probe.tcp needs a port');
    out.probe.tcp = {
      host: tcp.host ?? '127.0.0.1',
      port: tcp.port,
      interval_ms: tcp.interval_ms ?? PROBE_INTERVAL_MS,
      timeout_ms: tcp.timeout_ms ?? PROBE_TIMEOUT_MS,
      ...(tcp.start_period_ms !== undefined ? { start_period_ms: tcp.start_period_ms } : {}),
    };
  }
  const labelPriority = labels[PRIORITY_LABEL];
  let priority = layer.priority;
  if (labelPriority !== undefined) {
    if (!/^-?\d+$/.test(labelPriority.trim())) {
      failAt(ctx, labelsOrigin, `label ${PRIORITY_LABEL} must be a whole number, got "${labelPriority}"`);
    }
    const fromLabel = Number(labelPriority);
    if (priority !== undefined && priority !== fromLabel) {
      failAt(
        ctx,
        origin,
        `priority ${priority} disagrees with label ${PRIORITY_LABEL}=${fromLabel}; keep one of them`,
      );
    }
    priority = fromLabel;
  }
  if (priority !== undefined) out.priority = priority;
  const labelCategory = labels[CATEGORY_LABEL];
  if (labelCategory !== undefined && layer.category !== undefined && labelCategory !== layer.category) {
    failAt(
      ctx,
      origin,
      `category "${layer.category}" disagrees with label ${CATEGORY_LABEL}=${labelCategory}; keep one of them`,
    );
  }
  const category = layer.category ?? labelCategory;
  if (category !== undefined) out.category = category;
  if (layer.movable !== undefined) out.movable = layer.movable;
  return out;
}

/** The services whose host this one must share: network_mode service:x and volumes_from x. */
export function sharesHostWith(spec: ServiceSpec | undefined): string[] {
  if (spec === undefined) return [];
  const out = new Set<string>();
  if (spec.network_mode?.startsWith('service:')) out.add(spec.network_mode.slice('service:'.length));
  for (const entry of spec.runtime?.volumes_from ?? [])
    if (entry.service !== undefined) out.add(entry.service);
  return [...out].sort();
}
