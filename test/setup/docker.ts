// Global setup: every run has a real Docker engine. Tests that need Docker do not skip
// when it is missing — the run fails here, loudly, with the script's reason.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/docker-engine.sh', import.meta.url));
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = out.trim().split('\n').at(-1) ?? '';
  const match = /^DOCKER_HOST=(.*)$/.exec(last);
  if (!match) throw new Error(`scripts/docker-engine.sh did not end with DOCKER_HOST=…: ${last}`);
  // Workers are forked after global setup and inherit this environment.
  if (match[1]) process.env.DOCKER_HOST = match[1];
}
