// `alicia config`: loads Compose files the way every other command will, and prints the
// normalized model (or just the start order). Warnings go to stderr, one per line.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { aliciaError } from '../../core/errors.js';
import { collect } from '../options.js';
import { fail } from '../output.js';

interface ConfigOptions {
  file: string[];
  projectName?: string;
  profile: string[];
  projectDirectory?: string;
  format: string;
  services?: boolean;
  quiet?: boolean;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('Validate Compose files and print the normalized model')
    .option('-f, --file <file>', 'Compose file; repeat to merge several, later over earlier', collect, [])
    .option('-p, --project-name <name>', 'project (stack) name')
    .option(
      '--profile <name>',
      'enable services of this Compose profile (repeatable; default $COMPOSE_PROFILES)',
      collect,
      [],
    )
    .option(
      '--project-directory <dir>',
      'base for relative paths and .env (default: directory of the first file)',
    )
    .option('--format <format>', 'output format: yaml or json', 'yaml')
    .option('--services', 'print the service names in start order, one per line')
    .option('-q, --quiet', 'only validate; print nothing but warnings and errors')
    .action(async (options: ConfigOptions) => {
      try {
        await runConfig(options);
      } catch (err) {
        fail(err);
      }
    });
}

async function runConfig(options: ConfigOptions): Promise<void> {
  if (options.format !== 'yaml' && options.format !== 'json') {
    throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `--format must be yaml or json, not "${options.format}"`);
  }
  // Loaded lazily so commands that do not read Compose files do not pay for the loader.
  const { findComposeFiles, loadStack, startLayers, toComposeJson } = await import('../../compose/index.js');
  const files =
    options.file.length > 0 ? options.file : findComposeFiles(process.cwd(), process.env, existsSync);
  const stack = await loadStack({
    files,
    projectName: options.projectName,
    projectDirectory: options.projectDirectory,
    profiles: options.profile.length > 0 ? options.profile : undefined,
  });
  for (const warning of stack.warnings) {
    process.stderr.write(`warning: ${warning.file}: ${warning.path}: ${warning.message}\n`);
  }
  if (options.quiet) return;
  if (options.services) {
    for (const layer of startLayers(stack)) for (const name of layer) process.stdout.write(`${name}\n`);
    return;
  }
  const json = toComposeJson(stack);
  if (options.format === 'json') {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const { stringify } = await import('yaml');
  // YAML 1.1 quoting, so values such as restart: "no" stay strings for every reader.
  process.stdout.write(stringify(json, { lineWidth: 0, version: '1.1' }));
}
