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
SEED="${SEED:-ballast-sample-v1}"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
MAX_BYTES=5000000
OUT="$HERE/../ml-cuda.oci.tar"

for tool in buildah python3 gcc; do
    command -v "$tool" >/dev/null || { echo "ml-cuda/build.sh: $tool not found" >&2; exit 1; }
done
[ -x "$BUSYBOX" ] || { echo "ml-cuda/build.sh: no static busybox at $BUSYBOX" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ballast-ml-cuda.XXXXXX")"
B=(buildah --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver vfs)
cleanup() {
    "${B[@]}" rm --all >/dev/null 2>&1 || true
    "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== generating context (seed $SEED)"
python3 "$HERE/gen_context.py" --seed "$SEED" --busybox "$BUSYBOX" --out "$WORK/gen"

echo "== building"
"${B[@]}" bud --layers --no-cache --isolation chroot --timestamp 0 \
    --volume "$WORK/gen/payload:/mnt:ro" -t ml-cuda -f "$HERE/Dockerfile" "$WORK/gen/ctx"
"${B[@]}" push --quiet ml-cuda "oci-archive:$WORK/ml-cuda.oci.tar:ml-cuda:latest"

# buildah stamps the outer tar entries with the current time; zero them so
# reruns give identical files (the blobs are not touched).
python3 - "$WORK/ml-cuda.oci.tar" <<'PY'
import io, sys, tarfile
path = sys.argv[1]
with tarfile.open(path) as src:
    members = [(m, src.extractfile(m).read() if m.isreg() else None) for m in src.getmembers()]
with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as dst:
    for m, data in members:
        m.mtime = 0
        dst.addfile(m, None if data is None else io.BytesIO(data))
PY

size=$(stat -c %s "$WORK/ml-cuda.oci.tar")
if [ "$size" -ge "$MAX_BYTES" ]; then
    echo "ml-cuda/build.sh: ml-cuda.oci.tar is $size bytes, over the 5 MB limit" >&2
    exit 1
fi
mv -f "$WORK/ml-cuda.oci.tar" "$OUT"
printf '== wrote %s (%d bytes, sha256:%s)\n' "$(basename "$OUT")" "$size" "$(sha256sum "$OUT" | cut -c1-16)"
