#!/usr/bin/env bash
# The lab: many hosts on one machine (docs/lab.md, DESIGN.md "The lab").
#
#   lab.sh up N            N hosts lab1..labN: a network namespace each (alicia-lab-<i>), a
#                          veth to the bridge alicia-lab0, an address from the lab's /24, its
#                          own dockerd (iptables on, inside the namespace) and the test image
#   lab.sh down            removes everything the lab made (also after a crash halfway)
#   lab.sh partition H     the host's link set down on the bridge side: no FIN, no RST
#   lab.sh heal H          the link up again
#   lab.sh reboot H        kill -9 every process of the host (engine, containers, agents),
#                          clear its /run and network stack, start its engine again
#   lab.sh status [--json] hosts, addresses, links, engines answering
#   lab.sh exec H CMD…     runs CMD in the host's namespace, DOCKER_HOST set to its engine
#   lab.sh docker H ARGS…  `docker ARGS…` against the host's engine
#
# H is lab<i> or <i>. The lab owns one private /24 (ALICIA_LAB_SUBNET, default
# 10.213.77.0/24): the bridge is .1, host i is .(10+i). Hosts have no default route and the
# root namespace never forwards lab traffic off the lab bridge (iptables rules tagged
# "alicia-lab"), so lab traffic never leaves the machine. Progress and errors go to stderr.
set -euo pipefail

# Several labs may live side by side (one per test file, or a test beside a benchmark):
# ALICIA_LAB_ID=1..9 picks one. Lab 1 keeps the plain names (alicia-lab, alicia-lab0,
# 10.213.77.0/24); lab n uses alicia-lab<n> for every name and 10.213.(76+n).0/24.
LAB_ID=${ALICIA_LAB_ID:-1}
if ! [[ $LAB_ID =~ ^[1-9]$ ]]; then
  printf 'lab: ERROR: ALICIA_LAB_ID=%s: give a lab number 1..9\n' "$LAB_ID" >&2; exit 1
