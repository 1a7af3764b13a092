// `alicia stop <service>`: stops a service and what depends on it, dependents first.
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

export function registerStop(program: Command): void {
  addConnectionOptions(
    program
      .command('stop')
      .description('Stop a service and the services that depend on it (dependents first)')
      .argument('<service>', 'service name')
      .option('-p, --stack <name>', 'the stack the service belongs to'),
  ).action(async (service: string, flags: Flags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    await withClient(flags, async (client) => {
      const result = await client.requestAcrossRestarts(
        'stop',
        { service, ...(flags.stack ? { stack: flags.stack } : {}) },
        { timeoutMs: 300_000 },
      );
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
    });
  });
}
