// `alicia docs asyncapi`: prints (or writes) the AsyncAPI 3 document of the MQTT protocol,
// generated from the protocol's zod schemas; docs/asyncapi.yaml is its committed output.
import type { Command } from 'commander';

interface AsyncApiFlags {
  out?: string;
  json?: boolean;
  prefix?: string;
}

export function registerDocs(program: Command): void {
  const docs = program.command('docs').description('Machine-readable descriptions of Alicia');
  docs
    .command('asyncapi')
    .description('The AsyncAPI 3 document of every MQTT topic, its payload schema and who sends it')
    .option('--out <file>', 'write it to this file instead of stdout')
    .option('--json', 'JSON instead of YAML')
    .option('--prefix <prefix>', 'topic prefix of the addresses (default alicia)')
    .action(async (flags: AsyncApiFlags) => {
      const { fail } = await import('../output.js');
      try {
        const { renderAsyncApi } = await import('../../asyncapi/index.js');
        const text = renderAsyncApi({ format: flags.json ? 'json' : 'yaml', prefix: flags.prefix });
        if (flags.out === undefined) {
          process.stdout.write(text);
          return;
        }
        const { writeFile } = await import('node:fs/promises');
        await writeFile(flags.out, text);
        process.stderr.write(`alicia: wrote ${flags.out}\n`);
      } catch (err) {
        fail(err);
      }
    });
}
