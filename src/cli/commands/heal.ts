// `alicia heal <service>`: an operator forces a heal of one service: its open circuit (if
// any) closes, healing starts over, and its instances are restarted (or started again).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

export function registerHeal(program: Command): void {
  addConnectionOptions(
    program
      .command('heal')
      .description('Heal a service now: close its open circuit and restart its containers')
      .argument('<service>', 'service name')
      .option('-p, --stack <name>', 'the stack the service belongs to'),
  ).action(async (service: string, flags: Flags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    await withClient(flags, async (client) => {
      const result = await client.request(
        'heal',
        { service, ...(flags.stack ? { stack: flags.stack } : {}) },
        { timeoutMs: 300_000 },
      );
      if (flags.json) printJson(result);
      else process.stdout.write(`${result.stack}/${result.service}: healed ${result.instances.join(', ')}\n`);
    });
  });
}
