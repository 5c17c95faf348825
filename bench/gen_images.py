#!/usr/bin/env python3
"""Writes ballast's benchmark images straight to disk, deterministically.

Three images; the first two each saved three ways:

- `many-files`: 12 layers, ~316k small files (a Debian-like base, then
  node_modules and site-packages trees), a layer that overwrites 6k files and
  re-copies 2k with only a new mode, and a layer with ~8k whiteouts (files,
  whole package directories, opaque directories).
- `large`: 7 layers, ~4.7 GB of layer data: CUDA-like shared libraries, a
  site-packages tree of 20k files, fp16-like model weights (Huffman work for
  gzip), pure-random weights (incompressible), a pip cache deleted by a
  later layer, and a 300 MB file re-added only to change its mode.

- `big-layer` (for bench/gzip.py, built only when named): 3 layers, ~3.4 GB,
  one of which holds all but ~100 MB of it (site-packages with big native
  libraries, fp16 weights, already-compressed wheels), saved only as
  `big-layer.oci.tar`. Its layers are gzipped as plain deflate streams (see
  `gzip_plain`), not spliced from pre-deflated chunks.

For each IMAGE, under the data directory:

- `IMAGE.docker.tar`: docker-archive as `buildah push docker-archive:`
  writes it (`<diff_id>.tar` layers, config, `manifest.json` last);
- `IMAGE.oci.tar`: OCI archive (`oci-layout`, `blobs/sha256/*`, gzip
  layers, `index.json`), as `buildah push oci-archive:` writes it;
- `IMAGE.oci/`: the same OCI layout as a directory, kept so the benchmark
  can time plain `zcat` on each layer blob.

No docker, buildah or network: tar headers and gzip streams are written
here, with the standard library only. Content comes from seeded pools, so
the uncompressed archives are the same bytes on every machine; gzip output
is the same for the same zlib.

Big files are sequences of 1 MiB chunks drawn from the pools; each distinct
chunk is deflated once, after a full flush, and the stored deflate blocks are
spliced into every stream that uses it (as pigz does with independent
blocks). gzip streams decompress exactly like any other; making 4 GB of them
takes seconds instead of minutes.

Usage: gen_images.py [--out DIR] [--only NAME] [--jobs N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import sys
import tarfile
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

# Bump when the output changes, so stale data sets are rebuilt.
GENERATOR_VERSION = 3

CHUNK = 1 << 20
MTIME = 1_700_000_000
GZIP_LEVEL = 6
FLUSH_BUFFER = 1 << 20

# ---------------------------------------------------------------- content

WORDS = (
    "def class return import from self None True False if else elif for in "
    "while try except raise with as lambda yield async await pass break "
    "continue the a an of to and or not is data value index tensor shape "
    "dtype device torch numpy array config model layer weight bias grad "
    "forward backward input output batch size dim axis kernel stride padding "
    "function const let var export module require exports prototype this new "
    "null undefined typeof string number object length push map filter "
    "reduce Promise resolve reject callback error options args kwargs"
).split()
PUNCT = ["(", ")", ":", ",", ".", " = ", "\n", "\n    ", "\n        ", "[", "]", "{", "}", "_", "0", "1", "2"]


@dataclass
class Pools:
    """Byte pools that file content is sliced from."""

    text: bytes = b""
    binary: bytes = b""
    fp16: bytes = b""
    random: bytes = b""

    def get(self, name: str) -> bytes:
        return getattr(self, name)


def make_pools() -> Pools:
    rnd = random.Random(20240601)
    # Code-like text: compresses about 4:1, like real sources.
    vocab = WORDS + PUNCT * 3
    tokens = rnd.choices(vocab, k=3_400_000)
    seps = rnd.choices([" ", "", "\n", "    "], weights=[6, 3, 1, 1], k=len(tokens))
    text = "".join(t + s for t, s in zip(tokens, seps)).encode()
    text = (text * (1 + (16 * CHUNK) // len(text)))[: 16 * CHUNK]
    # Machine code: few byte values dominate, few long matches (~60%).
    skew = bytes(min(255, int(rnd.expovariate(1 / 24))) for _ in range(256))
    binary = rnd.randbytes(32 * CHUNK).translate(skew)
    # fp16 weights: random mantissa bytes, exponent bytes from a narrow
    # bell; gzip gets ~75% with real Huffman work and almost no matches.
    exps = bytes(0x38 + max(-4, min(7, round(rnd.gauss(0, 1.6)))) for _ in range(256))
    half = bytearray(64 * CHUNK)
    half[0::2] = rnd.randbytes(32 * CHUNK)
    half[1::2] = rnd.randbytes(32 * CHUNK).translate(exps)
    return Pools(text=text, binary=binary, fp16=bytes(half), random=rnd.randbytes(64 * CHUNK))


POOLS: Pools | None = None
# (pool, chunk index) -> raw deflate of that chunk, ending in a full flush.
DEFLATED_CHUNKS: dict[tuple[str, int], bytes] = {}


def pools() -> Pools:
    global POOLS
    if POOLS is None:
        POOLS = make_pools()
    return POOLS


def deflated_chunk(pool: str, k: int) -> bytes:
    key = (pool, k)
    got = DEFLATED_CHUNKS.get(key)
    if got is None:
        c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 9)
        data = memoryview(pools().get(pool))[k * CHUNK : (k + 1) * CHUNK]
        got = c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)
        DEFLATED_CHUNKS[key] = got
    return got


def mix(*parts: int) -> int:
    """A stable 64-bit hash of integers (Python's hash() is salted)."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h ^= p & 0xFFFFFFFFFFFFFFFF
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h


# ---------------------------------------------------------------- entries


@dataclass
class Entry:
    path: str
    kind: str = "file"  # file, dir, symlink, hardlink
    size: int = 0
    pool: str = "text"
    seed: int = 0
    mode: int = 0o644
    link: str = ""


@dataclass
class Layer:
    created_by: str
    entries: list[Entry] = field(default_factory=list)

    def dir(self, path: str, mode: int = 0o755) -> None:
        self.entries.append(Entry(path, "dir", mode=mode))

    def file(self, path: str, size: int, pool: str, seed: int, mode: int = 0o644) -> None:
        self.entries.append(Entry(path, "file", size, pool, seed, mode))

    def symlink(self, path: str, target: str) -> None:
        self.entries.append(Entry(path, "symlink", mode=0o777, link=target))

    def hardlink(self, path: str, target: str) -> None:
        self.entries.append(Entry(path, "hardlink", link=target))

    def whiteout(self, path: str) -> None:
        parent, _, base = path.rpartition("/")
        self.entries.append(Entry(f"{parent}/.wh.{base}" if parent else f".wh.{base}", "file", 0))

    def opaque(self, directory: str) -> None:
        self.entries.append(Entry(f"{directory}/.wh..wh..opq", "file", 0))

    def data_bytes(self) -> int:
        return sum(e.size for e in self.entries)


class Tree:
    """Emits each parent directory once, before the first entry under it."""

    def __init__(self, layer: Layer):
        self.layer = layer
        self.seen: set[str] = set()

    def ensure(self, directory: str) -> None:
        if not directory or directory in self.seen:
            return
        parent = directory.rpartition("/")[0]
        self.ensure(parent)
        self.seen.add(directory)
        self.layer.dir(directory)

    def file(self, path: str, size: int, pool: str, seed: int, mode: int = 0o644) -> None:
        self.ensure(path.rpartition("/")[0])
        self.layer.file(path, size, pool, seed, mode)

    def symlink(self, path: str, target: str) -> None:
        self.ensure(path.rpartition("/")[0])
        self.layer.symlink(path, target)

    def hardlink(self, path: str, target: str) -> None:
        self.ensure(path.rpartition("/")[0])
        self.layer.hardlink(path, target)


def small_size(rnd: random.Random, median: int, cap: int) -> int:
    return max(0, min(cap, int(rnd.lognormvariate(0, 1.1) * median)))


LICENSE_SEEDS = [mix(7, i) for i in range(8)]
LICENSE_SIZES = [1_071, 1_089, 11_357, 1_517, 35_147, 7_651, 1_210, 26_530]


def license_file(t: Tree, path: str, rnd: random.Random) -> None:
    # A handful of license texts repeated in every package: duplicates.
    i = rnd.randrange(len(LICENSE_SEEDS))
    t.file(path, LICENSE_SIZES[i], "text", LICENSE_SEEDS[i])


def base_layer(rnd: random.Random, files: int, weight: float) -> Layer:
    """A Debian-like root file system."""
    layer = Layer("/bin/sh -c #(nop) ADD file:3b1d2f0e8c in / ")
    t = Tree(layer)
    for d in ["bin", "etc", "home", "root", "tmp", "var/lib/dpkg/info", "usr/share/doc"]:
        t.ensure(d)
    n_bin = files // 14
    for i in range(n_bin):
        t.file(f"usr/bin/tool{i:04d}", int(small_size(rnd, 40_000, 2_000_000) * weight), "binary", mix(1, i), 0o755)
    t.hardlink("usr/bin/perl5.36", "usr/bin/tool0001")
    n_lib = files // 4
    for i in range(n_lib):
        name = f"usr/lib/x86_64-linux-gnu/lib{i:04d}.so.1.2.{i % 9}"
        t.file(name, int(small_size(rnd, 60_000, 8_000_000) * weight), "binary", mix(2, i))
        if i % 2 == 0:
            t.symlink(f"usr/lib/x86_64-linux-gnu/lib{i:04d}.so.1", name.rpartition("/")[2])
    pkgs = files // 30
    for i in range(pkgs):
        t.file(f"usr/share/doc/pkg{i:03d}/copyright", small_size(rnd, 3_000, 40_000), "text", mix(3, i))
        t.file(f"usr/share/doc/pkg{i:03d}/changelog.Debian.gz", small_size(rnd, 2_000, 30_000), "random", mix(4, i))
        t.file(f"var/lib/dpkg/info/pkg{i:03d}.list", small_size(rnd, 1_500, 20_000), "text", mix(5, i))
        t.file(f"var/lib/dpkg/info/pkg{i:03d}.md5sums", small_size(rnd, 2_000, 20_000), "text", mix(6, i))
    t.file("var/lib/dpkg/status", 900_000, "text", mix(7, 0))
    remaining = files - n_bin - n_lib - 4 * pkgs
    langs = ["de", "fr", "es", "it", "ja", "ko", "pt_BR", "ru", "zh_CN", "zh_TW", "nl", "pl", "sv", "tr", "uk"]
    for i in range(max(0, remaining)):
        lang = langs[i % len(langs)]
        t.file(f"usr/share/locale/{lang}/LC_MESSAGES/dom{i:05d}.mo", small_size(rnd, 5_000, 100_000), "binary", mix(8, i))
    return layer


def node_modules_layer(rnd: random.Random, n: int, files: int) -> Layer:
    layer = Layer(f"/bin/sh -c cd /app/svc{n} && npm ci")
    t = Tree(layer)
    root = f"app/svc{n}/node_modules"
    made = 0
    p = 0
    while made < files:
        pkg = f"{root}/pkg-{n}-{p:04d}"
        per = 12 + rnd.randrange(40)
        t.file(f"{pkg}/package.json", small_size(rnd, 900, 8_000), "text", mix(10, n, p, 0))
        t.file(f"{pkg}/README.md", small_size(rnd, 4_000, 60_000), "text", mix(10, n, p, 1))
        license_file(t, f"{pkg}/LICENSE", rnd)
        made += 3
        for j in range(per):
            sub = ("lib", "dist", "src", "types")[j % 4]
            ext = (".js", ".js", ".d.ts", ".js.map")[j % 4]
            t.file(f"{pkg}/{sub}/m{j:03d}{ext}", small_size(rnd, 1_500, 200_000), "text", mix(11, n, p, j))
            made += 1
        p += 1
    return layer


def site_packages_layer(rnd: random.Random, n: int, files: int, so_bytes: int = 0, py_median: int = 1_800) -> Layer:
    layer = Layer(f"/bin/sh -c pip install --no-cache-dir -r requirements-{n}.txt")
    t = Tree(layer)
    root = "usr/local/lib/python3.11/site-packages"
    made = 0
    p = 0
    sos: list[str] = []
    while made < files:
        pkg = f"pkg{n}_{p:04d}"
        info = f"{root}/{pkg}-1.{p % 10}.0.dist-info"
        per = 10 + rnd.randrange(50)
        t.file(f"{info}/METADATA", small_size(rnd, 2_500, 30_000), "text", mix(20, n, p, 0))
        t.file(f"{info}/RECORD", 90 * per, "text", mix(20, n, p, 1))
        license_file(t, f"{info}/LICENSE", rnd)
        made += 3
        for j in range(per):
            sub = ("", "core/", "utils/", "tests/")[j % 4]
            t.file(f"{root}/{pkg}/{sub}mod{j:03d}.py", small_size(rnd, py_median, 400_000), "text", mix(21, n, p, j))
            if j % 3 == 0:
                t.file(
                    f"{root}/{pkg}/{sub}__pycache__/mod{j:03d}.cpython-311.pyc",
                    small_size(rnd, py_median // 2, 200_000),
                    "binary",
                    mix(22, n, p, j),
                )
                made += 1
            made += 1
        if so_bytes and p % 40 == 0:
            sos.append(f"{root}/{pkg}/_native.cpython-311-x86_64-linux-gnu.so")
        p += 1
    for i, path in enumerate(sos):
        # A few big extension modules hold most of the bytes, as torch's do.
        share = so_bytes * (2 ** -(i + 1)) if i + 1 < len(sos) else so_bytes * (2 ** -i)
        t.file(path, int(share), "binary", mix(23, n, i))
    return layer


# ---------------------------------------------------------------- images


def many_files_image() -> list[Layer]:
    rnd = random.Random(1)
    layers = [base_layer(rnd, 10_000, 0.35)]
    for n in range(9):
        if n % 2 == 0:
            layers.append(node_modules_layer(rnd, n, 33_000))
        else:
            layers.append(site_packages_layer(rnd, n, 33_000))
    files = [e for layer in layers[1:] for e in layer.entries if e.kind == "file"]
    dirs = sorted({e.path for layer in layers[1:] for e in layer.entries if e.kind == "dir"})
    pkg_dirs = [d for d in dirs if d.count("/") == 3 and "/pkg-" in d]

    # Overwrites: new content for 6k files, a mode-only copy of 2k more.
    upd = Layer("/bin/sh -c npm run build && chmod -R a+x /app/svc*/node_modules/.bin-targets")
    t = Tree(upd)
    picked = rnd.sample(files, 8_000)
    for i, e in enumerate(picked):
        if i < 6_000:
            t.file(e.path, max(1, e.size + rnd.randrange(-200, 2_000)), "text", mix(30, i))
        else:
            t.file(e.path, e.size, e.pool, e.seed, 0o755)
    for i in range(1_000):
        t.file(f"app/build/out{i:04d}.js", small_size(rnd, 3_000, 100_000), "text", mix(31, i))
    layers.append(upd)

    # Deletions: ~7.5k files, 400 whole package directories, 100 opaque
    # directories that get one new file each.
    rm = Layer("/bin/sh -c rm -rf /app/svc*/node_modules/*/test && npm prune --production")
    t = Tree(rm)
    gone_dirs = rnd.sample(pkg_dirs, 500)
    whole, opaque = gone_dirs[:400], gone_dirs[400:]
    blocked = tuple(d + "/" for d in gone_dirs)
    candidates = [e for e in files if not e.path.startswith(blocked)]
    for e in rnd.sample(candidates, 7_500):
        t.ensure(e.path.rpartition("/")[0])
        rm.whiteout(e.path)
    for d in whole:
        t.ensure(d.rpartition("/")[0])
        rm.whiteout(d)
    for i, d in enumerate(opaque):
        t.ensure(d)
        rm.opaque(d)
        t.file(f"{d}/index.js", 120, "text", mix(40, i))
    layers.append(rm)
    return layers


def large_image() -> list[Layer]:
    rnd = random.Random(2)
    m = 1 << 20
    base = base_layer(rnd, 5_000, 1.0)

    cuda = Layer("/bin/sh -c apt-get install -y --no-install-recommends cuda-libraries-12-4")
    t = Tree(cuda)
    for i in range(24):
        t.file(f"usr/local/cuda-12.4/lib64/libcu{i:02d}.so.12.4.127", (10 + (i * 7) % 46) * m, "binary", mix(50, i))
        t.symlink(f"usr/local/cuda-12.4/lib64/libcu{i:02d}.so.12", f"libcu{i:02d}.so.12.4.127")
    for i in range(1_500):
        t.file(f"usr/local/cuda-12.4/include/h{i // 100:02d}/hdr{i:04d}.h", small_size(rnd, 12_000, 400_000), "text", mix(51, i))

    sp = site_packages_layer(rnd, 0, 20_000, so_bytes=560 * m, py_median=7_000)
    sp.created_by = "/bin/sh -c pip install --no-cache-dir torch==2.3.1 transformers==4.41.2"

    weights = Layer("/bin/sh -c #(nop) COPY dir:4f1c0a in /models/llm ")
    t = Tree(weights)
    t.file("models/llm/model.safetensors", 1_450 * m + 4_321, "fp16", mix(60, 0))
    t.file("models/llm/tokenizer.json", 9 * m + 77, "text", mix(60, 1))
    t.file("models/llm/config.json", 1_912, "text", mix(60, 2))
    t.file("models/llm/generation_config.json", 184, "text", mix(60, 3))

    extra = Layer("/bin/sh -c python download_checkpoints.py --out /models/extra")
    t = Tree(extra)
    t.file("models/extra/pytorch_model.bin", 620 * m + 1_000, "random", mix(61, 0))
    t.file("models/extra/optimizer.pt", 300 * m + 9, "fp16", mix(61, 1))

    cache = Layer("/bin/sh -c pip download -d /root/.cache/pip/wheels -r requirements-dev.txt")
    t = Tree(cache)
    for i in range(200):
        t.file(f"root/.cache/pip/wheels/w{i:03d}/pkg{i:03d}-py3-none-any.whl", 1_200_000 + (i * 7919) % 900_000, "random", mix(62, i))

    cleanup = Layer("/bin/sh -c rm -rf /root/.cache/pip && chmod 0755 /models/extra/optimizer.pt")
    t = Tree(cleanup)
    t.ensure("root/.cache")
    cleanup.whiteout("root/.cache/pip")
    t.file("models/extra/optimizer.pt", 300 * m + 9, "fp16", mix(61, 1), 0o755)
    return [base, cuda, sp, weights, extra, cache, cleanup]


def big_layer_image() -> list[Layer]:
    """A PyTorch+CUDA-like image: one layer holds nearly all of it."""
    rnd = random.Random(3)
    m = 1 << 20
    base = base_layer(rnd, 3_000, 0.5)
    big = site_packages_layer(rnd, 1, 24_000, so_bytes=1_700 * m, py_median=6_000)
    big.created_by = "/bin/sh -c pip install torch==2.3.1+cu121 torchvision nvidia-cudnn-cu12 transformers"
    t = Tree(big)
    root = "usr/local/lib/python3.11/site-packages"
    for i in range(12):
        t.file(f"{root}/nvidia/lib{i:02d}/libnv{i:02d}.so.12", (20 + (i * 13) % 60) * m + i, "binary", mix(70, i))
    t.file(f"{root}/torch/share/weights/resnet152.pth", 900 * m + 17, "fp16", mix(71, 0))
    t.file(f"{root}/torch/share/weights/tokenizer.bin", 40 * m + 5, "text", mix(71, 1))
    for i in range(60):
        t.file(f"{root}/nvidia/cudnn/wheels/cudnn_part{i:02d}.whl", 9 * m + i * 4_099, "random", mix(72, i))
    app = Layer("/bin/sh -c #(nop) COPY dir:9a8b7c in /app ")
    t = Tree(app)
    for i in range(300):
        t.file(f"app/src/m{i:03d}.py", small_size(rnd, 4_000, 60_000), "text", mix(73, i))
    return [base, big, app]


IMAGES = {"many-files": many_files_image, "large": large_image, "big-layer": big_layer_image}
# Images whose layers are gzipped as one plain deflate stream each (below),
# not from spliced pre-deflated chunks: a parallel inflater must find block
# boundaries and resolve back-references across them as in a stream Go's
# compress/gzip or GNU gzip wrote.
PLAIN_GZIP = {"big-layer"}
# Pieces compressed on separate cores, each primed with the 32 KiB before
# it (as pigz does): one sync flush per piece, back-references across.
PIECE = 64 << 20

# ---------------------------------------------------------------- writing


class LayerWriter:
    """Writes one layer as a plain tar and as a gzip stream at once."""

    def __init__(self, tar_path: str, gz_path: str | None):
        self.raw = open(tar_path, "wb")
        self.gz = open(gz_path, "wb") if gz_path else None
        self.raw_sha = hashlib.sha256()
        self.gz_sha = hashlib.sha256()
        self.crc = 0
        self.raw_size = 0
        self.gz_size = 0
        self.comp = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 9)
        self.pending = bytearray()
        self.flushed = True
        # gzip header: no name, mtime 0, OS unknown.
        self._gz_out(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")

    def _gz_out(self, b: bytes) -> None:
        if b and self.gz:
            self.gz.write(b)
            self.gz_sha.update(b)
            self.gz_size += len(b)

    def _raw_out(self, b) -> None:
        self.raw.write(b)
        self.raw_sha.update(b)
        self.crc = zlib.crc32(b, self.crc)
        self.raw_size += len(b)

    def write(self, b) -> None:
        self.pending += b
        if len(self.pending) >= FLUSH_BUFFER:
            self._drain()

    def _drain(self) -> None:
        if self.pending:
            data = bytes(self.pending)
            self.pending.clear()
            self._raw_out(data)
            if self.gz:
                self._gz_out(self.comp.compress(data))
            self.flushed = False

    def write_chunk(self, pool: str, k: int) -> None:
        """A whole pool chunk, spliced in pre-deflated."""
        self._drain()
        if not self.flushed:
            self._gz_out(self.comp.flush(zlib.Z_FULL_FLUSH))
            self.flushed = True
        self._raw_out(memoryview(pools().get(pool))[k * CHUNK : (k + 1) * CHUNK])
        if self.gz:
            self._gz_out(deflated_chunk(pool, k))

    def close(self) -> tuple[str, int, str, int]:
        self._drain()
        if self.gz:
            self._gz_out(self.comp.flush(zlib.Z_FINISH))
            self._gz_out(struct.pack("<II", self.crc, self.raw_size & 0xFFFFFFFF))
            self.gz.close()
        self.raw.close()
        return (self.raw_sha.hexdigest(), self.raw_size, self.gz_sha.hexdigest(), self.gz_size)


def tar_header(name: str, kind: str, size: int, mode: int, link: str = "") -> bytes:
    ti = tarfile.TarInfo(name)
    ti.size = size if kind == "file" else 0
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.type = {
        "file": tarfile.REGTYPE,
        "dir": tarfile.DIRTYPE,
        "symlink": tarfile.SYMTYPE,
        "hardlink": tarfile.LNKTYPE,
    }[kind]
    ti.linkname = link
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def write_content(w: LayerWriter, e: Entry) -> None:
    pool = pools().get(e.pool)
    if e.size < CHUNK:
        off = e.seed % (len(pool) - e.size)
        w.write(memoryview(pool)[off : off + e.size])
    else:
        n_chunks = len(pool) // CHUNK
        whole, tail = divmod(e.size, CHUNK)
        for j in range(whole):
            w.write_chunk(e.pool, mix(e.seed, j) % n_chunks)
        if tail:
            off = mix(e.seed, whole) % (len(pool) - tail)
            w.write(memoryview(pool)[off : off + tail])
    pad = -e.size % 512
    if pad:
        w.write(bytes(pad))


def write_layer(args: tuple[Layer, str, str | None]) -> tuple[str, int, str, int]:
    layer, tar_path, gz_path = args
    w = LayerWriter(tar_path, gz_path)
    for e in layer.entries:
        name = e.path + "/" if e.kind == "dir" else e.path
        w.write(tar_header(name, e.kind, e.size, e.mode, e.link))
        if e.kind == "file" and e.size:
            write_content(w, e)
    w.write(bytes(1024))
    return w.close()


def deflate_piece(args: tuple[str, int, int, bool]) -> bytes:
    """Raw deflate of one piece of a file, primed with the 32 KiB before it."""
    path, start, size, last = args
    with open(path, "rb") as f:
        f.seek(max(0, start - 32768))
        prime = f.read(start - max(0, start - 32768))
        data = f.read(size)
    c = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 8, zdict=prime) if prime else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, 8)
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def gzip_plain(tar_path: str, gz_path: str, jobs: int) -> tuple[str, int]:
    """`tar_path` as one gzip member, its pieces deflated on `jobs` cores."""
    size = os.path.getsize(tar_path)
    starts = list(range(0, size, PIECE)) or [0]
    pieces = [(tar_path, s, min(PIECE, size - s), i == len(starts) - 1) for i, s in enumerate(starts)]
    sha = hashlib.sha256()
    crc = 0
    with open(tar_path, "rb") as raw:
        while block := raw.read(8 << 20):
            crc = zlib.crc32(block, crc)
    with open(gz_path, "wb") as out, ProcessPoolExecutor(max_workers=jobs) as ex:

        def put(b: bytes) -> None:
            out.write(b)
            sha.update(b)

        put(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")
        for z in ex.map(deflate_piece, pieces):
            put(z)
        put(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return sha.hexdigest(), os.path.getsize(gz_path)


def outer_header(name: str, size: int, mode: int = 0o444, kind: int = tarfile.REGTYPE) -> bytes:
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.mode = mode
    ti.type = kind
    ti.mtime = 0
    ti.uname = ti.gname = "root"
    return ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


class OuterTar:
    """The image archive around the layers."""

    def __init__(self, path: str):
        self.f = open(path, "wb")

    def add_bytes(self, name: str, data: bytes) -> None:
        self.f.write(outer_header(name, len(data)))
        self.f.write(data)
        self.f.write(bytes(-len(data) % 512))

    def add_dir(self, name: str) -> None:
        self.f.write(outer_header(name, 0, 0o755, tarfile.DIRTYPE))

    def add_file(self, name: str, path: str) -> None:
        size = os.path.getsize(path)
        self.f.write(outer_header(name, size))
        self.f.flush()
        with open(path, "rb") as src:
            copy_range(src, self.f, size)
        self.f.write(bytes(-size % 512))

    def close(self) -> None:
        self.f.write(bytes(1024))
        self.f.close()


def copy_range(src, dst, size: int) -> None:
    left = size
    try:
        while left:
            n = os.copy_file_range(src.fileno(), dst.fileno(), min(left, 1 << 30))
            if n == 0:
                break
            left -= n
    except OSError:
        pass
    if left:
        src.seek(size - left)
        dst.seek(0, os.SEEK_END)
        shutil.copyfileobj(src, dst, 8 << 20)
    dst.seek(0, os.SEEK_END)


def config_blob(layers: list[Layer], diff_ids: list[str]) -> bytes:
    history = [{"created": "2024-06-01T00:00:00Z", "created_by": l.created_by} for l in layers]
    history.append(
        {
            "created": "2024-06-01T00:00:00Z",
            "created_by": '/bin/sh -c #(nop)  CMD ["python3"]',
            "empty_layer": True,
        }
    )
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": "2024-06-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["python3"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
        "history": history,
    }
    return json.dumps(cfg, separators=(",", ":")).encode()


def build_image(name: str, out: str, jobs: int) -> None:
    started = time.time()
    layers = IMAGES[name]()
    build = os.path.join(out, f".build-{name}")
    oci_dir = os.path.join(out, f"{name}.oci")
    for d in (build, oci_dir):
        shutil.rmtree(d, ignore_errors=True)
    blobs = os.path.join(oci_dir, "blobs", "sha256")
    os.makedirs(build)
    os.makedirs(blobs)
    pools()  # build once before forking, shared copy-on-write
    plain = name in PLAIN_GZIP
    work = [(l, os.path.join(build, f"{i}.tar"), os.path.join(build, f"{i}.gz")) for i, l in enumerate(layers)]
    tasks = [(l, t, None if plain else g) for l, t, g in work]
    # Largest first, so both workers finish together.
    order = sorted(range(len(work)), key=lambda i: -layers[i].data_bytes())
    results: list[tuple[str, int, str, int] | None] = [None] * len(work)
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        for i, r in zip(order, ex.map(write_layer, [tasks[i] for i in order])):
            results[i] = r
    if plain:
        for i, r in enumerate(results):
            if r is not None:
                gz_hex, gz_size = gzip_plain(work[i][1], work[i][2], jobs)
                results[i] = (r[0], r[1], gz_hex, gz_size)
    done = [r for r in results if r is not None]
    diff_ids = [r[0] for r in done]
    config = config_blob(layers, diff_ids)
    config_hex = hashlib.sha256(config).hexdigest()
    tag = f"ballast-bench/{name}:latest"

    # docker-archive, as buildah writes it (not for the gzip-only images).
    if not plain:
        dt = OuterTar(os.path.join(out, f"{name}.docker.tar.tmp"))
        for i, r in enumerate(done):
            dt.add_file(f"{r[0]}.tar", work[i][1])
        dt.add_bytes(f"{config_hex}.json", config)
        manifest = [{"Config": f"{config_hex}.json", "RepoTags": [tag], "Layers": [f"{r[0]}.tar" for r in done]}]
        dt.add_bytes("manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
        dt.close()
        os.replace(os.path.join(out, f"{name}.docker.tar.tmp"), os.path.join(out, f"{name}.docker.tar"))
    for _, tar_path, _ in work:
        os.remove(tar_path)

    # OCI layout directory, then the same as an archive.
    for i, r in enumerate(done):
        os.replace(work[i][2], os.path.join(blobs, r[2]))
    with open(os.path.join(blobs, config_hex), "wb") as f:
        f.write(config)
    oci_manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + config_hex,
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + r[2],
                "size": r[3],
            }
            for r in done
        ],
    }
    mbytes = json.dumps(oci_manifest, separators=(",", ":")).encode()
    mhex = hashlib.sha256(mbytes).hexdigest()
    with open(os.path.join(blobs, mhex), "wb") as f:
        f.write(mbytes)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + mhex,
                "size": len(mbytes),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    ibytes = json.dumps(index, separators=(",", ":")).encode()
    layout = b'{"imageLayoutVersion": "1.0.0"}'
    with open(os.path.join(oci_dir, "index.json"), "wb") as f:
        f.write(ibytes)
    with open(os.path.join(oci_dir, "oci-layout"), "wb") as f:
        f.write(layout)
    ot = OuterTar(os.path.join(out, f"{name}.oci.tar.tmp"))
    ot.add_dir("blobs/")
    ot.add_dir("blobs/sha256/")
    for hexname in sorted(os.listdir(blobs)):
        ot.add_file(f"blobs/sha256/{hexname}", os.path.join(blobs, hexname))
    ot.add_bytes("index.json", ibytes)
    ot.add_bytes("oci-layout", layout)
    ot.close()
    os.replace(os.path.join(out, f"{name}.oci.tar.tmp"), os.path.join(out, f"{name}.oci.tar"))
    shutil.rmtree(build)
    if plain:
        shutil.rmtree(oci_dir)

    files = sum(1 for l in layers for e in l.entries if e.kind == "file" and "/.wh." not in "/" + e.path)
    whiteouts = sum(1 for l in layers for e in l.entries if "/.wh." in "/" + e.path)
    facts = {
        "generator_version": GENERATOR_VERSION,
        "layers": len(layers),
        "regular_files": files,
        "whiteouts": whiteouts,
        "layer_bytes": sum(r[1] for r in done),
        "gzip_bytes": sum(r[3] for r in done),
        "layer_sizes": [r[1] for r in done],
    }
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(facts, f, indent=1)
    print(
        f"{name}: {len(layers)} layers, {files} files, {whiteouts} whiteouts, "
        f"{facts['layer_bytes'] / 1e9:.2f} GB of layers, {facts['gzip_bytes'] / 1e9:.2f} GB gzip, "
        f"{time.time() - started:.0f} s",
        file=sys.stderr,
    )


def is_current(name: str, out: str) -> bool:
    try:
        with open(os.path.join(out, f"{name}.json")) as f:
            facts = json.load(f)
    except (OSError, ValueError):
        return False
    suffixes = (".oci.tar",) if name in PLAIN_GZIP else (".docker.tar", ".oci.tar", ".oci/index.json")
    return facts.get("generator_version") == GENERATOR_VERSION and all(
        os.path.exists(os.path.join(out, f"{name}{suffix}")) for suffix in suffixes
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--only", choices=sorted(IMAGES), action="append")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # big-layer is only for bench/gzip.py, which asks for it by name.
    for name in args.only or sorted(set(IMAGES) - PLAIN_GZIP, reverse=True):
        if not args.force and is_current(name, args.out):
            print(f"{name}: up to date", file=sys.stderr)
            continue
        build_image(name, args.out, args.jobs)


if __name__ == "__main__":
    main()
