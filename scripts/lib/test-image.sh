# shellcheck shell=bash
# The test image alicia-test/busybox:latest, shared by scripts/docker-engine.sh (one engine)
# and scripts/lab.sh (one engine per lab host). Sourced, not run. No registry is reachable:
# the image is a `docker import` of a rootfs holding Debian's busybox-static with every
# applet linked (except `busybox` itself), PATH=/bin, a world-writable /tmp, /etc/passwd and
# /etc/group for root, /www/index.html (for `httpd -h /www`) and an empty /data.

TEST_IMAGE=alicia-test/busybox:latest
TEST_IMAGE_CHANGES=(--change 'ENV PATH=/bin' --change 'CMD ["sh"]')

# Prints the path of a statically linked busybox (the container has no libc).
test_image_busybox() {
  local bb
  bb=$(command -v busybox) || return 1
  file "$bb" 2>/dev/null | grep -q 'dynamically linked' && [ -x /bin/busybox ] && bb=/bin/busybox
  printf '%s\n' "$bb"
}

# test_image_tar OUT: writes the image's rootfs as a tar file to OUT.
test_image_tar() (
  local out=$1 bb rootfs applet
  bb=$(test_image_busybox) || { echo "test-image: busybox is missing (Debian's busybox-static)" >&2; return 1; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/www" "$rootfs/data"
  chmod 1777 "$rootfs/tmp"
  cp "$bb" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  echo 'alicia test image' >"$rootfs/www/index.html"
  tar -C "$rootfs" -c . >"$out"
)

# test_image_import TAR DOCKER-COMMAND…: imports TAR as the test image with that docker
# command, e.g. `test_image_import "$tar" docker --host unix:///run/x.sock`.
test_image_import() {
  local tar=$1
  shift
  "$@" import "${TEST_IMAGE_CHANGES[@]}" "$tar" "$TEST_IMAGE" >/dev/null
}
