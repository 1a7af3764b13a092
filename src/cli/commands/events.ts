// `alicia events`: follows lifecycle events like `docker events` (Ctrl-C to stop); each
// event is printed by the event view (one line per event, exhaustive over event types).
import type { Command } from 'commander';
import type { EventType } from '../../protocol/events.js';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  json?: boolean;
  type?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}

export function registerEvents(program: Command): void {
  addConnectionOptions(
    program
      .command('events')
      .description('Follow lifecycle events (alicia/services/events); --json prints one JSON object per line')
      .option('--type <type>', 'only events of this type (repeatable or comma-separated)', collect),
  ).action(async (flags: Flags) => {
    const { clientFromFlags } = await import('../client.js');
    const { formatEvent } = await import('../event-view.js');
    const { fail } = await import('../output.js');
    try {
      const { EVENT_TYPES } = await import('../../protocol/events.js');
      const known = new Set<string>(EVENT_TYPES);
      const unknown = (flags.type ?? []).filter((t) => !known.has(t));
      if (unknown.length > 0) {
        const { aliciaError } = await import('../../core/errors.js');
        throw aliciaError(
          'ALICIA_ERR_CONFIG_INVALID',
          `unknown event type ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`,
        );
      }
      const client = await clientFromFlags(flags);
      await client.followEvents(
        (event) => process.stdout.write(`${flags.json ? JSON.stringify(event) : formatEvent(event)}\n`),
        (flags.type ?? []) as EventType[],
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await client.close();
    } catch (err) {
      fail(err, flags.json);
    }
  });
}
