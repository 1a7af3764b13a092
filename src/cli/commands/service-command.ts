// The shape every one-service operator command shares (`alicia heal|restart|stop <service>
// [-p stack]`): its arguments, connection options and client; each command says only what it
// asks the orchestrator and how it prints the answer.
import type { Command } from 'commander';
import { addConnectionOptions, type Client, type ConnectionFlags } from '../client.js';

export interface ServiceFlags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

/** The request body naming the service (and its stack when given). */
export function serviceTarget(service: string, flags: ServiceFlags): { service: string; stack?: string } {
  return { service, ...(flags.stack ? { stack: flags.stack } : {}) };
}

export function registerServiceCommand(
  program: Command,
  name: string,
  description: string,
  run: (client: Client, service: string, flags: ServiceFlags) => Promise<void>,
): void {
  addConnectionOptions(
    program
      .command(name)
      .description(description)
      .argument('<service>', 'service name')
      .option('-p, --stack <name>', 'the stack the service belongs to'),
  ).action(async (service: string, flags: ServiceFlags) => {
    const { withClient } = await import('../client.js');
    await withClient(flags, (client) => run(client, service, flags));
  });
}
