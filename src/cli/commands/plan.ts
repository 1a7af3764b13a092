// `alicia plan -f compose.yaml` (and `alicia up --dry-run`): what a deploy would do — where
// each instance would run, the networks on each host, the names each instance reaches on
// other hosts, the warnings — asked of the running orchestrator (it owns placement and the
// hosts' addresses); nothing is run.
import type { Command } from 'commander';
import type { PlanReport } from '../../protocol/requests.js';
import { addConnectionOptions, type ConnectionFlags } from '../client.js';
import { addComposeFileOptions } from '../options.js';

interface PlanFlags extends ConnectionFlags {
  file?: string[];
  project?: string;
  profile?: string[];
  json?: boolean;
}

/** The plan as text: hosts, containers, warnings. */
export function formatPlan(plan: PlanReport, formatTable: (h: string[], rows: string[][]) => string): string {
  const hosts = formatTable(
    ['HOST', 'ADDRESS', 'NETWORKS', 'INSTANCES'],
    plan.hosts.map((h) => [
      h.agent,
      h.address ?? '-',
      h.networks.join(',') || '-',
      String(h.instances.length),
    ]),
  );
  const containers = formatTable(
    ['ACTION', 'HOST', 'SERVICE', 'INSTANCE', 'IMAGE', 'PORTS', 'REACHES', 'DATA'],
    plan.containers.map((c) => [
      c.action,
      c.agent,
      c.service,
      c.instance,
      c.image,
      c.ports.join(',') || '-',
      c.links.join(',') || '-',
      c.holds ?? '-',
    ]),
  );
  const warnings = plan.warnings.map(
    (w) => `warning: ${w.file ? `${w.file}: ${w.path}: ` : ''}${w.message}\n`,
  );
  return `Plan for ${plan.stack} (nothing run)\n\n${hosts}\n${containers}${warnings.length > 0 ? `\n${warnings.join('')}` : ''}`;
}

/** Asks the orchestrator for the plan of the Compose files; prints it (or JSON). */
export async function printPlan(flags: PlanFlags): Promise<void> {
  const { withClient, formatTable } = await import('../client.js');
  const { printJson } = await import('../output.js');
  const { existsSync } = await import('node:fs');
  const { findComposeFiles, loadBundle } = await import('../../compose/index.js');
  await withClient(flags, async (client) => {
    const files = flags.file ?? findComposeFiles(process.cwd(), process.env, existsSync);
    const { bundle } = await loadBundle({ files, projectName: flags.project, profiles: flags.profile });
    await client.orchestratorOnline('plan');
    const plan = await client.request('plan', bundle);
    if (flags.json) printJson(plan);
    else process.stdout.write(formatPlan(plan, formatTable));
  });
}

export function registerPlan(program: Command): void {
  addConnectionOptions(
    addComposeFileOptions(
      program
        .command('plan')
        .description(
          'Show what `up` would do (placement per host, networks, cross-host names, warnings); runs nothing',
        ),
    ),
  ).action(printPlan);
}
