// `alicia stop <service>`: stops a service and what depends on it, dependents first.
import type { Command } from 'commander';
import { printJson } from '../output.js';
import { registerServiceCommand, serviceTarget } from './service-command.js';

export function registerStop(program: Command): void {
  registerServiceCommand(
    program,
    'stop',
    'Stop a service and the services that depend on it (dependents first)',
    async (client, service, flags) => {
      const result = await client.requestAcrossRestarts('stop', serviceTarget(service, flags), {
        timeoutMs: 300_000,
      });
      if (flags.json) printJson(result);
      else {
        process.stdout.write(`${result.stack}: stopped ${result.stopped.join(', ')}\n`);
        for (const host of (result.hosts ?? []).filter((h) => h.status === 'pending'))
          process.stdout.write(
            `  ${host.agent}: ${host.instances.length} PENDING (host offline; removed when it returns)\n`,
          );
      }
      // Not done while anything is left on an offline host.
      if ((result.pending?.length ?? 0) > 0) process.exitCode = 2;
    },
  );
}
