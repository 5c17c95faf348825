#!/usr/bin/env bash
# Rebuild the diff sample pairs: one OLD image and four NEW variants, each
# differing from OLD in one step (see the Dockerfiles), exported as OCI
# archives (gzip layers, as `buildah push` writes them) beside this script.
# tests/it/diff.rs compares OLD with each NEW.
#
# Needs: buildah, python3, a static busybox at $BUSYBOX (/bin/busybox).
# Uses a throwaway buildah storage under a temp dir, removed on exit.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT=diff/build.sh
. "$HERE/../lib.sh"
SEED="${SEED:-ballast-diff-v1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"

require_tools buildah python3
require_busybox "$BUSYBOX"
start_buildah_work diff-samples
OUT="$WORK/out"
mkdir -p "$OUT"

echo "== generating contexts (seed $SEED)"
python3 "$HERE/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/gen"

build() { # name context
    local name="$1" ctx="$2"
    echo "== building $name"
    bud_reproducible --volume "$WORK/gen/payload:/mnt:ro" \
        -t "diff-$name" -f "$HERE/$name/Dockerfile" "$ctx"
    "${B[@]}" push --quiet "diff-$name" "oci-archive:$OUT/$name.oci.tar:diff-$name:latest"
}

build old "$WORK/gen/ctx"
build pip-added "$WORK/gen/ctx"
build file-grown "$WORK/gen/ctx-grown"
build step-moved "$WORK/gen/ctx"
build cache-left "$WORK/gen/ctx"

zero_outer_mtimes "$OUT"/*.oci.tar
require_under_size_limit "$OUT"/*.tar
mv -f "$OUT"/*.tar "$HERE/"

echo "== wrote"
cd "$HERE"
for f in *.oci.tar; do
    printf '  %-22s %9d bytes  sha256:%s\n' "$f" "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-16)"
done
