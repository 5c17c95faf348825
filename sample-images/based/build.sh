#!/usr/bin/env bash
# Build the "based" sample: a small base image of its own (base.Dockerfile),
# then an image FROM it (Dockerfile) that changes base files, so the history
# really has a base's steps before the build's own. Writes, beside this
# script's parent directory (sample-images/):
#
#   based-base.docker.tar   the base alone (for `ballast … --base`)
#   based.docker.tar        the image, docker-archive (no annotations: the
#                           base is found from the history)
#   based.oci.tar           the image, OCI archive whose manifest carries
#                           org.opencontainers.image.base.name/.base.digest
#
# Needs: root, buildah, python3, a static busybox at $BUSYBOX (/bin/busybox).
# No network. Throwaway vfs storage under a temp dir, removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=based/build.sh
. "$HERE/../lib.sh"
SEED="${SEED:-ballast-sample-v1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
BASE=localhost/ballast-based-base:1

require_tools buildah python3
require_busybox "$BUSYBOX"
start_buildah_work based
OUT="$WORK/out"
mkdir -p "$OUT"

python3 "$HERE/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/gen"

echo "== building the base"
bud_reproducible -t "$BASE" -f "$HERE/base.Dockerfile" "$WORK/gen/base"
"${B[@]}" push --quiet "$BASE" "docker-archive:$OUT/based-base.docker.tar:$BASE"
base_digest="$("${B[@]}" inspect --format '{{.FromImageDigest}}' "$BASE" 2>/dev/null || true)"
[ -n "$base_digest" ] || base_digest="$("${B[@]}" images --no-trunc --format '{{.Digest}}' "$BASE" | head -n1)"

echo "== building the image FROM it"
bud_reproducible --pull-never \
    --annotation "org.opencontainers.image.base.name=$BASE" \
    --annotation "org.opencontainers.image.base.digest=$base_digest" \
    -t based -f "$HERE/Dockerfile" "$WORK/gen/ctx"
"${B[@]}" push --quiet based "docker-archive:$OUT/based.docker.tar:based:latest"
"${B[@]}" push --quiet based "oci-archive:$OUT/based.oci.tar:based:latest"

zero_outer_mtimes "$OUT/based.oci.tar"
require_under_size_limit "$OUT"/*.tar
mv -f "$OUT"/*.tar "$HERE/../"
for f in based-base.docker.tar based.docker.tar based.oci.tar; do
    printf '  %-24s %9d bytes\n' "$f" "$(stat -c %s "$HERE/../$f")"
done
