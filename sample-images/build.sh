#!/usr/bin/env bash
# Rebuild ballast's sample images from scratch: generate the contexts from a
# fixed seed, build with buildah (one layer per instruction, timestamps at 0),
# export as docker-archive and OCI archives, check the planted mistakes against
# the built image and write ml-mistakes/planted.json.
#
# Needs: buildah, skopeo, python3, a static busybox at $BUSYBOX (/bin/busybox).
# Runs as root without a daemon. Uses its own throwaway buildah storage (vfs
# driver) under a temp dir, removed on exit, so it touches no other images.
# Writes only into the directory this script lives in.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=build.sh
. "$HERE/lib.sh"
SEED="${SEED:-ballast-sample-v1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

require_tools buildah skopeo python3
require_busybox "$BUSYBOX"

start_buildah_work sample-images
OUT="$WORK/out"
mkdir -p "$OUT"

build() { # name context [extra bud args...]
    local name="$1" ctx="$2"
    shift 2
    echo "== building $name"
    bud_reproducible "$@" -t "$name" -f "$HERE/$name/Dockerfile" "$ctx"
    "${B[@]}" push --quiet "$name" "docker-archive:$OUT/$name.docker.tar:$name:latest"
    "${B[@]}" push --quiet "$name" "oci-archive:$OUT/$name.oci.tar:$name:latest"
}

echo "== generating contexts (seed $SEED)"
python3 "$HERE/ml-mistakes/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/ml-mistakes"
python3 "$HERE/clean/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/clean"

# The stand-in apt-get/pip/curl read their "downloads" from a payload dir
# bind-mounted at /mnt (an empty dir of the base layer) during every RUN; a
# bud --volume is not recorded in the image history.
build ml-mistakes "$WORK/ml-mistakes/ctx" --volume "$WORK/ml-mistakes/payload:/mnt:ro"
build clean "$WORK/clean/ctx"

echo "== zstd OCI variant"
skopeo copy --quiet --dest-compress-format zstd \
    "docker-archive:$OUT/ml-mistakes.docker.tar" \
    "oci-archive:$OUT/ml-mistakes.oci-zstd.tar:ml-mistakes:latest"

zero_outer_mtimes "$OUT"/*.oci*.tar

echo "== verifying"
python3 "$HERE/verify_planted.py" --docker "$OUT/ml-mistakes.docker.tar" \
    --oci "$OUT/ml-mistakes.oci.tar" --oci "$OUT/ml-mistakes.oci-zstd.tar" \
    --expected "$WORK/ml-mistakes/expected.json" --out "$OUT/planted.json"
python3 "$HERE/verify_planted.py" --docker "$OUT/clean.docker.tar" --oci "$OUT/clean.oci.tar"

require_under_size_limit "$OUT"/*.tar

mv -f "$OUT"/*.tar "$HERE/"
mv -f "$OUT/planted.json" "$HERE/ml-mistakes/planted.json"

echo "== wrote"
cd "$HERE"
for f in ml-mistakes.docker.tar ml-mistakes.oci.tar ml-mistakes.oci-zstd.tar \
    clean.docker.tar clean.oci.tar ml-mistakes/planted.json; do
    printf '  %-28s %9d bytes  sha256:%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-16)"
done
