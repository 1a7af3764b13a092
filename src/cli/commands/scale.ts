// `alicia scale web=3 [worker=0 …]`: sets the replicas of services (persisted overrides).
import type { Command } from 'commander';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';

interface ScaleFlags extends ConnectionFlags {
  stack?: string;
  json?: boolean;
}

export function registerScale(program: Command): void {
  addConnectionOptions(
    program
      .command('scale')
      .description('Set the number of replicas of services: alicia scale web=3 worker=0')
      .argument('<service=replicas...>', 'one or more service=N')
      .option('-p, --stack <name>', 'the stack the services belong to (needed when several have them)'),
  ).action(async (pairs: string[], flags: ScaleFlags) => {
    const { withClient } = await import('../client.js');
    const { printJson } = await import('../output.js');
    const { aliciaError } = await import('../../core/errors.js');
    await withClient(flags, async (client) => {
      const wanted = pairs.map((pair) => {
        const match = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(\d+)$/.exec(pair);
        if (!match?.[1] || match[2] === undefined) {
          throw aliciaError('ALICIA_ERR_CONFIG_INVALID', `"${pair}" is not service=N (e.g. web=3)`);
        }
        return { service: match[1], replicas: Number(match[2]) };
      });
      const results = [];
      for (const w of wanted) {
        const result = await client.requestAcrossRestarts(
          'scale',
          { ...w, ...(flags.stack ? { stack: flags.stack } : {}) },
          { timeoutMs: 300_000 },
        );
        results.push(result);
        if (!flags.json)
          process.stdout.write(`${result.stack}/${result.service}: ${result.from} → ${result.to}\n`);
        if (!flags.json)
          for (const host of (result.hosts ?? []).filter((h) => h.status === 'pending'))
            process.stdout.write(
              `  ${host.agent}: ${host.instances.length} PENDING (host offline; removed when it returns)\n`,
            );
      }
      if (flags.json) printJson(results);
      // Not done while surplus is left on an offline host: scripts must not take it as done.
      if (results.some((r) => (r.pending?.length ?? 0) > 0)) process.exitCode = 2;
    });
  });
}
