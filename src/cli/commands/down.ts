// `alicia down [-p stack]`: removes everything a stack created, dependents first. Without
// -p the stack is the project of the Compose file here (as `docker compose down`).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  project?: string;
  file?: string[];
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerDown(program: Command): void {
  addConnectionOptions(
    program
      .command('down')
      .description('Stop and remove every container of a stack, dependents first')
      .option('-p, --project <name>', 'stack (project) name; default: the project of the Compose file here')
      .option('-f, --file <file>', 'Compose file naming the project (repeatable)', collect),
  ).action(async (flags: Flags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    await withClient(flags, async (client) => {
      let stack = flags.project;
      if (stack === undefined) {
        const { existsSync } = await import('node:fs');
        const { findComposeFiles, loadStack } = await import('../../compose/index.js');
        const files = flags.file ?? findComposeFiles(process.cwd(), process.env, existsSync);
        stack = (await loadStack({ files })).name;
      }
      const result = await client.request('down', { stack }, { timeoutMs: 300_000 });
      if (flags.json) printJson(result);
      else process.stdout.write(`${result.stack}: removed ${result.removed.length} containers\n`);
    });
  });
}
