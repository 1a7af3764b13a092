// `alicia restart <service>`: restarts a service's containers in place (or starts it again if stopped).
import type { Command } from 'commander';
import { printJson } from '../output.js';
import { registerServiceCommand, serviceTarget } from './service-command.js';

export function registerRestart(program: Command): void {
  registerServiceCommand(
    program,
    'restart',
    "Restart a service's containers",
    async (client, service, flags) => {
      const result = await client.request('restart', serviceTarget(service, flags), { timeoutMs: 300_000 });
      if (flags.json) printJson(result);
      else
        process.stdout.write(`${result.stack}/${result.service}: restarted ${result.instances.join(', ')}\n`);
    },
  );
}
