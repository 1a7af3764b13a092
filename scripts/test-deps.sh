#!/usr/bin/env bash
# Installs the Debian packages Alicia's tests use, when they are missing: the Docker engine
# (docker.io), busybox-static (test image), mosquitto + mosquitto-clients (real broker and
# mosquitto_sub/pub), docker-compose (the peer we compare with), openssl (TLS tests),
# prometheus (promtool checks the metrics exposition),
# chromium (the dashboard's browser tests, driven by playwright-core).
# A no-op when everything is there. Needs root and apt to install anything.
set -euo pipefail
declare -A want=(
  [dockerd]=docker.io [busybox]=busybox-static [mosquitto]=mosquitto
  [mosquitto_sub]=mosquitto-clients [docker-compose]=docker-compose [openssl]=openssl
  [promtool]=prometheus [chromium]=chromium
)
missing=()
# systemd: `systemd-analyze verify` of packaging/systemd/ (docker-compose also runs packaging/compose.yaml).
want[systemd-analyze]=systemd
# The lab of hosts (scripts/lab.sh): namespaces, veths, iptables in each host, nsenter, file.
want[ip]=iproute2; want[iptables]=iptables; want[nsenter]=util-linux; want[file]=file
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${want[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${missing[*]}; install these Debian packages (needs root)" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting daemons (mosquitto's would take port 1883).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
