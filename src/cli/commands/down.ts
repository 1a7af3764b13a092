// `alicia down [-p stack]`: removes everything a stack created, dependents first. Without
// -p the stack is the project of the Compose file here (as `docker compose down`).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';
import { collect } from '../options.js';

interface Flags extends ConnectionFlags {
  project?: string;
  file?: string[];
  json?: boolean;
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
      const result = await client.requestAcrossRestarts(
        'down',
        { stack },
        {
          timeoutMs: 300_000,
          onRestart: () => {
            if (!flags.json)
              process.stderr.write('The orchestrator went offline; waiting for it to resume the down\n');
          },
        },
      );
      if (flags.json) printJson(result);
      else {
        process.stdout.write(`${result.stack}: removed ${result.removed.length} containers\n`);
        // Per host only when it matters: something is left on a host that is offline.
        for (const host of result.pending.length > 0 ? result.hosts : []) {
          const what = host.status === 'done' ? 'removed' : 'PENDING (host offline; removed when it returns)';
          process.stdout.write(`  ${host.agent}: ${host.instances.length} ${what}\n`);
        }
      }
      // Not done while anything is left on an offline host: scripts must not take it as done.
      if (result.pending.length > 0) {
        if (!flags.json)
          process.stderr.write(
            `${result.stack}: ${result.pending.length} containers still to remove on offline hosts; run down again to check\n`,
          );
        process.exitCode = 2;
      }
    });
  });
}
