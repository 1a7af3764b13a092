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

// bin/alicia (what npm installs, the systemd unit and the image run) starts the agent under
// the V8 settings of its memory budget; `node dist/src/cli/main.js agent` typed by hand does
// not, and says so (ALICIA_AGENT_NODE_FLAGS set, even empty, means the choice was made).
if (
  process.argv[2] === 'agent' &&
  !process.execArgv.includes('--lite-mode') &&
  process.env.ALICIA_AGENT_NODE_FLAGS === undefined
) {
  process.stderr.write(
    'alicia: warning: agent started without --lite-mode --max-semi-space-size=1 (expect ~70 MB RSS instead of ≤ 60 MB): start it with the alicia command (bin/alicia)\n',
  );
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`alicia: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
