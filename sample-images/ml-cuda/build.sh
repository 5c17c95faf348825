#!/usr/bin/env bash
# Rebuild the ml-cuda sample image (sample-images/ml-cuda.oci.tar, committed):
# generate the context from a fixed seed, build with buildah (one layer per
# instruction, timestamps at 0), export as a gzip OCI archive.
#
# Needs: root, buildah, python3, gcc, a static busybox at $BUSYBOX. No daemon
# and no network. Uses a throwaway buildah storage (vfs) under a temp dir,
# removed on exit. Writes only sample-images/ml-cuda.oci.tar.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=ml-cuda/build.sh
. "$HERE/../lib.sh"
SEED="${SEED:-ballast-sample-v1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
OUT="$HERE/../ml-cuda.oci.tar"

require_tools buildah python3 gcc
require_busybox "$BUSYBOX"

start_buildah_work ml-cuda

echo "== generating context (seed $SEED)"
python3 "$HERE/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/gen"

echo "== building"
bud_reproducible \
    --volume "$WORK/gen/payload:/mnt:ro" -t ml-cuda -f "$HERE/Dockerfile" "$WORK/gen/ctx"
"${B[@]}" push --quiet ml-cuda "oci-archive:$WORK/ml-cuda.oci.tar:ml-cuda:latest"

zero_outer_mtimes "$WORK/ml-cuda.oci.tar"
require_under_size_limit "$WORK/ml-cuda.oci.tar"
mv -f "$WORK/ml-cuda.oci.tar" "$OUT"
printf '== wrote %s (%d bytes, sha256:%s)\n' "$(basename "$OUT")" "$(stat -c %s "$OUT")" "$(sha256sum "$OUT" | cut -c1-16)"
