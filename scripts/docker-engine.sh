#!/usr/bin/env bash
# Makes a Docker engine available for Alicia's tests and demo, and the test image
# alicia-test/busybox:latest. Idempotent: run it as often as you like.
#
#   1. DOCKER_HOST (or the default socket) answers `docker info` -> use it.
#   2. Otherwise our private engine's socket answers -> use it.
#   3. Otherwise (root on Debian) install docker.io + busybox-static when missing and start
#      a private `dockerd --bridge=none --iptables=false` with its own socket, data root,
#      exec root and pidfile; wait until it answers.
# Then import the test image when it is missing. The last line printed on stdout is
#   DOCKER_HOST=unix:///…   (or DOCKER_HOST= for the default socket)
# so callers can `eval "export $(scripts/docker-engine.sh | tail -n1)"`.
# Progress goes to stderr.
set -euo pipefail

PRIVATE_DIR=${ALICIA_DOCKER_DIR:-/var/lib/alicia-dockerd}
RUN_DIR=${ALICIA_DOCKER_RUN:-/run/alicia-dockerd}
PRIVATE_SOCK="unix://$RUN_DIR/docker.sock"
IMAGE=alicia-test/busybox:latest
STARTUP_TIMEOUT_S=${ALICIA_DOCKER_TIMEOUT_S:-60}

say() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

answers() { timeout 10 docker ${1:+--host "$1"} info >/dev/null 2>&1; }

need_pkg() { # command package
  command -v "$1" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "'$1' is missing and we are not root: install Debian's '$2' first"
  command -v apt-get >/dev/null 2>&1 || die "'$1' is missing and this is not Debian/apt: install '$2' first"
  say "installing Debian package $2 (for $1)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null || die "could not install $2"
  fi
}

host=""
if [ -n "${DOCKER_HOST:-}" ] && answers "$DOCKER_HOST"; then
  host=$DOCKER_HOST; say "using DOCKER_HOST=$host"
elif [ -z "${DOCKER_HOST:-}" ] && command -v docker >/dev/null 2>&1 && answers ""; then
  host=""; say "using the default Docker socket"
elif command -v docker >/dev/null 2>&1 && answers "$PRIVATE_SOCK"; then
  host=$PRIVATE_SOCK; say "using the private engine already running at $host"
else
  need_pkg dockerd docker.io
  need_pkg docker docker.io
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and starting one needs root"
  mkdir -p "$PRIVATE_DIR/data" "$RUN_DIR/exec"
  if [ -f "$RUN_DIR/docker.pid" ] && kill -0 "$(cat "$RUN_DIR/docker.pid")" 2>/dev/null; then
    say "private dockerd (pid $(cat "$RUN_DIR/docker.pid")) is running but does not answer yet"
  else
    rm -f "$RUN_DIR/docker.pid" "$RUN_DIR/docker.sock"
    say "starting private dockerd (socket $PRIVATE_SOCK, data $PRIVATE_DIR/data, log $PRIVATE_DIR/dockerd.log)"
    # containerd: docker.io starts its own when none is given.
    nohup setsid dockerd \
      --host "$PRIVATE_SOCK" \
      --data-root "$PRIVATE_DIR/data" \
      --exec-root "$RUN_DIR/exec" \
      --pidfile "$RUN_DIR/docker.pid" \
      --bridge=none --iptables=false --ip6tables=false \
      >"$PRIVATE_DIR/dockerd.log" 2>&1 </dev/null &
  fi
  for ((i = 0; i < STARTUP_TIMEOUT_S * 4; i++)); do
    answers "$PRIVATE_SOCK" && break
    sleep 0.25
  done
  answers "$PRIVATE_SOCK" || { tail -n 20 "$PRIVATE_DIR/dockerd.log" >&2 || true; die "private dockerd did not answer within ${STARTUP_TIMEOUT_S}s"; }
  host=$PRIVATE_SOCK; say "private dockerd answers at $host"
fi

dk() { docker ${host:+--host "$host"} "$@"; }

if dk image inspect "$IMAGE" >/dev/null 2>&1; then
  say "test image $IMAGE is present"
else
  need_pkg busybox busybox-static
  # shellcheck source=scripts/lib/test-image.sh
  . "$(dirname "${BASH_SOURCE[0]}")/lib/test-image.sh"
  tar=$(mktemp)
  trap 'rm -f "$tar"' EXIT
  test_image_tar "$tar"
  test_image_import "$tar" dk
  say "imported test image $IMAGE from $(test_image_busybox)"
fi

echo "DOCKER_HOST=$host"
