#!/usr/bin/env bash
# Makes the base image the Alicia image builds FROM, with no image registry: a root file
# system holding this machine's `node` binary, the shared libraries `ldd` lists for it,
# busybox (a shell for bin/alicia, and `readlink -f`), CA certificates and a passwd file,
# imported with `docker import`. Idempotent: does nothing when the image exists.
#
#   packaging/make-base-image.sh [image]        (default alicia/node-base:<node version>)
#   env: DOCKER_HOST as usual; NODE (default: the node on PATH)
# Prints the image name on its last line.
set -euo pipefail
node_bin=$(readlink -f "${NODE:-$(command -v node)}")
version=$("$node_bin" --version)
image=${1:-alicia/node-base:${version#v}}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi
busybox_bin=$(command -v busybox || true)
if [ -z "$busybox_bin" ] || ! "$busybox_bin" --list >/dev/null 2>&1; then
  echo "make-base-image: needs a static busybox (Debian package busybox-static)" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,etc/ssl/certs,tmp,var/lib/alicia,root,home/alicia}
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/bin/node"
# Every shared library node needs, at the path the dynamic loader looks for it.
ldd "$node_bin" | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$busybox_bin" "$root/bin/busybox"
for applet in $("$busybox_bin" --list); do
  [ "$applet" = busybox ] || [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/bin/sh\nalicia:x:1000:1000:alicia:/home/alicia:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nalicia:x:1000:\n' >"$root/etc/group"
chown 1000:1000 "$root/home/alicia" "$root/var/lib/alicia"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/bin:/bin' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --message "node $version + busybox, from $(hostname)" - "$image" >/dev/null
echo "$image"
