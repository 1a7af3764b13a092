import type { Command } from 'commander';

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('Validate Compose files and print the normalized model')
    .action(() => {
      throw new Error('not implemented yet');
    });
}
