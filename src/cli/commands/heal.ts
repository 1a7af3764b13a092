// `alicia heal <service>`: an operator forces a heal of one service: its open circuit (if
// any) closes, healing starts over, and its instances are restarted (or started again).
import type { Command } from 'commander';
import { printJson } from '../output.js';
import { registerServiceCommand, serviceTarget } from './service-command.js';

export function registerHeal(program: Command): void {
  registerServiceCommand(
    program,
    'heal',
    'Heal a service now: close its open circuit and restart its containers',
    async (client, service, flags) => {
      const result = await client.request('heal', serviceTarget(service, flags), { timeoutMs: 300_000 });
      if (flags.json) printJson(result);
      else process.stdout.write(`${result.stack}/${result.service}: healed ${result.instances.join(', ')}\n`);
    },
  );
}
