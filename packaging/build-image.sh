#!/usr/bin/env bash
# Builds the Alicia image on the engine of DOCKER_HOST with no registry: makes the base
# image (make-base-image.sh), stages a build context (dist, bin, config, package.json and
# only the production dependencies, as `npm ls --omit=dev` lists them), then `docker build`.
#
#   npm run build && packaging/build-image.sh [tag]      (default alicia:<package version>)
# Prints the image name on its last line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
version=$(node -p "require('$repo/package.json').version")
tag=${1:-alicia:$version}
[ -f "$repo/dist/src/cli/main.js" ] || { echo "build-image: run npm run build first" >&2; exit 1; }
base=$("$here/make-base-image.sh" | tail -n 1)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cd "$repo"
cp -R bin config package.json "$ctx/"
mkdir -p "$ctx/broker" "$ctx/dist"
cp -R broker/mosquitto "$ctx/broker/"
# dist without the benchmarks (they import dev dependencies).
for dir in src agents broker; do cp -R "dist/$dir" "$ctx/dist/"; done
# Production dependencies only, each package directory once (nested ones come with their
# parent); node_modules may be a symlink, so copy what it points at.
modules=$(readlink -f node_modules)
npm ls --omit=dev --all --parseable 2>/dev/null | grep '/node_modules/' | sed "s#^$repo/node_modules/##; s#^$modules/##" |
  sort -u | while read -r pkg; do
    mkdir -p "$ctx/node_modules/$(dirname "$pkg")"
    [ -e "$ctx/node_modules/$pkg" ] || cp -R "$modules/$pkg" "$ctx/node_modules/$pkg"
  done
# The legacy builder: Debian's engine (20.10) has no BuildKit front end here, and
# --network host because the test engine has no default bridge.
DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE=$base" \
  -f "$here/Dockerfile" -t "$tag" "$ctx" >&2
echo "$tag"
