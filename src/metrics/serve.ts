// One call per process: build the registry and serve it (what the CLI commands wire in).
import type { Logger } from '../logging/logger.js';
import { type AgentMetricsSource, createAgentMetrics } from './agent-metrics.js';
import { type MetricsServer, startMetricsServer } from './http-server.js';
import { createOrchestratorMetrics, type OrchestratorMetricsSource } from './orchestrator-metrics.js';

export interface ServeOptions {
  port: number;
  host?: string | undefined;
  log: Logger;
}

export async function serveOrchestratorMetrics(
  source: Omit<OrchestratorMetricsSource, 'log'>,
  options: ServeOptions,
): Promise<MetricsServer> {
  const metrics = createOrchestratorMetrics({ ...source, log: options.log });
  try {
    const server = await startMetricsServer(
      {
        metrics: () => metrics.metrics(),
        contentType: metrics.registry.contentType,
        healthy: () => metrics.healthy(),
        status: () => metrics.refresh(),
      },
      options,
    );
    return {
      port: server.port,
      url: server.url,
      async close() {
        metrics.close();
        await server.close();
      },
    };
  } catch (err) {
    metrics.close();
    throw err;
  }
}

export function serveAgentMetrics(source: AgentMetricsSource, options: ServeOptions): Promise<MetricsServer> {
  const metrics = createAgentMetrics(source);
  return startMetricsServer(
    {
      metrics: () => metrics.metrics(),
      contentType: metrics.registry.contentType,
      healthy: () => metrics.healthy(),
      status: async () => metrics.status(),
    },
    options,
  );
}
