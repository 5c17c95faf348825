# Sourced by the sample images' build scripts (build.sh, ml-cuda/build.sh,
# ml-pip/build.sh), which set `set -euo pipefail` and SCRIPT (their name in
# error messages) first. What every sample build does alike lives here once:
# checking the tools, a throwaway buildah storage, the buildah flags that make
# builds reproducible, and zeroing the timestamps buildah puts on archives.

# Committed tarballs must stay under 5 MB.
MAX_SAMPLE_BYTES=5000000

die() {
    echo "$SCRIPT: $*" >&2
    exit 1
}

require_tools() { # tool...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool not found"
    done
}

require_busybox() { # path
    [ -x "$1" ] || die "no static busybox at $1"
}

# Sets WORK, a temp dir removed on exit, and B, the buildah command with its
# own vfs storage under WORK, so a build touches no other images.
start_buildah_work() { # name (of the temp dir)
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/ballast-$1.XXXXXX")"
    B=(buildah --root "$WORK/storage" --runroot "$WORK/runroot" --storage-driver vfs)
    trap cleanup_buildah_work EXIT
}

cleanup_buildah_work() {
    "${B[@]}" rm --all >/dev/null 2>&1 || true
    "${B[@]}" rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$WORK"
}

# One layer per instruction, nothing reused from earlier builds, every
# timestamp in the image at 0.
bud_reproducible() { # bud args...
    "${B[@]}" bud --layers --no-cache --isolation chroot --timestamp 0 "$@"
}

# buildah and skopeo stamp the outer tar entries of an OCI archive with the
# current time; zero them (and only them: the blobs are not touched) so
# reruns give identical files.
zero_outer_mtimes() { # archive...
    python3 - "$@" <<'PY'
import io, sys, tarfile
for path in sys.argv[1:]:
    with tarfile.open(path) as src:
        members = [(m, src.extractfile(m).read() if m.isreg() else None) for m in src.getmembers()]
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as dst:
        for m, data in members:
            m.mtime = 0
            dst.addfile(m, None if data is None else io.BytesIO(data))
PY
}

require_under_size_limit() { # file...
    local f size
    for f in "$@"; do
        size=$(stat -c %s "$f")
        if [ "$size" -ge "$MAX_SAMPLE_BYTES" ]; then
            die "$(basename "$f") is $size bytes, over the 5 MB limit"
        fi
    done
}
