// `alicia agents`: the hosts the orchestrator knows, their liveness and what they run.
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface Flags extends ConnectionFlags {
  json?: boolean;
}

export function registerAgents(program: Command): void {
  addConnectionOptions(
    program.command('agents').description('List the agents (hosts) and their liveness'),
  ).action(async (flags: Flags) => {
    const { clientFromFlags, formatTable } = await import('../client.js');
    const { fail, printJson } = await import('../output.js');
    try {
      const client = await clientFromFlags(flags);
      try {
        const data = await client.request('agents', {});
        if (flags.json) printJson(data);
        else
          process.stdout.write(
            formatTable(
              ['AGENT', 'STATUS', 'HOSTNAME', 'ADDRESS', 'ARCH', 'RUNNING', 'LAST SEEN', 'LABELS'],
              data.agents.map((a) => [
                a.agent,
                a.status,
                a.hostname ?? '-',
                a.address ?? '-',
                a.arch ?? '-',
                `${a.running}/${a.containers}`,
                a.last_seen_ms_ago === null ? '-' : `${(a.last_seen_ms_ago / 1000).toFixed(1)}s ago`,
                Object.entries(a.labels)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(','),
              ]),
            ),
          );
      } finally {
        await client.close();
      }
    } catch (err) {
      fail(err, flags.json);
    }
  });
}
