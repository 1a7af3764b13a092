#!/usr/bin/env node
// The `alicia` command. Thin: each sub-command lives in ./commands/<name>.ts, parses its
// arguments, calls a library function and prints. Sub-commands import their heavy
// modules lazily so `alicia agent` on a Raspberry Pi loads only what the agent needs.
import { Command } from 'commander';
import { ALICIA_VERSION } from '../version.js';
import { registerCommands } from './commands/index.js';

const program = new Command()
  .name('alicia')
  .description(
    'MQTT-based orchestrator: runs Compose stacks across hosts, in dependency order, healthy, self-healing',
  )
  .version(ALICIA_VERSION)
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: true });

registerCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`alicia: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
