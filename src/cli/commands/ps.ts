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
      const data = await client.request('ps', flags.stack ? { stack: flags.stack } : {});
      if (flags.json) printJson(data);
      else
        process.stdout.write(
          formatTable(
            ['STACK', 'SERVICE', 'STATE', 'HEALTH', 'REPLICAS', 'HOSTS'],
            data.services.map((s) => {
              // A one-shot job that exited 0 is done, not down: say so.
              const done = s.desired_replicas > 0 && s.completed_replicas === s.desired_replicas;
              return [
                s.stack,
                s.service,
                done ? 'completed' : s.state,
                s.health,
                done
                  ? `${s.completed_replicas}/${s.desired_replicas} done`
                  : `${s.running_replicas}/${s.desired_replicas}`,
                s.hosts.join(','),
              ];
            }),
          ) +
            // Why a service is neither running as desired nor gone (an operation, a pending removal).
            data.services
              .filter((s) => s.note !== undefined)
              .map((s) => `${s.stack}/${s.service}: ${s.note}\n`)
              .join(''),
        );
    });
  });
}
