// `alicia restart <service>`: restarts a service's containers in place (or starts it again if stopped).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

export function registerRestart(program: Command): void {
  addConnectionOptions(
    program
      .command('restart')
      .description("Restart a service's containers")
      .argument('<service>', 'service name')
      .option('-p, --stack <name>', 'the stack the service belongs to'),
  ).action(async (service: string, flags: Flags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    await withClient(flags, async (client) => {
      const result = await client.request(
        'restart',
        { service, ...(flags.stack ? { stack: flags.stack } : {}) },
        { timeoutMs: 300_000 },
      );
      if (flags.json) printJson(result);
      else
        process.stdout.write(`${result.stack}/${result.service}: restarted ${result.instances.join(', ')}\n`);
    });
  });
}
