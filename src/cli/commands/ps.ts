// `alicia ps`: services of the deployed stacks, with their replicas, health and hosts.
import type { Command } from 'commander';
import type { ServiceState } from '../../protocol/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface PsFlags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

/** `crashlooping (exit 1, 3 restarts)` when an instance of the service is crash-looping. */
export function crashLoopState(service: ServiceState): string | null {
  const loop = service.instances.find((i) => i.crash_loop !== undefined)?.crash_loop;
  if (loop === undefined) return null;
  const exit = loop.exit_code === null ? 'no exit code' : `exit ${loop.exit_code}`;
  return `crashlooping (${exit}, ${loop.restarts} restart${loop.restarts === 1 ? '' : 's'})`;
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
                done ? 'completed' : (crashLoopState(s) ?? s.state),
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
