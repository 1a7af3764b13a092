// The agent's version: package.json's, found by walking up from this file so that it
// works from src (tests) and from dist (installed) alike.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'alicia' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not here: look one level up.
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const AGENT_VERSION: string = findVersion();
