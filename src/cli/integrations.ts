// What runs beside an orchestrator on request: the metrics endpoint and Home Assistant
// discovery. Shared by `alicia orchestrator` and the embedded `alicia up`; each piece is
// loaded only when asked for (prom-client is not needed otherwise).
import { aliciaError } from '../core/errors.js';
import type { Logger } from '../logging/logger.js';
import type { Orchestrator } from '../orchestrator/index.js';
import { createTopics, DEFAULT_PREFIX } from '../protocol/topics.js';
import { ALICIA_VERSION } from '../version.js';

export interface IntegrationOptions {
  prefix?: string | undefined;
  /** A TCP port (0: any free one); undefined: no metrics endpoint. */
  metricsPort?: string | number | undefined;
  metricsHost?: string | undefined;
  /** true / "true" / "1": discovery under `homeassistant`; a string: that prefix; else off. */
  homeassistant?: string | boolean | undefined;
  log: Logger;
}

export interface Integrations {
  /** The metrics endpoint's base URL, when one runs. */
  readonly metricsUrl: string | null;
  readonly homeassistantPrefix: string | null;
  close(): Promise<void>;
}

/** The discovery prefix the option asks for, or null when discovery is off. */
export function homeassistantPrefix(option: string | boolean | undefined): string | null {
  if (option === undefined || option === false) return null;
  if (option === true) return 'homeassistant';
  const value = option.trim();
  if (value === '' || value === 'false' || value === '0' || value === 'off') return null;
  if (value === 'true' || value === '1' || value === 'on') return 'homeassistant';
  if (/[+#]/.test(value) || value.startsWith('/') || value.endsWith('/')) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `--homeassistant: ${JSON.stringify(value)} is not a usable discovery prefix (no + # or leading/trailing /)`,
    );
  }
  return value;
}

function metricsPort(value: string | number | undefined): number | null {
  if (value === undefined || value === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw aliciaError(
      'ALICIA_ERR_CONFIG_INVALID',
      `--metrics-port must be a TCP port (0-65535), got ${value}`,
    );
  }
  return n;
}

export async function startIntegrations(
  orchestrator: Orchestrator,
  options: IntegrationOptions,
): Promise<Integrations> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const port = metricsPort(options.metricsPort);
  const discovery = homeassistantPrefix(options.homeassistant);
  const closers: (() => Promise<void> | void)[] = [];
  let metricsUrl: string | null = null;
  try {
    if (port !== null) {
      const { serveOrchestratorMetrics } = await import('../metrics/index.js');
      const server = await serveOrchestratorMetrics(
        {
          events: orchestrator.events,
          request: (method, body) => orchestrator.request(method, body),
          transport: orchestrator.transport,
          prefix,
        },
        { port, host: options.metricsHost, log: options.log },
      );
      metricsUrl = server.url;
      closers.push(() => server.close());
    }
    if (discovery !== null) {
      const { startHomeAssistantBridge } = await import('../homeassistant/index.js');
      const bridge = await startHomeAssistantBridge({
        transport: orchestrator.transport,
        events: orchestrator.events,
        topics: createTopics(prefix),
        discoveryPrefix: discovery,
        version: ALICIA_VERSION,
        log: options.log,
      });
      closers.push(() => bridge.close());
    }
  } catch (err) {
    for (const close of closers.reverse()) await close();
    throw err;
  }
  return {
    metricsUrl,
    homeassistantPrefix: discovery,
    async close() {
      for (const close of closers.splice(0).reverse()) await close();
    },
  };
}