fi
if [ "$LAB_ID" = 1 ]; then P=alicia-lab; BRIDGE=alicia-lab0; else P=alicia-lab$LAB_ID; BRIDGE=$P-br; fi
SUBNET=${ALICIA_LAB_SUBNET:-10.213.$((76 + LAB_ID)).0/24}
RUN=/run/$P                        # per-host sockets, pidfiles, exec roots; the state file
DATA=/var/lib/$P                   # per-host data roots (a host's disk: survives reboot)
STATE=$RUN/state.json
TAG=$P                             # iptables comment on every rule the lab adds
LOCK=/run/lock/$P.lock
MAX_HOSTS=50
ENGINE_TIMEOUT_S=${ALICIA_LAB_ENGINE_TIMEOUT_S:-60}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { printf 'lab: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

need_root() { [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, bridges, iptables, dockerd): run as root"; }

need_tools() {
  local t
  for t in ip iptables iptables-save nsenter dockerd docker busybox flock file; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is missing (Debian: iproute2, iptables, util-linux, docker.io, busybox-static, file)"
  done
}

lock() {
  mkdir -p "$(dirname "$LOCK")"
  exec 9>"$LOCK"
  flock -w 120 9 || die "another lab.sh has held $LOCK for 120 s"
}

# What every lab shares — the /run/netns mount that `ip netns add` makes on first use and
# `down` undoes — changes under one machine-wide lock: two labs coming up at once would
# otherwise stack two mounts there, and one lab's `down` would hide the other's namespaces.
SHARED_LOCK=/run/lock/alicia-labs-shared.lock
with_shared_lock() {
  local rc=0
  exec 8>"$SHARED_LOCK"
  flock -w 120 8 || die "another lab.sh has held $SHARED_LOCK for 120 s"
  "$@" || rc=$?
  exec 8>&-
  return "$rc"
}

# --- addresses ---------------------------------------------------------------------------

[[ $SUBNET =~ ^(10|172|192)\.([0-9]{1,3})\.([0-9]{1,3})\.0/24$ ]] ||
  die "ALICIA_LAB_SUBNET=$SUBNET: give a private /24 like 10.213.77.0/24"
NET=${SUBNET%.0/24}
ip_to_int() { local IFS=.; read -r a b c d <<<"$1"; echo $(((a << 24) | (b << 16) | (c << 8) | d)); }
private() { # RFC 1918 only: the lab must never take a public range
  local n; n=$(ip_to_int "$1")
  (((n >> 24) == 10)) || (((n >> 20) == (172 << 4 | 1))) || (((n >> 16) == (192 << 8 | 168)))
}
private "$NET.0" || die "ALICIA_LAB_SUBNET=$SUBNET is not a private (RFC 1918) range"
BRIDGE_ADDR=$NET.1
host_addr() { echo "$NET.$((10 + $1))"; }

# True when PREFIX (a.b.c.d/len) overlaps the lab's /24.
overlaps_lab() {
  local addr=${1%/*} len=${1#*/} min mask
  [ "$addr" = "$1" ] && len=32
  ((len == 0)) && return 1 # the default route covers everything but uses nothing
  min=$((len < 24 ? len : 24))
  mask=$(((0xffffffff << (32 - min)) & 0xffffffff))
  (($(($(ip_to_int "$addr") & mask)) == $(($(ip_to_int "$NET.0") & mask))))
}

# Refuses when any interface address or route (any table) of the root namespace already uses
# the lab's /24 — other than the lab's own bridge.
check_subnet_unused() {
  local line prefix dev
  while read -r line; do
    prefix=$(awk '{print $4}' <<<"$line"); dev=$(awk '{print $2}' <<<"$line")
    [ "$dev" = "$BRIDGE" ] && continue
    overlaps_lab "$prefix" && die "$SUBNET is in use: interface $dev has $prefix (set ALICIA_LAB_SUBNET to another private /24)"
  done < <(ip -4 -o addr show)
  while read -r line; do
    prefix=$(awk '{print $1}' <<<"$line")
    [[ $prefix =~ ^(broadcast|local|unreachable|blackhole|prohibit|throw|multicast)$ ]] && prefix=$(awk '{print $2}' <<<"$line")
    [[ $prefix == default ]] && continue
    [[ $line == *" dev $BRIDGE "* || $line == *" dev $BRIDGE" ]] && continue
    overlaps_lab "$prefix" && die "$SUBNET is in use: route '$line' (set ALICIA_LAB_SUBNET to another private /24)"
  done < <(ip -4 route show table all)
  return 0
}

# --- names -------------------------------------------------------------------------------

ns_of() { echo "$P-$1"; }       # network namespace of host i
link_of() { echo "$P-$1"; }     # its veth on the bridge side (root namespace)
dir_of() { echo "$RUN/lab$1"; }
data_of() { echo "$DATA/lab$1"; }
sock_of() { echo "unix://$(dir_of "$1")/docker.sock"; }
cgroup_of() { echo "$P-$1"; }   # --cgroup-parent of the host's containers

lab_indexes() { # hosts that exist now, from their namespaces
  ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^$P-\\([0-9]\\+\\)\$/\\1/p" | sort -n
}

host_index() { # lab2 | 2 -> 2, and the host must exist
  local i=${1#lab}
  [[ $i =~ ^[0-9]+$ ]] || die "unknown host '$1' (expected lab<i> or <i>)"
  [ -e "/var/run/netns/$(ns_of "$i")" ] || die "host lab$i is not in the lab (lab.sh status)"
  echo "$i"
}

in_ns() { local i=$1; shift; nsenter --net="/var/run/netns/$(ns_of "$i")" -- "$@"; }
dk() { local i=$1; shift; docker --host "$(sock_of "$i")" "$@"; }
answers() { timeout 5 docker --host "$(sock_of "$1")" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
link_state() { # up | down | missing
  local s
  s=$(cat "/sys/class/net/$(link_of "$1")/operstate" 2>/dev/null) || { echo missing; return; }
  [ "$s" = down ] && echo down || echo up
}

# --- processes, mounts, cgroups ----------------------------------------------------------

# PIDs the lab owns for host i (or every host with i=*): processes in its namespace, its
# engine's processes (by their paths, also when the namespace is already gone), processes in
# its containers' cgroups, and every descendant of those (container processes live in their
# own namespaces, under containerd's shims).
lab_pids() {
  local i=$1 ns pid
  local -A seen=()
  local -a roots=()
  for ns in /var/run/netns/$P-$i; do
    [ -e "$ns" ] || continue
    for pid in $(ip netns pids "$(basename "$ns")" 2>/dev/null); do roots+=("$pid"); done
  done
  local pat="($RUN/lab$i/|$DATA/lab$i/)"
  [ "$i" = '*' ] && pat="($RUN/|$DATA/)"
  for pid in $(pgrep -f -- "$pat" 2>/dev/null); do roots+=("$pid"); done
  # cgroup v1 (one tree per controller) and v2 (one tree)
  for pid in $(cat /sys/fs/cgroup/{,*/}$P-$i/{,*/}cgroup.procs 2>/dev/null); do
    roots+=("$pid")
  done
  for pid in "${roots[@]}"; do seen[$pid]=1; done
  # descendants: repeat over the parent table until nothing new is found
  local -a table
  mapfile -t table < <(ps -e -o pid=,ppid= 2>/dev/null)
  local grew=1 line p pp
  while ((grew)); do
    grew=0
    for line in "${table[@]}"; do
      read -r p pp <<<"$line"
      if [ -n "${seen[$pp]:-}" ] && [ -z "${seen[$p]:-}" ]; then seen[$p]=1; grew=1; fi
    done
  done
  # never ourselves or the processes that called us
  p=$$
  while [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != 1 ]; do
    unset "seen[$p]"
    p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || true)
  done
  unset "seen[$BASHPID]"
  [ ${#seen[@]} -gt 0 ] && printf '%s\n' "${!seen[@]}" | sort -n
  return 0
}

# kill -9 every process of host i (or * for all); stops them first so none can fork or be
# re-parented out of sight between the listing and the kill.
kill_host() {
  local i=$1 round pids
  for round in 1 2 3 4 5; do
    pids=$(lab_pids "$i")
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -STOP $pids 2>/dev/null || true
    pids=$(lab_pids "$i")
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    local t
    for ((t = 0; t < 100; t++)); do
      local alive=0 p
      for p in $pids; do [ -e "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive=1 && break; done
      ((alive)) || break
      sleep 0.05
    done
  done
  pids=$(lab_pids "$i")
  [ -z "$pids" ] || die "processes of lab host(s) $i survive kill -9: $(echo "$pids" | tr '\n' ' ')"
}

# Unmounts everything mounted under the given directories, deepest first.
unmount_under() {
  local dir m
  for dir in "$@"; do
    for m in $(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-); do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    done
  done
}

remove_cgroups() { # the cgroup parents of host i's containers, in every hierarchy
  local i=$1 d
  for d in /sys/fs/cgroup/$P-$i /sys/fs/cgroup/*/$P-$i; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

# --- one host ----------------------------------------------------------------------------

# The hosts' namespaces, made together under the shared lock. `ip netns add` makes /run/netns
# a mount point when it is not one; remember whether that is our doing, so `down` undoes it.
add_namespaces() {
  local n=$1 i
  mountpoint -q /run/netns 2>/dev/null || touch "$RUN/made-netns-mount"
  for ((i = 1; i <= n; i++)); do
    [ -e "/var/run/netns/$(ns_of "$i")" ] || ip netns add "$(ns_of "$i")"
  done
}

release_netns_mount() {
  if [ -f "$RUN/made-netns-mount" ] && [ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
    umount /run/netns 2>/dev/null || true
    rmdir /run/netns 2>/dev/null || true
  fi
}

make_netns() { # namespace, veth (eth0 inside), address, no default route, no IPv6
  local i=$1 ns link
  ns=$(ns_of "$i"); link=$(link_of "$i")
  [ -e "/var/run/netns/$ns" ] || ip netns add "$ns"
  ip link add "$link" type veth peer name eth0 netns "$ns"
  sysctl -qw "net.ipv6.conf.$link.disable_ipv6=1"
  ip link set "$link" master "$BRIDGE" up
  in_ns "$i" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  in_ns "$i" ip link set lo up
  in_ns "$i" ip addr add "$(host_addr "$i")/24" dev eth0
  in_ns "$i" ip link set eth0 up
}

remove_netns() {
  local i=$1
  ip link del "$(link_of "$i")" 2>/dev/null || true
  ip netns del "$(ns_of "$i")" 2>/dev/null || true
}

start_engine() { # dockerd inside the host's namespace, in the background
  local i=$1 dir data
  dir=$(dir_of "$i"); data=$(data_of "$i")
  mkdir -p "$dir/exec" "$data/docker"
  rm -f "$dir/docker.pid" "$dir/docker.sock"
  # Our own config file: /etc/docker/daemon.json must not leak in; live-restore off so a
  # reboot ends every container, as a real one does.
  printf '{ "live-restore": false }\n' >"$dir/daemon.json"
  # nsenter, not `ip netns exec`: that remounts /sys and dockerd then fails with "Devices
  # cgroup isn't mounted". iptables stays on (the default): it acts in the namespace only.
  nohup setsid nsenter --net="/var/run/netns/$(ns_of "$i")" -- dockerd \
    --config-file "$dir/daemon.json" \
    --host "$(sock_of "$i")" \
    --data-root "$data/docker" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --cgroup-parent "/$(cgroup_of "$i")" \
    >>"$data/dockerd.log" 2>&1 </dev/null 9>&- &
}

wait_engine() {
  local i=$1 t
  for ((t = 0; t < ENGINE_TIMEOUT_S * 10; t++)); do
    answers "$i" && return 0
    sleep 0.1
  done
  tail -n 20 "$(data_of "$i")/dockerd.log" >&2 || true
  die "the engine of lab$i did not answer within ${ENGINE_TIMEOUT_S}s (log: $(data_of "$i")/dockerd.log)"
}

check_engine() {
  local i=$1 live
  live=$(dk "$i" info --format '{{.LiveRestoreEnabled}}')
  [ "$live" = false ] || die "the engine of lab$i has live-restore on; a reboot would not end its containers"
}

write_state() {
  local i first=1 tmp
  tmp=$(mktemp "$RUN/.state.XXXXXX")
  {
    printf '{"v":1,"subnet":"%s","bridge":{"name":"%s","address":"%s"},"hosts":[' "$SUBNET" "$BRIDGE" "$BRIDGE_ADDR"
    for i in $(lab_indexes); do
      ((first)) || printf ','
      first=0
      printf '{"name":"lab%s","index":%s,"netns":"%s","netnsPath":"/var/run/netns/%s","link":"%s","address":"%s","dockerHost":"%s","dockerdPid":%s,"dataRoot":"%s","execRoot":"%s"}' \
        "$i" "$i" "$(ns_of "$i")" "$(ns_of "$i")" "$(link_of "$i")" "$(host_addr "$i")" "$(sock_of "$i")" \
        "$(cat "$(dir_of "$i")/docker.pid" 2>/dev/null || echo null)" "$(data_of "$i")/docker" "$(dir_of "$i")/exec"
    done
    printf ']}\n'
  } >"$tmp"
  mv "$tmp" "$STATE"
}

# --- commands ----------------------------------------------------------------------------

# 0: a whole, answering lab of N hosts; 1: nothing of the lab; 2: a lab of another size or
# a broken one (leftovers).
lab_health() {
  local n=$1 i count=0 leftovers=0
  for i in $(lab_indexes); do count=$((count + 1)); done
  ip link show "$BRIDGE" >/dev/null 2>&1 && leftovers=1
  [ -d "$RUN" ] || [ -d "$DATA" ] && leftovers=1
  ((count == 0 && leftovers == 0)) && [ -z "$(lab_pids '*')" ] && return 1
  ((count == n)) || return 2
  [ -f "$STATE" ] || return 2
  for ((i = 1; i <= n; i++)); do
    [ -e "/var/run/netns/$(ns_of "$i")" ] && [ "$(link_state "$i")" != missing ] && answers "$i" || return 2
  done
  return 0
}

cmd_up() {
  local n=${1:-}
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= MAX_HOSTS)) || die "usage: lab.sh up N   (1 <= N <= $MAX_HOSTS)"
  need_root; need_tools; lock
  local t0 health=0 existing
  t0=$(now_ms)
  lab_health "$n" || health=$?
  if ((health == 0)); then
    say "the lab is already up with $n hosts (bridge $BRIDGE $BRIDGE_ADDR): nothing to do"
    return 0
  fi
  if ((health == 2)); then
    existing=$(lab_indexes | wc -l)
    if ((existing > 0 && existing != n)) && lab_health "$existing"; then
      die "the lab is up with $existing hosts, not $n: run 'lab.sh down' first"
    fi
    say "cleaning up a stale or broken lab first"
    do_down
  fi
  check_subnet_unused

  mkdir -p "$RUN" "$DATA"
  with_shared_lock add_namespaces "$n"

  say "bridge $BRIDGE $BRIDGE_ADDR/24 (lab subnet $SUBNET)"
  # A fixed hardware address (locally administered, one per lab): a bridge without one takes
  # its lowest port's, so a reboot that replaces a host's veth could change it under the other
  # hosts' ARP caches, and they lost the bridge (the broker) until the entries expired.
  ip link add "$BRIDGE" address "02:a1:1c:1a:00:0$LAB_ID" type bridge
  sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
  ip addr add "$BRIDGE_ADDR/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # Lab traffic stays on the lab bridge: hosts talk to each other and to the root namespace
  # (the broker), and nothing is forwarded between the lab and any other interface.
  iptables -w -I FORWARD 1 ! -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$TAG" -j DROP
  iptables -w -I FORWARD 1 -i "$BRIDGE" ! -o "$BRIDGE" -m comment --comment "$TAG" -j DROP
  iptables -w -I FORWARD 1 -i "$BRIDGE" -o "$BRIDGE" -m comment --comment "$TAG" -j ACCEPT

  local i
  for ((i = 1; i <= n; i++)); do
    make_netns "$i"
    start_engine "$i"
    say "lab$i: namespace $(ns_of "$i"), address $(host_addr "$i"), engine $(sock_of "$i")"
  done

  local tar
  tar=$(mktemp)
  # shellcheck source=scripts/lib/test-image.sh
  . "$HERE/lib/test-image.sh"
  test_image_tar "$tar"
  local -a jobs=()
  for ((i = 1; i <= n; i++)); do
    (wait_engine "$i" && check_engine "$i" && test_image_import "$tar" dk "$i") &
    jobs+=($!)
  done
  local failed=0 j
  for j in "${jobs[@]}"; do wait "$j" || failed=1; done
  rm -f "$tar"
  ((failed == 0)) || die "bringing up the engines failed (see above); 'lab.sh down' cleans up"
  write_state
  say "up: $n hosts in $(($(now_ms) - t0)) ms; state in $STATE"
}

do_down() {
  local i
  # 1. every process: engines, containerd and shims, containers, agents started in a host
  kill_host '*'
  # 2. every mount the engines left (data roots, overlay layers, namespace files)
  unmount_under "$RUN" "$DATA"
  # 3. namespaces and links
  for i in $(lab_indexes); do remove_netns "$i"; done
  local link
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E "^($P-[0-9]+|$BRIDGE)\$" || true); do
    ip link del "$link" 2>/dev/null || true
  done
  # 4. iptables rules tagged as ours
  local line
  local -a rule
  while read -r line; do
    read -ra rule <<<"$line"
    rule[0]=-D
    iptables -w -t filter "${rule[@]}" || say "could not delete iptables rule: $line"
  done < <(iptables-save -t filter | grep -E -- "--comment \"?$TAG\"? " || true)
  # 5. cgroups of the engines' containers
  remove_cgroups '*'
  # 6. /run/netns, when the lab made it a mount point and nobody else uses it
  with_shared_lock release_netns_mount
  # 7. state, sockets, data roots — after checking that nothing is mounted there any more
  if awk -v r="$RUN" -v d="$DATA" '$5 == r || $5 == d || index($5, r "/") == 1 || index($5, d "/") == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
    die "something is still mounted under $RUN or $DATA; not removing them"
  fi
  rm -rf --one-file-system "$RUN" "$DATA"
}

cmd_down() {
  need_root; lock
  local t0; t0=$(now_ms)
  do_down
  rm -f "$LOCK"
  say "down: the lab is gone ($(($(now_ms) - t0)) ms)"
}

cmd_partition() {
  need_root
  local i; i=$(host_index "${1:-}")
  ip link set "$(link_of "$i")" down
  say "lab$i partitioned: link $(link_of "$i") down on the bridge side (no FIN, no RST)"
}

cmd_heal() {
  need_root
  local i; i=$(host_index "${1:-}")
  ip link set "$(link_of "$i")" up
  say "lab$i healed: link $(link_of "$i") up"
}

cmd_reboot() {
  need_root; lock
  local i t0 was dir
  i=$(host_index "${1:-}")
  t0=$(now_ms)
  was=$(link_state "$i")
  dir=$(dir_of "$i")
  # Power off: every process of the host dies at once, as in a power cut.
  kill_host "$i"
  # Boot: mounts are gone, /run is empty, the network stack is new; the disk (data root) stays.
  unmount_under "$dir" "$(data_of "$i")" "/run/netns/$(ns_of "$i")"
  remove_cgroups "$i"
  rm -rf --one-file-system "$dir/exec"
  remove_netns "$i"
  make_netns "$i"
  [ "$was" = down ] && ip link set "$(link_of "$i")" down
  start_engine "$i"
  wait_engine "$i"
  check_engine "$i"
  write_state
  say "lab$i rebooted in $(($(now_ms) - t0)) ms (engine pid $(cat "$dir/docker.pid"); link $(link_state "$i"))"
}

cmd_status() {
  local json=0 i first=1 eng
  [ "${1:-}" = --json ] && json=1
  if ((json)); then
    printf '{"up":%s,"subnet":"%s","bridge":{"name":"%s","address":"%s","present":%s},"hosts":[' \
      "$([ -f "$STATE" ] && echo true || echo false)" "$SUBNET" "$BRIDGE" "$BRIDGE_ADDR" \
      "$(ip link show "$BRIDGE" >/dev/null 2>&1 && echo true || echo false)"
    for i in $(lab_indexes); do
      ((first)) || printf ','
      first=0
      answers "$i" && eng=true || eng=false
      printf '{"name":"lab%s","netns":"%s","address":"%s","link":"%s","engine":%s,"dockerHost":"%s","dockerdPid":%s}' \
        "$i" "$(ns_of "$i")" "$(host_addr "$i")" "$(link_state "$i")" "$eng" "$(sock_of "$i")" \
        "$(cat "$(dir_of "$i")/docker.pid" 2>/dev/null || echo null)"
    done
    printf ']}\n'
    return 0
  fi
  if [ -z "$(lab_indexes)" ]; then
    echo "no lab (bridge $BRIDGE: $(ip link show "$BRIDGE" >/dev/null 2>&1 && echo present || echo absent))"
    return 0
  fi
  printf '%-6s %-14s %-14s %-5s %-8s %s\n' HOST NETNS ADDRESS LINK ENGINE DOCKER_HOST
  printf '%-6s %-14s %-14s %-5s %-8s %s\n' bridge "-" "$BRIDGE_ADDR" \
    "$(ip link show "$BRIDGE" >/dev/null 2>&1 && echo up || echo gone)" "-" "-"
  for i in $(lab_indexes); do
    answers "$i" && eng=answers || eng=silent
    printf '%-6s %-14s %-14s %-5s %-8s %s\n' "lab$i" "$(ns_of "$i")" "$(host_addr "$i")" "$(link_state "$i")" "$eng" "$(sock_of "$i")"
  done
}

cmd_exec() {
  need_root
  local i; i=$(host_index "${1:-}")
  shift
  [ $# -gt 0 ] || die "usage: lab.sh exec H CMD…"
  DOCKER_HOST=$(sock_of "$i") exec nsenter --net="/var/run/netns/$(ns_of "$i")" -- "$@"
}

cmd_docker() {
  need_root
  local i; i=$(host_index "${1:-}")
  shift
  exec docker --host "$(sock_of "$i")" "$@"
}

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  partition) cmd_partition "$@" ;;
  heal) cmd_heal "$@" ;;
  reboot) cmd_reboot "$@" ;;
  status) cmd_status "$@" ;;
  exec) cmd_exec "$@" ;;
  docker) cmd_docker "$@" ;;
  -h | --help | help) usage 0 ;;
  *) say "unknown command '${cmd}'"; usage ;;
esac
