// `alicia events`: follows lifecycle events like `docker events` (Ctrl-C to stop); each
// event is printed by the event view (one line per event, exhaustive over event types).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  json?: boolean;
  type?: string[];
  clientId?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((v) => v !== '')];
}

export function registerEvents(program: Command): void {
  addConnectionOptions(
    program
      .command('events')
      .description('Follow lifecycle events (alicia/services/events); --json prints one JSON object per line')
      .option('--type <type>', 'only events of this type (repeatable or comma-separated)', collect)
      .option(
        '--client-id <id>',
        'persistent session under this MQTT client id: events published while this command was not running are delivered when it runs again',
      ),
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
      const { judgeSeq } = await import('../event-gaps.js');
      const client = await clientFromFlags(flags, { persistentId: flags.clientId });
      // Gaps are judged on every event (before the --type filter): seq counts all of them.
      let mark: Parameters<typeof judgeSeq>[0] = null;
      const wanted = new Set<string>(flags.type ?? []);
      await client.followEvents((event) => {
        const { verdict, mark: next } = judgeSeq(mark, event);
        mark = next;
        if (verdict.kind === 'repeat') return;
        if (verdict.kind === 'gap')
          process.stderr.write(
            `alicia events: ${verdict.lost} event(s) lost (session ${verdict.session}, seq ${verdict.from}-${verdict.to}); they cannot be replayed\n`,
          );
        if (verdict.kind === 'restart')
          process.stderr.write(
            `alicia events: the orchestrator restarted (session ${verdict.from} -> ${verdict.to})\n`,
          );
        if (wanted.size > 0 && !wanted.has(event.event_type)) return;
        process.stdout.write(`${flags.json ? JSON.stringify(event) : formatEvent(event)}\n`);
      });
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
