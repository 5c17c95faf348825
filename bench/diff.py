#!/usr/bin/env python3
"""Benchmark: `ballast diff` of two multi-GB images that share their base
costs no more than one analysis of each distinct layer.

Writes, under --data (default /tmp/ballast-diff-bench, or -gzip after it),
two OCI layout directories with uncompressed layers, or with
`--compression gzip` gzip layers as registries serve them (the base blob
compressed once and shared, so both images hold the same digest):

- `old/`: a BASE layer (--base-gb, default 3 GB, large files) and a TOP
  layer of its own (--top-mb, default 300 MB);
- `new/`: the same BASE blob (hard-linked, so it is on disk once) and
  another TOP layer;
- `new-top/`: NEW's TOP layer alone, as a one-layer image (to time the
  analysis of that layer by itself).

Then measures, each --runs times (median): wall time, CPU time (user + sys
of the child, which a busy shared machine disturbs less than wall time) and
bytes read (the kernel's `rchar`, exact whatever the load):

- `ballast diff old new`                       the comparison;
- `ballast old`                                 BASE + OLD's TOP, once each;
- `ballast new-top`                             NEW's TOP alone;
- `ballast new`                                 what a naive diff adds.

Acceptance: the diff reads no more bytes than `old` and `new-top` together
(the shared BASE is read once, every other layer once), and its CPU time is
within --tolerance (15 %) of theirs. Prints a table and writes it to
--results (default bench/DIFF-RESULTS.md, bench/DIFF-RESULTS-GZIP.md with
gzip). Content is seeded: the same bytes on every machine. With gzip the
bytes read are the compressed blobs; CPU time includes inflating them.

Usage: CARGO_TARGET_DIR=... python3 bench/diff.py [--ballast PATH] [--runs N]
       python3 bench/diff.py --compression gzip --data /work/bench-data/diff-gzip
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CHUNK = 1 << 20
VERSION = 1


class Pool:
    """Seeded 8 MiB of bytes; files are 1 MiB slices at seeded offsets.
    `compressible`: 16 distinct byte values (4 bits of entropy a byte), so
    gzip halves them and inflating costs real work, as with real layers."""

    def __init__(self, seed: str, compressible: bool = False):
        data = random.Random(seed).randbytes(8 * CHUNK)
        if compressible:
            data = data.translate(bytes((b & 0x0F) + 0x40 for b in range(256)))
        self.data = data

    def chunk(self, k: int) -> bytes:
        off = (k * 7919 * 4096) % (7 * CHUNK)
        return self.data[off : off + CHUNK]


class Content(io.RawIOBase):
    """A file of `size` bytes drawn from the pool, read in chunks."""

    def __init__(self, pool: Pool, key: int, size: int):
        self.pool, self.key, self.left, self.k = pool, key, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.left == 0:
            return 0
        c = self.pool.chunk(self.key * 1000 + self.k)
        n = min(len(b), self.left, len(c))
        b[:n] = c[:n]
        self.left -= n
        self.k += 1
        return n


class Hashing(io.RawIOBase):
    """Writes through to a file and hashes what passes (the diff_id)."""

    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.h.update(b)
        self.f.write(b)
        self.n += len(b)
        return len(b)


def write_layer(path: str, files: list[tuple[str, int, int]], pool: Pool, compress: bool = False):
    """A layer blob of `files` (name, size, content key): a tar, gzipped
    (level 1, no name or time in the header) when `compress`. Returns
    (diff_id, blob digest, blob size, media type)."""
    with open(path, "wb") as raw:
        blob_hash = Hashing(raw)
        z = gzip.GzipFile(filename="", mode="wb", compresslevel=1, fileobj=blob_hash, mtime=0) if compress else None
        h = Hashing(z if z else blob_hash)
        with tarfile.open(fileobj=h, mode="w|", format=tarfile.PAX_FORMAT) as t:
            for d in sorted({"/".join(n.split("/")[:i]) for n, _, _ in files for i in range(1, n.count("/") + 1)}):
                ti = tarfile.TarInfo(d)
                ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 0
                t.addfile(ti)
            for name, size, key in files:
                ti = tarfile.TarInfo(name)
                ti.size, ti.mode, ti.mtime = size, 0o644, 0
                t.addfile(ti, io.BufferedReader(Content(pool, key, size), CHUNK))
        if z:
            z.close()
    diff_id = "sha256:" + h.h.hexdigest()
    if not compress:
        return diff_id, diff_id, h.n, "application/vnd.oci.image.layer.v1.tar"
    return diff_id, "sha256:" + blob_hash.h.hexdigest(), blob_hash.n, "application/vnd.oci.image.layer.v1.tar+gzip"


def blob(layout: str, data: bytes) -> tuple[str, int]:
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs/sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def write_layout(layout: str, layers: list[tuple[str, str, str, int, str]], names: list[str]) -> None:
    """An OCI layout at `layout` whose layers are the blob files given as
    (path, diff_id, digest, size, media type), hard-linked in."""
    os.makedirs(os.path.join(layout, "blobs/sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs = []
    for path, _, digest, size, media in layers:
        dst = os.path.join(layout, "blobs/sha256", digest.split(":")[1])
        if not os.path.exists(dst):
            os.link(path, dst)
        descs.append({"mediaType": media, "digest": digest, "size": size})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [d for _, d, _, _, _ in layers]},
        "history": [{"created_by": f"/bin/sh -c {n}"} for n in names],
    }
    cd, cs = blob(layout, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": descs,
    }
    md, ms = blob(layout, json.dumps(manifest).encode())
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms}]}, f)


def generate(data: str, base_gb: float, top_mb: int, compress: bool) -> None:
    stamp = os.path.join(data, "stamp.json")
    want = {"version": VERSION, "base_gb": base_gb, "top_mb": top_mb}
    if compress:
        want["compression"] = "gzip"
        want["content"] = "4-bit"
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        print(f"== images in {data} are up to date")
        return
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(os.path.join(data, "layers"))
    pool = Pool("ballast-diff-bench", compressible=compress)
    t0 = time.time()
    base_files = []
    total, k = int(base_gb * 1e9), 0
    while total > 0:
        size = min(total, 48 * CHUNK + k * 4096)
        base_files.append((f"opt/base/lib{k:04d}/libbig{k}.so", size, k))
        total -= size
        k += 1
    base = os.path.join(data, "layers/base.tar")
    base_layer = (base, *write_layer(base, base_files, pool, compress))
    tops = {}
    for side, off in (("old", 50_000), ("new", 60_000)):
        files, total, k = [], top_mb * CHUNK, 0
        while total > 0:
            size = min(total, 16 * CHUNK)
            files.append((f"app/{side}/model{k:03d}.bin", size, off + k))
            total -= size
            k += 1
        p = os.path.join(data, f"layers/{side}-top.tar")
        tops[side] = (p, *write_layer(p, files, pool, compress))
    write_layout(os.path.join(data, "old"), [base_layer, tops["old"]],
                 ["COPY base /opt/base", "COPY app /app"])
    write_layout(os.path.join(data, "new"), [base_layer, tops["new"]],
                 ["COPY base /opt/base", "COPY app /app"])
    write_layout(os.path.join(data, "new-top"), [tops["new"]], ["COPY app /app"])
    json.dump(want, open(stamp, "w"))
    print(f"== generated in {time.time() - t0:.0f} s: base blob {base_layer[3] / 1e9:.2f} GB, tops {top_mb} MiB each")


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, bytes read) of one run. Bytes read are
    the kernel's `rchar` (every read(2), page cache or not) of a shell
    that ran the command: a reaped child's counts join its parent's."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    script = '"$@" >/dev/null 2>"$ERR"; rc=$?; [ $rc -le 1 ] || exit $rc; grep ^rchar /proc/$$/io'
    err = os.path.join(os.environ.get("TMPDIR", "/tmp"), "ballast-diff-bench.err")
    r = subprocess.run(["sh", "-c", script, "sh", *cmd], capture_output=True, env={**os.environ, "ERR": err})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {r.returncode}: {open(err).read()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, int(r.stdout.split()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", help="where the images go [/tmp/ballast-diff-bench, -gzip for gzip]")
    ap.add_argument("--compression", choices=["none", "gzip"], default="none",
                    help="layer blobs uncompressed, or gzip as registries serve them")
    ap.add_argument("--base-gb", type=float, default=3.0)
    ap.add_argument("--top-mb", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tolerance", type=float, default=0.15)
    ap.add_argument("--ballast", help="time this binary instead of building one")
    ap.add_argument("--results", help="[bench/DIFF-RESULTS.md, DIFF-RESULTS-GZIP.md for gzip]")
    a = ap.parse_args()
    gz = a.compression == "gzip"
    a.data = a.data or ("/tmp/ballast-diff-bench" + ("-gzip" if gz else ""))
    a.results = a.results or os.path.join(HERE, "DIFF-RESULTS-GZIP.md" if gz else "DIFF-RESULTS.md")
    exe = a.ballast
    if not exe:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        exe = os.path.join(target, "release", "ballast")
    generate(a.data, a.base_gb, a.top_mb, gz)
    d = a.data
    cases = [
        ("diff old new", [exe, "diff", f"{d}/old", f"{d}/new", "--json", "/dev/null", "--no-progress"]),
        ("old (base + old top)", [exe, f"{d}/old", "--json", "/dev/null", "--no-progress"]),
        ("new top alone", [exe, f"{d}/new-top", "--json", "/dev/null", "--no-progress"]),
        ("new (base + new top)", [exe, f"{d}/new", "--json", "/dev/null", "--no-progress"]),
    ]
    results = {}
    for name, cmd in cases:
        runs = [timed(cmd) for _ in range(a.runs)]
        results[name] = tuple(statistics.median(r[k] for r in runs) for k in range(3))
        w, c, b = results[name]
        print(f"  {name:<22} wall {w:6.2f} s  cpu {c:6.2f} s  read {b / 1e9:6.3f} GB")
    diff = results["diff old new"]
    once = [results["old (base + old top)"][k] + results["new top alone"][k] for k in range(3)]
    naive = [results["old (base + old top)"][k] + results["new (base + new top)"][k] for k in range(3)]
    # Reading is what a shared layer would cost twice; a few kB of
    # metadata per image may differ.
    read_ok = diff[2] <= once[2] * 1.001
    cpu_ok = diff[1] <= once[1] * (1 + a.tolerance)
    ok = read_ok and cpu_ok
    load = os.getloadavg()[0]
    lines = [
        "# `ballast diff` cost",
        "",
        f"Generated by `bench/diff.py` (base {a.base_gb} GB shared, {a.top_mb} MiB top layer per side,",
        f"{'gzip' if gz else 'uncompressed'} OCI layout directories; median of {a.runs} runs; {os.cpu_count()} cores, 1-minute load {load:.1f}).",
        "Bytes read: the kernel's count of bytes the process read (`rchar`).",
        "",
        "| case | wall s | CPU s | bytes read |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {n} | {w:.2f} | {c:.2f} | {b} |" for n, (w, c, b) in results.items()]
    lines += [
        "",
        f"Each distinct layer analysed once (old, plus new's top alone): {once[1]:.2f} CPU s, {once[0]:.2f} s wall, "
        f"{once[2]} bytes read.",
        f"diff: {diff[1]:.2f} CPU s ({diff[1] / once[1]:.2f}×), {diff[0]:.2f} s wall, {diff[2]} bytes read "
        f"({diff[2] / once[2]:.4f}×).",
        f"Two full analyses (old + new): {naive[1]:.2f} CPU s, {naive[2]} bytes read.",
        "",
        f"Acceptance: diff reads no more than one analysis of each distinct layer (+0.1 %): "
        f"{'PASS' if read_ok else 'FAIL'}; its CPU time is within +{a.tolerance:.0%} of that: "
        f"{'PASS' if cpu_ok else 'FAIL'}",
        "",
    ]
    with open(a.results, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
