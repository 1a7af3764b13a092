// `alicia history [service]`: the healing history (what Alicia did, why, when, whether it
// worked, how long recovery took), newest first; kept on disk by the orchestrator.
import type { Command } from 'commander';
import type { HistoryEntry } from '../../protocol/index.js';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  limit?: string;
  json?: boolean;
}

/** One line per entry: time, action, service/instance, result, recovery time, reason. */
export function formatHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no healing actions\n';
  return entries
    .map((e) => {
      const subject = [e.service ?? '-', e.instance ?? ''].filter(Boolean).join(' ');
      const result = e.success ? 'ok' : 'FAILED';
      const recovery = e.recovery_ms === null ? '' : ` (recovered in ${e.recovery_ms} ms)`;
      return `${e.time}  ${e.action.padEnd(20)} ${subject}  ${result}${recovery}${e.reason ? `: ${e.reason}` : ''}\n`;
    })
    .join('');
}

export function registerHistory(program: Command): void {
  addConnectionOptions(
    program
      .command('history')
      .description('Show the healing history, newest first')
      .argument('[service]', 'only this service')
      .option('-n, --limit <count>', 'at most this many entries (default 100, at most 1000)'),
  ).action(async (service: string | undefined, flags: Flags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    const { aliciaError } = await import('../../core/errors.js');
    const limit = flags.limit === undefined ? undefined : Number(flags.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
      throw aliciaError(
        'ALICIA_ERR_CONFIG_INVALID',
        `--limit must be a whole number from 1 to 1000, got "${flags.limit}"`,
      );
    }
    await withClient(flags, async (client) => {
      const reply = await client.request('history', {
        ...(service !== undefined ? { service } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
      if (flags.json) printJson(reply.entries);
      else process.stdout.write(formatHistory(reply.entries));
    });
  });
}
