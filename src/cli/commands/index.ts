// Every sub-command of `alicia`, one module each.
import type { Command } from 'commander';
import { registerConfig } from './config.js';

export function registerCommands(program: Command): void {
  registerConfig(program);
}
