// Global setup: every run has the test tools and a real Docker engine. Tests that need Docker do not skip
// when it is missing — the run fails here, loudly, with the script's reason.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const script = (name: string) => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));
  // Debian packages the tests use (mosquitto_sub, docker-compose, …); a no-op when present.
  execFileSync('bash', [script('test-deps.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const out = execFileSync('bash', [script('docker-engine.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  const match = /^DOCKER_HOST=(.*)$/.exec(last);
  if (!match) throw new Error(`scripts/docker-engine.sh did not end with DOCKER_HOST=…: ${last}`);
  // Workers are forked after global setup and inherit this environment.
  if (match[1]) process.env.DOCKER_HOST = match[1];
}
