#!/usr/bin/env bash
# The main job on one machine: makes a Docker engine available (starting a private one when
# none answers; see docker-engine.sh), then runs `alicia up` on the example stack
# (docker-compose.yml) with the embedded broker, orchestrator and a local agent.
# Ctrl-C stops the stack in reverse dependency order and removes it.
# Extra arguments go to `alicia up` (e.g. --port 18830, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] || npm run build >&2
export "$(bash scripts/docker-engine.sh | tail -n 1)"
[ -n "${DOCKER_HOST:-}" ] || unset DOCKER_HOST
exec node dist/src/cli/main.js up -f docker-compose.yml "$@"
