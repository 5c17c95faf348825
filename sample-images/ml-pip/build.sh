#!/usr/bin/env bash
# Build the "ml-pip" sample image: a Debian bookworm base made by debootstrap,
# then numpy and MarkupSafe installed by the image's own pip, exported as a
# docker-archive at $BALLAST_SAMPLES_DIR/ml-pip.docker.tar (default
# /var/tmp/ballast-samples; about 300 MB, never in the work tree). Nothing
# runs it implicitly: `.ci/run` does, and tests/packages.rs skips (saying how
# to build it) when the tarball is absent.
#
# Usage: build.sh [--if-stale]   (--if-stale: do nothing when the tarball was
# built from this very build.sh, ../lib.sh and Dockerfile)
#
# Needs: root, buildah, debootstrap, python3 with pip, and network access to
# a Debian mirror and to PyPI (wheels are downloaded on the host, not inside
# the build). Uses a throwaway buildah storage (vfs) under a temp dir, removed
# on exit. Writes only ml-pip.docker.tar and ml-pip.docker.tar.stamp in
# $BALLAST_SAMPLES_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=ml-pip/build.sh
. "$HERE/../lib.sh"
SUITE=bookworm
SAMPLES_DIR="${BALLAST_SAMPLES_DIR:-/var/tmp/ballast-samples}"
mkdir -p "$SAMPLES_DIR"
OUT="$SAMPLES_DIR/ml-pip.docker.tar"

# The stamp names the inputs; a tarball with another stamp is stale.
stamp() {
    cat "$HERE/build.sh" "$HERE/../lib.sh" "$HERE/Dockerfile" | sha256sum | cut -c1-64
}
if [ "${1:-}" = --if-stale ] && [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$(stamp)" ]; then
    echo "== $OUT is up to date"
    exit 0
fi

require_tools buildah debootstrap python3
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, buildah)"

start_buildah_work ml-pip

echo "== debootstrap $SUITE (minbase + python3, python3-pip, python3-venv)"
# debootstrap's default mirror unless DEBIAN_MIRROR names another.
debootstrap --variant=minbase --include=python3,python3-pip,python3-venv \
    "$SUITE" "$WORK/rootfs" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
}
# What debootstrap leaves that no image has: its downloaded .debs and lists.
rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
mkdir -p "$WORK/ctx"
tar -C "$WORK/rootfs" --numeric-owner --sort=name --mtime=@0 -cf "$WORK/ctx/rootfs.tar" .

echo "== downloading wheels"
mkdir -p "$WORK/wheels"
python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --python-version 3.11 --implementation cp --abi cp311 \
    -d "$WORK/wheels" numpy==1.26.4 MarkupSafe==2.1.5

echo "== building"
bud_reproducible \
    --volume "$WORK/wheels:/mnt:ro" -t ml-pip -f "$HERE/Dockerfile" "$WORK/ctx"
rm -f "$OUT" "$OUT.stamp"
"${B[@]}" push --quiet ml-pip "docker-archive:$WORK/ml-pip.docker.tar:ml-pip:latest"
mv -f "$WORK/ml-pip.docker.tar" "$OUT"
stamp >"$OUT.stamp"
printf '== wrote %s (%d bytes)\n' "$OUT" "$(stat -c %s "$OUT")"
