// Options several commands share, declared once.
import type { Command } from 'commander';

/** A repeatable option's values, in order (`-f a -f b` → ['a', 'b']). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `-f/--file`, `-p/--project` and `--profile`: the Compose files a command reads, as `up` reads them. */
export function addComposeFileOptions(command: Command): Command {
  return command
    .option(
      '-f, --file <file>',
      'Compose file (repeatable; default compose.yaml or docker-compose.yml here)',
      collect,
    )
    .option('-p, --project <name>', 'project (stack) name')
    .option(
      '--profile <name>',
      'enable services of this Compose profile (repeatable; default $COMPOSE_PROFILES)',
      collect,
    );
}
