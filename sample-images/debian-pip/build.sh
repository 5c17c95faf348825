#!/usr/bin/env bash
# Build the "debian-pip" sample (about 500 MB, never committed): a Debian
# bookworm base image from debootstrap, then an image FROM it with one
# planted mistake per step (Dockerfile). Writes into
# ${BALLAST_SAMPLES_DIR:-/var/tmp/ballast-samples}/debian-pip/:
#
#   debian-base.docker.tar   the base alone (for `ballast … --base`)
#   debian-pip.docker.tar    the image (base found from the history)
#   debian-pip.oci.tar       the image as an OCI archive with the base
#                            annotations
#
# Usage: build.sh [--if-stale]   (skip when the outputs were built from this
# very script and Dockerfiles). Needs root, buildah, debootstrap, python3 and
# network access to a Debian mirror (DEBIAN_MIRROR, else debootstrap's
# default) and to PyPI (pip runs inside the build, trusting the host's CA
# bundle: $PIP_CERT or /etc/ssl/certs/ca-certificates.crt). Throwaway vfs storage
# under a temp dir, removed on exit; nothing is written into the work tree.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=debian-pip/build.sh
. "$HERE/../lib.sh"
SUITE=bookworm
BASE=localhost/ballast-debian-base:bookworm
DEST="${BALLAST_SAMPLES_DIR:-/var/tmp/ballast-samples}/debian-pip"

stamp() {
    cat "$HERE/build.sh" "$HERE/../lib.sh" "$HERE/Dockerfile" "$HERE/base.Dockerfile" | sha256sum | cut -c1-64
}
if [ "${1:-}" = --if-stale ] && [ -f "$DEST/debian-pip.oci.tar" ] &&
    [ "$(cat "$DEST/stamp" 2>/dev/null)" = "$(stamp)" ]; then
    echo "== $DEST is up to date"
    exit 0
fi

require_tools buildah debootstrap python3
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, buildah)"
start_buildah_work debian-pip
mkdir -p "$DEST" "$WORK/out" "$WORK/base" "$WORK/ctx"

echo "== debootstrap $SUITE (minbase)"
debootstrap --variant=minbase "$SUITE" "$WORK/rootfs" ${DEBIAN_MIRROR:+"$DEBIAN_MIRROR"} \
    >"$WORK/debootstrap.log" 2>&1 || {
    tail -n 30 "$WORK/debootstrap.log" >&2
    exit 1
}
# What debootstrap leaves that no image has: its .debs, lists and apt caches.
rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"* \
    "$WORK/rootfs/var/cache/apt/"*.bin
tar -C "$WORK/rootfs" --numeric-owner --sort=name --mtime=@0 -cf "$WORK/base/rootfs.tar" .

echo "== building the base"
bud_reproducible -t "$BASE" -f "$HERE/base.Dockerfile" "$WORK/base"
"${B[@]}" push --quiet "$BASE" "docker-archive:$WORK/out/debian-base.docker.tar:$BASE"

echo "== model file"
python3 - "$WORK/ctx/model.safetensors" <<'PY'
import hashlib, json, struct, sys
n = 24_000_000
header = json.dumps({"w": {"dtype": "U8", "shape": [n], "data_offsets": [0, n]}}).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header)
    f.write(hashlib.shake_256(b"ballast-debian-pip-model").digest(n))
PY

echo "== building the image FROM it"
base_digest="$("${B[@]}" images --no-trunc --format '{{.Digest}}' "$BASE" | head -n1)"
# pip inside the build trusts what the host trusts (a proxy's CA, say):
# the host's CA bundle at /mnt/ca.crt and a pip.conf naming it, bind-mounted
# for the RUN steps only (a mount is not recorded in the image).
mkdir -p "$WORK/mnt"
cp "${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}" "$WORK/mnt/ca.crt"
printf '[global]\ncert = /mnt/ca.crt\n' >"$WORK/pip.conf"
bud_reproducible --pull-never \
    --volume "$WORK/mnt:/mnt:ro" --volume "$WORK/pip.conf:/etc/pip.conf:ro" \
    --annotation "org.opencontainers.image.base.name=$BASE" \
    --annotation "org.opencontainers.image.base.digest=$base_digest" \
    -t debian-pip -f "$HERE/Dockerfile" "$WORK/ctx"
"${B[@]}" push --quiet debian-pip "docker-archive:$WORK/out/debian-pip.docker.tar:debian-pip:latest"
"${B[@]}" push --quiet debian-pip "oci-archive:$WORK/out/debian-pip.oci.tar:debian-pip:latest"

rm -f "$DEST/stamp"
mv -f "$WORK/out/"*.tar "$DEST/"
stamp >"$DEST/stamp"
ls -l "$DEST"
