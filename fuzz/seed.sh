#!/usr/bin/env bash
# Builds the seed corpora in fuzz/corpus/<target>/ from the sample images
# (sample-images/*.tar) and the hostile corpus (tests/hostile/corpus/*.tar):
#
#   archive           whole archives, plain, and a few gzip/zstd-compressed
#   tar               whole archives and the uncompressed layer tars
#   layer             the uncompressed layer tars
#   layer_decompress  layer blobs as stored (plain, gzip, zstd), plus the
#                     small plain ones recompressed with gzip and zstd
#   layout            each archive's metadata in the layout target's
#                     `NAME 0x01 CONTENT 0x00` record format (layer blobs
#                     present by name, empty)
#
# Files above 1 MiB are kept: libFuzzer truncates them to -max_len, and a cut
# archive is still a useful start. Run from anywhere; rerunning adds nothing
# twice (seed files are named by content hash).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$here/corpus"
mkdir -p "$out"/{archive,tar,layer,layer_decompress,layout}

shopt -s nullglob
archives=("$root"/sample-images/*.tar "$root"/tests/hostile/corpus/*.tar)
if [ ${#archives[@]} -eq 0 ]; then
    echo "seed.sh: no archives found under sample-images/ or tests/hostile/corpus/" >&2
    exit 1
fi

python3 - "$out" "${archives[@]}" <<'PY'
import gzip, hashlib, io, os, subprocess, sys, tarfile, zlib

out, archives = sys.argv[1], sys.argv[2:]
MIB = 1 << 20

def put(target, data):
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(out, target, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)

def zstd(data):
    try:
        return subprocess.run(["zstd", "-q", "-c", "-3"], input=data,
                              stdout=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None

def unzstd(data):
    try:
        return subprocess.run(["zstd", "-q", "-d", "-c"], input=data,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None

def is_json(data):
    # By shape, not by parsing: the hostile corpus nests JSON too deep for
    # Python, and broken JSON belongs in the layout seeds as well.
    return data.lstrip()[:1] in (b"{", b"[")

counts = {}
for arc in archives:
    with open(arc, "rb") as f:
        whole = f.read()
    put("archive", whole)
    put("tar", whole)
    # The streamed path (`docker save | gzip`) for the small archives.
    if len(whole) <= MIB:
        put("archive", gzip.compress(whole, 6, mtime=0))
        z = zstd(whole)
        if z:
            put("archive", z)
    try:
        tf = tarfile.open(fileobj=io.BytesIO(whole), mode="r:")
        members = tf.getmembers()
    except (tarfile.TarError, EOFError, OverflowError, ValueError):
        continue  # a hostile archive Python cannot read either
    records = []
    for m in members:
        if not m.isfile():
            continue
        try:
            blob = tf.extractfile(m).read()
        except (tarfile.TarError, OSError, EOFError, OverflowError, ValueError):
            continue
        name = m.name.lstrip("./")
        if b"\x00" not in blob and is_json(blob):
            records.append(name.encode() + b"\x01" + blob)
            continue
        if name == "oci-layout":
            records.append(name.encode() + b"\x01" + blob)
            continue
        records.append(name.encode() + b"\x01")
        # A layer blob: as stored, and uncompressed.
        put("layer_decompress", blob)
        if blob[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(blob)
            except (OSError, EOFError, zlib.error):
                raw = None
        elif blob[:4] == b"\x28\xb5\x2f\xfd":
            raw = unzstd(blob)
        else:
            raw = blob
        if raw is None:
            continue
        put("layer", raw)
        put("tar", raw)
        if len(raw) <= MIB:
            put("layer_decompress", gzip.compress(raw, 6, mtime=0))
            z = zstd(raw)
            if z:
                put("layer_decompress", z)
    meta = b"\x00".join(records) + b"\x00"
    put("layout", meta)
    if b"index.json\x01" in meta:
        put("layout", meta + b"?platform\x01linux/amd64\x00")

for t in sorted(os.listdir(out)):
    n = len(os.listdir(os.path.join(out, t)))
    print(f"seed: {t:<17} {n:>4} files")
PY
