// `alicia ps`: services of the deployed stacks, with their replicas, health and hosts.
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface PsFlags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

export function registerPs(program: Command): void {
  addConnectionOptions(
    program
      .command('ps')
      .description('List the services of the deployed stacks')
      .option('-p, --stack <name>', 'only this stack'),
  ).action(async (flags: PsFlags) => {
    const { withClient, formatTable } = await import('../client.js');
    const { printJson } = await import('../output.js');
    await withClient(flags, async (client) => {
      const data = (await client.request('ps', flags.stack ? { stack: flags.stack } : {})) as {
        services: {
          stack: string;
          service: string;
          state: string;
          health: string;
          desired_replicas: number;
          running_replicas: number;
          hosts: string[];
        }[];
      };
      if (flags.json) printJson(data);
      else
        process.stdout.write(
          formatTable(
            ['STACK', 'SERVICE', 'STATE', 'HEALTH', 'REPLICAS', 'HOSTS'],
            data.services.map((s) => [
              s.stack,
              s.service,
              s.state,
              s.health,
              `${s.running_replicas}/${s.desired_replicas}`,
              s.hosts.join(','),
            ]),
          ),
        );
    });
  });
}
