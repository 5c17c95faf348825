#!/usr/bin/env python3
"""Generate the hostile container-image corpus used by ballast's tests.

    python3 tests/hostile/generate.py [OUTDIR] [--big]

OUTDIR defaults to tests/hostile/corpus (relative to the repository root,
resolved from this file's location). Output is deterministic: fixed mtimes,
fixed entry order, per-case seeds derived from the case name, gzip with
mtime=0 and no file name, so reruns produce byte-identical files.

Besides the archives, OUTDIR/cases.json is written: a list of
  {"file", "expect_exit" (0|2), "why", "format", optional "big": true,
   optional expectations for exit-0 cases: "expect_paths", "expect_absent",
   "expect_path_bytes_hex", "expect_sizes", "expect_warning_substring",
   and for some exit-2 cases "expect_error_substring"; optional "max_rss_mb" for a
   big case's peak-memory bound, 500 when absent}.
The big cases are always listed (with "big": true) but their files are only
written with --big; a harness should skip a big case whose file is absent.

Standard library only. zstd is not in the standard library, so valid zstd
layers are written as zstd frames made of Raw (stored) blocks, which every
conforming decoder must accept.
"""

import argparse
import gzip
import hashlib
import io
import itertools
import json
import os
import random
import sys
import tarfile
import time

MTIME = 1704067200  # 2024-01-01T00:00:00Z
CREATED = "2024-01-01T00:00:00Z"
SEED = "ballast-hostile-v1"

# Go's archive/tar (used by docker/containerd) ends an archive with two zero
# blocks and no padding to a 10240-byte record. Mimic that; it also keeps the
# corpus small. tarfile reads RECORDSIZE at close() time.
tarfile.RECORDSIZE = tarfile.BLOCKSIZE

REG, DIR, SYM, LNK = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
PAX, GNU, USTAR = tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def rng(name):
    """Per-case RNG, independent of case order and of Python's hash seed."""
    return random.Random(hashlib.sha256((SEED + ":" + name).encode()).digest())


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def jdump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# --------------------------------------------------------------------------
# tar entries

def _s(n):
    """tarfile wants str; raw (non-UTF-8) bytes go through surrogateescape."""
    return n.decode("utf-8", "surrogateescape") if isinstance(n, bytes) else n


def E(name, type=REG, data=b"", link="", mode=None, **kw):
    ti = tarfile.TarInfo(_s(name))
    ti.type = type
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mode = mode if mode is not None else (0o755 if type in (DIR, SYM) else 0o644)
    ti.linkname = _s(link)
    ti.size = len(data) if type == REG else 0
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, (data if type == REG else None)


def F(name, data, **kw):
    return E(name, REG, data=data, **kw)


def D(name, **kw):
    return E(name, DIR, **kw)


def S(name, target, **kw):
    return E(name, SYM, link=target, **kw)


def H(name, target, **kw):
    return E(name, LNK, link=target, **kw)


def mktar(entries, fmt=PAX):
    buf = io.BytesIO()
    tf = tarfile.open(fileobj=buf, mode="w", format=fmt,
                      encoding="utf-8", errors="surrogateescape")
    for ti, data in entries:
        tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    tf.close()
    return buf.getvalue()


def header_offsets(tar_bytes):
    """Offsets (header, data) of each member of a well-formed tar."""
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r",
                      encoding="utf-8", errors="surrogateescape") as tf:
        return {m.name: (m.offset, m.offset_data, m.size) for m in tf.getmembers()}


def set_bad_checksum(tar_bytes, header_off):
    """Rewrite the checksum of the header at header_off to (real + 1)."""
    b = bytearray(tar_bytes)
    hdr = b[header_off:header_off + 512]
    real = sum(hdr[:148]) + 8 * 32 + sum(hdr[156:512])
    b[header_off + 148:header_off + 156] = b"%06o\0 " % (real + 1)
    return bytes(b)


# --------------------------------------------------------------------------
# compression

def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def zst(data):
    """A valid zstd frame made of Raw blocks (no compression, no checksum)."""
    out = bytearray(b"\x28\xb5\x2f\xfd")
    out.append(0x00)              # FHD: no FCS, not single-segment, no checksum, no dict
    out.append(0x00)              # Window_Descriptor: windowLog 10 (1 KiB), the minimum
    bmax = 1024                   # Block_Maximum_Size = min(window, 128 KiB): many blocks
    chunks = [data[i:i + bmax] for i in range(0, len(data), bmax)] or [b""]
    for i, c in enumerate(chunks):
        last = 1 if i == len(chunks) - 1 else 0
        out += (last | (0 << 1) | (len(c) << 3)).to_bytes(3, "little")  # Raw_Block
        out += c
    return bytes(out)


def compress(data, comp):
    return {None: lambda d: d, "gzip": gz, "zstd": zst}[comp](data)


# --------------------------------------------------------------------------
# outer archives

def outer_tar(members, with_dirs=True, fmt=PAX):
    """members: dict name -> bytes or ("file", path). Written in sorted order,
    with parent directory entries (as docker save / skopeo do)."""
    names = set(members)
    if with_dirs:
        for n in list(members):
            parts = n.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                names.add("/".join(parts[:i]) + "/")
    buf_or_file = io.BytesIO()
    return _write_outer(sorted(names), members, buf_or_file, fmt)


def _write_outer(order, members, fobj, fmt):
    tf = tarfile.open(fileobj=fobj, mode="w", format=fmt)
    for n in order:
        if n.endswith("/") and n not in members:
            ti, _ = D(n)
            tf.addfile(ti)
            continue
        v = members[n]
        if isinstance(v, tuple) and v[0] == "symlink":
            ti, _ = S(n, v[1])
            tf.addfile(ti)
        elif isinstance(v, tuple):
            ti, _ = F(n, b"")
            ti.size = os.path.getsize(v[1])
            with open(v[1], "rb") as f:
                tf.addfile(ti, f)
        else:
            ti, data = F(n, v)
            tf.addfile(ti, io.BytesIO(data))
    tf.close()
    return fobj.getvalue() if isinstance(fobj, io.BytesIO) else None


def default_history(n_layers):
    h = []
    for i in range(n_layers):
        h.append({"created": CREATED,
                  "created_by": "/bin/sh -c #(nop) ADD file:layer%d in / " % i})
    h.append({"created": CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
              "empty_layer": True})
    return h


def make_config(diff_ids, history="default"):
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
    }
    if history == "default":
        history = default_history(len(diff_ids))
    if history is not None:
        cfg["history"] = history
    return cfg


class Layer:
    """blob: bytes stored in the archive; diff: uncompressed tar bytes (for the
    diff_id) or diff_id: an explicit hex digest."""

    def __init__(self, tar, comp=None, blob=None, diff_id=None):
        self.comp = comp
        self.blob = compress(tar, comp) if blob is None else blob
        self.diff_id = diff_id or sha256(tar)


def L(tar, comp=None, **kw):
    return Layer(tar, comp, **kw)


def docker_members(layers, history="default", tag="ballast/hostile:latest",
                   config_bytes=None):
    """docker-archive members dict (name -> bytes) and the manifest object."""
    layers = [x if isinstance(x, Layer) else L(x) for x in layers]
    members = {}
    layer_names = []
    for ly in layers:
        name = sha256(ly.blob) + "/layer.tar"
        members[name] = ly.blob
        members[name.split("/")[0] + "/VERSION"] = b"1.0"
        layer_names.append(name)
    if config_bytes is None:
        config_bytes = jdump(make_config([ly.diff_id for ly in layers], history))
    config_name = sha256(config_bytes) + ".json"
    members[config_name] = config_bytes
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": layer_names}]
    members["manifest.json"] = jdump(manifest)
    return members, manifest


def docker_archive(layers, **kw):
    return outer_tar(docker_members(layers, **kw)[0])


def blob_name(digest_hex):
    return "blobs/sha256/" + digest_hex


def desc(mt, data, **extra):
    d = {"mediaType": mt, "digest": "sha256:" + sha256(data), "size": len(data)}
    d.update(extra)
    return d


def oci_members(layers, history="default", ref="latest", config_bytes=None):
    layers = [x if isinstance(x, Layer) else L(x) for x in layers]
    members = {"oci-layout": jdump({"imageLayoutVersion": "1.0.0"})}
    if config_bytes is None:
        config_bytes = jdump(make_config([ly.diff_id for ly in layers], history))
    members[blob_name(sha256(config_bytes))] = config_bytes
    ldescs = []
    for ly in layers:
        members[blob_name(sha256(ly.blob))] = ly.blob
        ldescs.append(desc(MT_LAYER[ly.comp], ly.blob))
    manifest = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                "config": desc(MT_OCI_CONFIG, config_bytes), "layers": ldescs}
    mbytes = jdump(manifest)
    members[blob_name(sha256(mbytes))] = mbytes
    index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
             "manifests": [desc(MT_OCI_MANIFEST, mbytes, platform={"architecture": "amd64", "os": "linux"},
                                annotations={"org.opencontainers.image.ref.name": ref})]}
    members["index.json"] = jdump(index)
    return members, manifest, mbytes, config_bytes


def oci_archive(layers, **kw):
    return outer_tar(oci_members(layers, **kw)[0])


# --------------------------------------------------------------------------
# common layer content

def base_tar():
    return mktar([
        D("./"), D("bin/"), F("bin/sh", b"#!not really a shell\n", mode=0o755),
        D("etc/"), F("etc/os-release", b"ID=ballast-test\nVERSION_ID=1\n"),
        F("etc/hostname", b"hostile\n"),
    ])


def app_tar(r, n=6000):
    return mktar([D("app/"), F("app/data.bin", r.randbytes(n)),
                  F("app/README", b"application layer\n")])


def text_tar(lines=400):
    body = "".join("line %04d of a compressible text file in a layer\n" % i
                   for i in range(lines)).encode()
    return mktar([D("srv/"), F("srv/a.txt", body), F("srv/b.txt", body[::-1]),
                  F("srv/c.txt", b"tail\n")])


# --------------------------------------------------------------------------
# cases

CASES = []


def case(file, expect_exit, why, fmt, **extra):
    def deco(fn):
        meta = {"file": file, "expect_exit": expect_exit, "why": why, "format": fmt}
        meta.update(extra)
        CASES.append((meta, fn))
        return fn
    return deco


# ---- broken: not an image at all ----------------------------------------

@case("empty.tar", 2, "empty file (0 bytes)", "none")
def _(r):
    return b""


@case("random-1k.bin", 2, "1 KiB of random bytes", "none")
def _(r):
    return r.randbytes(1024)


@case("plain-tar-readme.tar", 2, "well-formed tar holding only README.md: not an image", "none")
def _(r):
    return mktar([F("README.md", b"# Just a README\n\nThis tar is not a container image.\n")])


@case("outer-bad-checksum.tar", 2, "outer tar: first header has a bad checksum", "docker-archive")
def _(r):
    return set_bad_checksum(docker_archive([base_tar()]), 0)


# ---- broken: outer truncation --------------------------------------------

@case("docker-truncated-mid-layer.tar", 2, "outer archive cut in the middle of a layer.tar member",
      "docker-archive", expect_error_substring="truncated")
def _(r):
    members, manifest = docker_members([base_tar(), app_tar(r)])
    data = outer_tar(members)
    _h, off, size = header_offsets(data)[manifest[0]["Layers"][1]]
    return data[:off + size // 2]


@case("docker-truncated-in-manifest.tar", 2, "outer archive cut inside manifest.json (the last member)",
      "docker-archive", expect_error_substring="truncated")
def _(r):
    data = docker_archive([base_tar(), app_tar(r)])
    offs = header_offsets(data)
    _h, off, size = offs["manifest.json"]
    assert off == max(o[1] for o in offs.values()), "manifest.json must be last"
    return data[:off + size // 2]


# ---- broken: layer-level damage (outer tar well-formed) --------------------

def _four_files():
    return mktar([F("one.txt", b"1" * 700), F("two.txt", b"2" * 700), F("three.txt", b"3" * 700),
                  F("four.txt", b"4" * 700)])


@case("docker-layer-truncated.tar", 2,
      "layer.tar cut short in the middle of its third file's data; outer tar well-formed",
      "docker-archive", expect_error_substring="truncated")
def _(r):
    t = _four_files()
    _h, data, _size = header_offsets(t)["three.txt"]
    return docker_archive([base_tar(), t[:data + 300]])


@case("docker-layer-truncated-mid-header.tar", 2,
      "layer.tar ends 200 bytes into its third 512-byte header (Go archive/tar and tar-rs reject "
      "this; GNU tar and Python tarfile silently stop)", "docker-archive",
      expect_error_substring="truncated")
def _(r):
    t = _four_files()
    return docker_archive([base_tar(), t[:header_offsets(t)["three.txt"][0] + 200]])


@case("docker-layer-size-past-end.tar", 2,
      "layer tar header says 1 MiB but only 1000 bytes (+ end blocks) follow",
      "docker-archive", expect_error_substring="truncated")
def _(r):
    ti, _ = F("big.bin", b"")
    ti.size = 1 << 20
    t = ti.tobuf(USTAR, "utf-8", "strict") + r.randbytes(1000) + b"\0" * (24 + 1024)
    return docker_archive([base_tar(), t])


@case("docker-layer-claims-1tb.tar", 2,
      "layer tar header claims a 1 TB file (GNU base-256 size), 1 KiB of data follows; "
      "must not allocate the claimed size", "docker-archive", expect_error_substring="truncated")
def _(r):
    ti, _ = F("huge.bin", b"")
    ti.size = 10 ** 12
    t = ti.tobuf(GNU, "utf-8", "strict") + r.randbytes(1024)
    return docker_archive([base_tar(), t])


@case("docker-layer-bad-checksum.tar", 2, "second header of a layer tar has a wrong checksum",
      "docker-archive")
def _(r):
    t = mktar([F("a.txt", b"a\n"), F("b.txt", b"b\n"), F("c.txt", b"c\n")])
    t = set_bad_checksum(t, header_offsets(t)["b.txt"][0])
    return docker_archive([base_tar(), t])


@case("docker-corrupt-gzip-layer.tar", 2,
      "layer.tar is a valid gzip header followed by garbage (invalid deflate block type)",
      "docker-archive")
def _(r):
    blob = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\x07" + r.randbytes(500)
    return docker_archive([base_tar(), L(text_tar(), blob=blob)])


@case("docker-gzip-garbage-midstream.tar", 2,
      "gzip layer whose compressed stream is replaced by garbage after 40%", "docker-archive")
def _(r):
    good = gz(text_tar())
    cut = len(good) * 4 // 10
    blob = good[:cut] + r.randbytes(len(good) - cut)
    return docker_archive([base_tar(), L(text_tar(), blob=blob)])


@case("docker-gzip-truncated.tar", 2, "gzip layer cut at 70% (no trailer)", "docker-archive",
      expect_error_substring="truncated")
def _(r):
    good = gz(text_tar())
    return docker_archive([base_tar(), L(text_tar(), blob=good[:len(good) * 7 // 10])])


@case("docker-gzip-bad-crc.tar", 2,
      "gzip layer decodes fully but its CRC32 trailer is wrong (stream must be read to EOF and checked)",
      "docker-archive")
def _(r):
    good = bytearray(gz(text_tar()))
    good[-8] ^= 0xFF
    return docker_archive([base_tar(), L(text_tar(), blob=bytes(good))])


# ---- broken: manifest / config ------------------------------------------

def _replace(members, name, data):
    members = dict(members)
    members[name] = data
    return members


@case("docker-manifest-not-json.tar", 2, "manifest.json is not JSON", "docker-archive")
def _(r):
    members, _m = docker_members([base_tar()])
    return outer_tar(_replace(members, "manifest.json", b"[{Config: this is not json\n"))


@case("docker-manifest-object.tar", 2, "manifest.json is an object instead of a list", "docker-archive")
def _(r):
    members, m = docker_members([base_tar()])
    return outer_tar(_replace(members, "manifest.json", jdump(m[0])))


@case("docker-manifest-layers-string.tar", 2, "manifest.json Layers is a string, not a list",
      "docker-archive")
def _(r):
    members, m = docker_members([base_tar()])
    m[0]["Layers"] = m[0]["Layers"][0]
    return outer_tar(_replace(members, "manifest.json", jdump(m)))


@case("docker-manifest-empty-list.tar", 2, "manifest.json is [] (no image)", "docker-archive")
def _(r):
    members, _m = docker_members([base_tar()])
    return outer_tar(_replace(members, "manifest.json", b"[]"))


@case("docker-manifest-deep-nesting.tar", 2,
      "manifest.json is 30000 nested arrays: must not overflow the stack", "docker-archive")
def _(r):
    members, _m = docker_members([base_tar()])
    return outer_tar(_replace(members, "manifest.json", b"[" * 30000 + b"]" * 30000))


@case("docker-manifest-layer-traversal.tar", 2,
      "manifest names layer ../../../../etc/passwd: refused as outside the archive, never opened",
      "docker-archive", expect_error_substring="outside the archive")
def _(r):
    members, m = docker_members([base_tar()])
    m[0]["Layers"] = ["../../../../etc/passwd"]
    return outer_tar(_replace(members, "manifest.json", jdump(m)))


@case("docker-config-not-json.tar", 2, "config blob is not JSON", "docker-archive")
def _(r):
    return docker_archive([base_tar()], config_bytes=b'{"architecture": "amd64", "os": ')


@case("docker-missing-layer.tar", 2, "manifest names a layer.tar that is not in the archive",
      "docker-archive")
def _(r):
    members, m = docker_members([base_tar(), app_tar(r)])
    del members[m[0]["Layers"][1]]
    return outer_tar(members)


@case("docker-missing-config.tar", 2, "manifest names a config that is not in the archive",
      "docker-archive")
def _(r):
    members, m = docker_members([base_tar()])
    del members[m[0]["Config"]]
    return outer_tar(members)


# ---- broken: OCI ---------------------------------------------------------

@case("oci-missing-manifest-blob.tar", 2, "OCI index.json points at a manifest blob that is missing",
      "oci")
def _(r):
    members, _m, mbytes, _c = oci_members([base_tar()])
    del members[blob_name(sha256(mbytes))]
    return outer_tar(members)


@case("oci-missing-layer-blob.tar", 2, "OCI manifest names a layer blob that is missing", "oci")
def _(r):
    ly = L(app_tar(r))
    members, _m, _mb, _c = oci_members([base_tar(), ly])
    del members[blob_name(sha256(ly.blob))]
    return outer_tar(members)


@case("oci-index-not-json.tar", 2, "OCI index.json is not JSON", "oci")
def _(r):
    members = oci_members([base_tar()])[0]
    return outer_tar(_replace(members, "index.json", b"\x00\x01 not json"))


@case("oci-index-no-manifests.tar", 2, "OCI index.json has an empty manifests list", "oci")
def _(r):
    members = oci_members([base_tar()])[0]
    return outer_tar(_replace(members, "index.json",
                              jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": []})))


@case("oci-index-self-cycle.tar", 2,
      "OCI index.json -> nested index blob that lists itself (its digest cannot match): "
      "must not loop, and should say it is a cycle", "oci", expect_error_substring="cycle")
def _(r):
    members = oci_members([base_tar()])[0]
    fake = sha256(b"ballast self-referencing index")
    size = 0
    for _i in range(10):  # fixed point: the blob contains its own size
        blob = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                      "manifests": [{"mediaType": MT_OCI_INDEX, "digest": "sha256:" + fake,
                                     "size": size}]})
        if len(blob) == size:
            break
        size = len(blob)
    members[blob_name(fake)] = blob
    members["index.json"] = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                                   "manifests": [{"mediaType": MT_OCI_INDEX,
                                                  "digest": "sha256:" + fake, "size": size}]})
    return outer_tar(members)


@case("oci-corrupt-gzip-layer.tar", 2, "OCI +gzip layer: gzip header then garbage", "oci")
def _(r):
    blob = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + b"\x07" + r.randbytes(500)
    return oci_archive([base_tar(), L(text_tar(), "gzip", blob=blob)])


@case("oci-corrupt-zstd-layer.tar", 2,
      "OCI +zstd layer: zstd magic and frame header, then a 'compressed' block of garbage", "oci")
def _(r):
    garbage = r.randbytes(300)
    blk = (1 | (2 << 1) | (len(garbage) << 3)).to_bytes(3, "little")  # last, Compressed_Block
    blob = b"\x28\xb5\x2f\xfd\x00\x38" + blk + garbage  # window 128 KiB
    return oci_archive([base_tar(), L(text_tar(), "zstd", blob=blob)])


def pax_size_member(name, size_text):
    """A PAX-format member whose extended header claims size=size_text and
    whose ustar header says 0: the PAX value wins, as readers must apply it."""
    ti = tarfile.TarInfo(name)
    ti.mtime = MTIME
    ti.size = 0
    ti.pax_headers = {"size": size_text}
    return ti.tobuf(PAX, "utf-8", "strict")


@case("outer-pax-size-overflow.tar", 2,
      "outer tar: a member's PAX size is 2^64-1 (offset + size wraps a u64): must be refused, "
      "not wrapped into a small skip", "docker-archive")
def _(r):
    good = docker_archive([base_tar()])
    return pax_size_member("junk.bin", str(2 ** 64 - 1)) + good


@case("docker-layer-pax-size-overflow.tar", 2,
      "layer tar: an entry's PAX size is 2^64-1, a few bytes follow", "docker-archive")
def _(r):
    t = pax_size_member("huge.bin", str(2 ** 64 - 1)) + r.randbytes(700) + b"\0" * 1024
    return docker_archive([base_tar(), t])


@case("docker-layer-is-directory.tar", 2,
      "manifest's Layers names a directory entry of the outer tar (<id>/), not a file",
      "docker-archive", expect_error_substring="not in the archive")
def _(r):
    members, m = docker_members([base_tar()])
    m[0]["Layers"] = [m[0]["Layers"][0].split("/")[0] + "/"]
    return outer_tar(_replace(members, "manifest.json", jdump(m)))


@case("docker-layer-symlink-loop.tar", 2,
      "two layer.tar members are symlinks to each other (docker save dedups layers by symlink)",
      "docker-archive")
def _(r):
    members, m = docker_members([base_tar(), text_tar()])
    a, b = m[0]["Layers"]
    members[a] = ("symlink", "../" + b)
    members[b] = ("symlink", "../" + a)
    return outer_tar(members)


# ---- valid baselines -----------------------------------------------------

@case("docker-basic.tar", 0, "baseline: valid two-layer docker-archive", "docker-archive",
      expect_paths=["bin/sh", "etc/os-release", "etc/hostname", "app/data.bin", "app/README"],
      expect_sizes={"app/data.bin": 6000, "etc/hostname": 8})
def _(r):
    return docker_archive([base_tar(), app_tar(r)])


@case("docker-gzip-layer.tar", 0, "docker-archive whose second layer.tar is gzip-compressed",
      "docker-archive", expect_paths=["bin/sh", "srv/a.txt", "srv/c.txt"])
def _(r):
    return docker_archive([base_tar(), L(text_tar(), "gzip")])


@case("docker-zero-layers.tar", 0, "image with no layers at all (FROM scratch + CMD)",
      "docker-archive")
def _(r):
    return docker_archive([], history=[{"created": CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["x"]',
                                        "empty_layer": True}])


@case("docker-empty-layer.tar", 0, "a layer that is just the 1024-byte end-of-archive marker",
      "docker-archive", expect_paths=["bin/sh"])
def _(r):
    return docker_archive([b"\0" * 1024, base_tar()])


@case("docker-duplicate-layer-ref.tar", 0,
      "manifest lists the same layer.tar twice (identical layers are stored once)", "docker-archive",
      expect_paths=["bin/sh", "srv/a.txt"])
def _(r):
    t = text_tar()
    return docker_archive([base_tar(), t, t])


@case("docker-hybrid-oci.tar", 0,
      "docker >= 25 'docker save' layout: manifest.json AND index.json/oci-layout, blobs/sha256/*",
      "docker-archive+oci", expect_paths=["bin/sh", "app/data.bin"])
def _(r):
    layers = [L(base_tar()), L(app_tar(r))]
    members, _m, mbytes, cbytes = oci_members(layers)
    members["manifest.json"] = jdump([{
        "Config": blob_name(sha256(cbytes)),
        "RepoTags": ["ballast/hostile:latest"],
        "Layers": [blob_name(sha256(ly.blob)) for ly in layers],
    }])
    members["repositories"] = jdump({"ballast/hostile": {"latest": sha256(layers[-1].blob)}})
    return outer_tar(members)


@case("oci-plain.tar", 0, "baseline: valid OCI layout, uncompressed layers", "oci",
      expect_paths=["bin/sh", "app/data.bin"], expect_sizes={"app/data.bin": 6000})
def _(r):
    return oci_archive([base_tar(), app_tar(r)])


@case("oci-mixed-compression.tar", 0,
      "OCI layers: tar, tar+gzip, tar+zstd (zstd frame of 1 KiB raw blocks, ~20 blocks)", "oci",
      expect_paths=["bin/sh", "srv/a.txt", "z/blob.bin", "z/small.txt"],
      expect_sizes={"z/blob.bin": 20000})
def _(r):
    zt = mktar([D("z/"), F("z/blob.bin", r.randbytes(20000)), F("z/small.txt", b"zstd\n")])
    return oci_archive([L(base_tar()), L(text_tar(), "gzip"), L(zt, "zstd")])


@case("oci-gzip-multimember.tar", 0,
      "OCI +gzip layer made of two concatenated gzip members (valid; second member holds the tail)",
      "oci", expect_paths=["srv/a.txt", "srv/b.txt", "srv/c.txt"])
def _(r):
    t = text_tar()
    cut = 4096
    blob = gz(t[:cut]) + gz(t[cut:])
    return oci_archive([base_tar(), L(t, "gzip", blob=blob)])


@case("oci-nested-index.tar", 0,
      "OCI index.json -> image index blob -> manifest (as skopeo/buildx produce)", "oci",
      expect_paths=["bin/sh", "app/data.bin"])
def _(r):
    members, _m, mbytes, _c = oci_members([base_tar(), app_tar(r)])
    nested = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                    "manifests": [desc(MT_OCI_MANIFEST, mbytes,
                                       platform={"architecture": "amd64", "os": "linux"})]})
    members[blob_name(sha256(nested))] = nested
    members["index.json"] = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                                   "manifests": [desc(MT_OCI_INDEX, nested, annotations={
                                       "org.opencontainers.image.ref.name": "latest"})]})
    return outer_tar(members)


@case("oci-index-fanout.tar", 0,
      "OCI index.json -> 4 nested index blobs, each listing the next 100 times (1e8 paths to the "
      "one manifest): each index must be read once, and the one image found", "oci",
      expect_paths=["bin/sh", "app/data.bin"])
def _(r):
    members, _m, mbytes, _c = oci_members([base_tar(), app_tar(r)])
    child = desc(MT_OCI_MANIFEST, mbytes, platform={"architecture": "amd64", "os": "linux"})
    for _level in range(4):
        blob = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [child] * 100})
        members[blob_name(sha256(blob))] = blob
        child = desc(MT_OCI_INDEX, blob)
    members["index.json"] = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                                   "manifests": [child]})
    return outer_tar(members)


@case("oci-same-manifest-two-tags.tar", 0,
      "OCI index.json lists one manifest twice under two ref names: one image, not ambiguous",
      "oci", expect_paths=["bin/sh"])
def _(r):
    members, _m, mbytes, _c = oci_members([base_tar()])
    members["index.json"] = jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [
        desc(MT_OCI_MANIFEST, mbytes, annotations={"org.opencontainers.image.ref.name": t})
        for t in ("1.0", "latest")]})
    return outer_tar(members)


# ---- hostile but valid ---------------------------------------------------

@case("docker-path-traversal.tar", 0,
      "../, absolute and dotted entry paths, cleaned lexically (like filepath.Clean) into the "
      "image root; a/../../../b gives b and does not create a", "docker-archive",
      expect_paths=["outside", "etc/x", "dot/x", "b", "double/slash", "escape2", "etc/hostname"],
      expect_absent=["../outside", "../../outside", "a", "sub"])
def _(r):
    return docker_archive([base_tar(), mktar([
        D("./"), D("/"), D("."), D("../"),
        F("../../outside", b"escaped?\n"),
        F("/etc/x", b"absolute\n"),
        F("./dot/./x", b"dotted\n"),
        F("a/../../../b", b"climb\n"),
        F("//double//slash", b"slashes\n"),
        F("sub/../../escape2", b"climb2\n"),
    ])])


@case("docker-root-clobber.tar", 0,
      "entries that normalize to the root itself ('.', '..', '/') as a file/symlink/hardlink: "
      "must not replace the root (ignore or warn)", "docker-archive",
      expect_paths=["ok.txt", "bin/sh"])
def _(r):
    return docker_archive([base_tar(), mktar([
        F(".", b"root as a file\n"), S("/", "elsewhere"), F("..", b"parent as a file\n"),
        H("../", "ok.txt"), F("ok.txt", b"ok\n"),
    ])])


@case("docker-symlinks.tar", 0,
      "symlink loops (a->b->a, self, 64-long cycle), links to / and ../../.., and a later layer "
      "writing a file through a lower-layer symlink", "docker-archive",
      expect_paths=["a", "b", "self", "root", "up", "loopdir/parent", "chain/00", "chain/63"])
def _(r):
    chain = [S("chain/%02d" % i, "%02d" % ((i + 1) % 64)) for i in range(64)]
    l1 = mktar([S("a", "b"), S("b", "a"), S("self", "self"), S("root", "/"),
                S("up", "../../.."), S("abs-loop", "/abs-loop"), D("loopdir/"),
                S("loopdir/parent", ".."), S("loopdir/dot", "."), D("chain/")] + chain)
    l2 = mktar([F("root/etc/through-symlink", b"via root -> /\n"),
                F("up/escaped", b"via up -> ../../..\n")])
    return docker_archive([base_tar(), l1, l2])


@case("docker-hardlinks-dangling.tar", 0,
      "hardlinks to missing paths, to themselves, chained, absolute and ../ targets", "docker-archive",
      expect_paths=["real.txt"], expect_sizes={"real.txt": 5})
def _(r):
    return docker_archive([base_tar(), mktar([
        F("real.txt", b"real\n"), H("dangling", "does/not/exist"), H("self-link", "self-link"),
        H("h1", "real.txt"), H("h2", "h1"), H("abs", "/real.txt"), H("trav", "../../real.txt"),
        H("forward", "later.txt"), F("later.txt", b"defined after the link\n"),
    ])])


@case("docker-hardlinks.tar", 0, "hardlinks to a file in the same layer and in a lower layer",
      "docker-archive", expect_paths=["orig.bin", "link.bin", "sub/link2", "lower-link"],
      expect_sizes={"orig.bin": 4096})
def _(r):
    l1 = mktar([F("orig.bin", r.randbytes(4096)), H("link.bin", "orig.bin"),
                D("sub/"), H("sub/link2", "./orig.bin")])
    l2 = mktar([H("lower-link", "orig.bin")])
    return docker_archive([base_tar(), l1, l2])


@case("docker-dup-paths.tar", 0,
      "same path twice in one layer with different content (last wins), type change, "
      "and an overwrite in a later layer", "docker-archive",
      expect_paths=["dup.txt", "over.txt", "t"], expect_sizes={"dup.txt": 3, "over.txt": 7})
def _(r):
    l1 = mktar([F("dup.txt", b"0123456789"), F("over.txt", b"x" * 100), F("t", b"file\n"),
                F("dup.txt", b"abc"), S("t", "dup.txt")])
    l2 = mktar([F("over.txt", b"smaller")])
    return docker_archive([base_tar(), l1, l2])


DEEP = "d/" * 5000 + "file"


@case("docker-deep-5000.tar", 0, "a file 5000 directories deep (10 KB PAX path)", "docker-archive",
      expect_paths=[DEEP, "shallow.txt"], expect_sizes={DEEP: 5})
def _(r):
    return docker_archive([base_tar(), mktar([F(DEEP, b"deep\n"), F("shallow.txt", b"s\n")])])


NONUTF8 = [b"caf\xe9", b"dir-\xff/x", b"\xff\xfe", b"link-\xe9"]


@case("docker-layer-looks-like-json.tar", 0,
      "a layer whose first entry is named '{a}' (and then '[b]'), so its first bytes look like "
      "JSON; from stdin it must still be read as a layer", "docker-archive",
      expect_paths=["bin/sh", "{a}", "[b]"])
def _(r):
    return docker_archive([base_tar(), mktar([F("{a}", b"braces\n"), F("[b]", b"brackets\n")])])


@case("docker-nonutf8-names.tar", 0,
      "non-UTF-8 file names: raw bytes in a PAX layer (hdrcharset=BINARY) and in a GNU layer "
      "(raw ustar name)", "docker-archive",
      expect_path_bytes_hex=[b.hex() for b in NONUTF8], expect_paths=["bin/sh", "ascii.txt"])
def _(r):
    l1 = mktar([F(b"caf\xe9", b"latin-1 name\n"), D(b"dir-\xff/"), F(b"dir-\xff/x", b"x\n"),
                F("ascii.txt", b"a\n")], PAX)
    l2 = mktar([F(b"\xff\xfe", b"bom-ish\n"), S(b"link-\xe9", b"caf\xe9")], GNU)
    return docker_archive([base_tar(), l1, l2])


LONG_DIR = "long-" + "x" * 120 + "/" + "y" * 90
LONG_FILE = LONG_DIR + "/" + "file-" + "z" * 100 + ".txt"
LONG_TARGET = "../" * 10 + "t" * 200


def _long_layer(fmt):
    return mktar([D(LONG_DIR + "/"), F(LONG_FILE, b"long\n"),
                  S(LONG_DIR + "/link-" + "s" * 110, LONG_TARGET),
                  H(LONG_DIR + "/hard-" + "h" * 110, LONG_FILE)], fmt)


LONG_PATHS = [LONG_FILE, LONG_DIR + "/link-" + "s" * 110, LONG_DIR + "/hard-" + "h" * 110]


@case("docker-gnu-longnames.tar", 0,
      "GNU ././@LongLink records for names and link targets > 100 bytes", "docker-archive",
      expect_paths=LONG_PATHS, expect_sizes={LONG_FILE: 5})
def _(r):
    return docker_archive([base_tar(), _long_layer(GNU)])


@case("docker-pax-longnames.tar", 0, "PAX path/linkpath records for names > 100 bytes",
      "docker-archive", expect_paths=LONG_PATHS, expect_sizes={LONG_FILE: 5})
def _(r):
    return docker_archive([base_tar(), _long_layer(PAX)])


@case("docker-whiteouts.tar", 0,
      "whiteout for a path that never existed (.wh.ghost), normal whiteout, whiteout under a "
      "missing dir, and an opaque marker placed AFTER a new file in the same dir "
      "(opaque hides lower layers only)", "docker-archive",
      expect_paths=["keep.txt", "dir", "dir/upper.txt", "bin/sh"],
      expect_absent=["gone.txt", "ghost", ".wh.ghost", ".wh.gone.txt", "dir/lower.txt",
                     "dir/sub", "dir/sub/deep.txt", "dir/.wh..wh..opq", "nodir/.wh.x"])
def _(r):
    l1 = mktar([D("dir/"), F("dir/lower.txt", b"lower\n"), D("dir/sub/"),
                F("dir/sub/deep.txt", b"deep\n"), F("keep.txt", b"keep\n"), F("gone.txt", b"gone\n")])
    l2 = mktar([F(".wh.ghost", b""), F(".wh.gone.txt", b""), D("dir/"),
                F("dir/upper.txt", b"upper\n"), F("dir/.wh..wh..opq", b""), F("nodir/.wh.x", b"")])
    return docker_archive([base_tar(), l1, l2])


@case("docker-history-more.tar", 0,
      "config history has 3 non-empty steps but there is 1 layer", "docker-archive",
      expect_paths=["bin/sh"], expect_warning_substring="history")
def _(r):
    h = [{"created": CREATED, "created_by": "step %d" % i} for i in range(3)]
    h.append({"created": CREATED, "created_by": "CMD", "empty_layer": True})
    return docker_archive([base_tar()], history=h)


@case("docker-history-fewer.tar", 0,
      "config history has 1 non-empty step but there are 3 layers", "docker-archive",
      expect_paths=["bin/sh", "app/data.bin", "srv/a.txt"], expect_warning_substring="history")
def _(r):
    h = [{"created": CREATED, "created_by": "ADD base"},
         {"created": CREATED, "created_by": "ENV X=1", "empty_layer": True},
         {"created": CREATED, "created_by": "CMD", "empty_layer": True}]
    return docker_archive([base_tar(), app_tar(r), text_tar()], history=h)


@case("docker-no-history.tar", 0, "config without a history key (optional in OCI)",
      "docker-archive", expect_paths=["bin/sh"])
def _(r):
    return docker_archive([base_tar()], history=None)


@case("docker-special-files.tar", 0, "FIFO, char and block device entries", "docker-archive",
      expect_paths=["dev/null", "dev/zero", "dev/sda", "run/fifo"])
def _(r):
    return docker_archive([base_tar(), mktar([
        D("dev/"), E("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
        E("dev/zero", tarfile.CHRTYPE, devmajor=1, devminor=5, mode=0o666),
        E("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o660),
        D("run/"), E("run/fifo", tarfile.FIFOTYPE, mode=0o600),
    ])])


UNICODE = ["emoji-\U0001F600\U0001F4A3.txt", "rtl-\u202egnp.exe", "\u0645\u0631\u062d\u0628\u0627.txt",
           "cafe\u0301-combining", "caf\u00e9-precomposed", "zero\u200bwidth", "\u4e2d\u6587/\u6587\u4ef6",
           "\U0001F468\u200D\U0001F469\u200D\U0001F467", "fullwidth-\uff0e\uff0e\uff0fx"]


@case("docker-unicode-names.tar", 0,
      "unicode names: emoji, ZWJ sequence, RTL override, Arabic, CJK, combining vs precomposed "
      "(distinct paths), zero-width, fullwidth dots/slash", "docker-archive",
      expect_paths=UNICODE)
def _(r):
    return docker_archive([base_tar(), mktar([D("\u4e2d\u6587/")] + [F(n, n.encode()) for n in UNICODE])])


CONTROL = ["new\nline.txt", "tab\there", "esc-\x1b[31mred\x1b[0m", "cr\rname", "bell\x07", "del\x7f"]


@case("docker-control-char-names.tar", 0,
      "names with newline, tab, ESC sequences, CR, BEL, DEL: output must stay one entry per "
      "line and not emit raw terminal escapes", "docker-archive", expect_paths=CONTROL)
def _(r):
    return docker_archive([base_tar(), mktar([F(n, b"c\n") for n in CONTROL])])


@case("docker-weird-metadata.tar", 0,
      "uid/gid 2^32-1 and negative mtime (PAX), mode 07777, 0-mode file, 200-char uname",
      "docker-archive", expect_paths=["weird/ids", "weird/mode7777", "weird/mode0"])
def _(r):
    return docker_archive([base_tar(), mktar([
        D("weird/"),
        F("weird/ids", b"ids\n", uid=2 ** 32 - 1, gid=2 ** 32 - 1, mtime=-1, uname="u" * 200),
        F("weird/mode7777", b"m\n", mode=0o7777),
        F("weird/mode0", b"0\n", mode=0),
    ])])


# ---- big (only with --big) -------------------------------------------------

class HashWriter:
    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.n += len(b)
        self.f.write(b)
        return len(b)

    def tell(self):
        return self.n

    def flush(self):
        pass


def stream_gzip_layer(path, body, level=6):
    """Write a gzip layer blob to path by streaming body(writer) through gzip.
    Returns (blob sha256 hex, blob size, diff_id hex)."""
    with open(path, "wb") as raw:
        cw = HashWriter(raw)
        g = gzip.GzipFile(filename="", mode="wb", fileobj=cw, mtime=0, compresslevel=level)
        uw = HashWriter(g)
        body(uw)
        g.close()
    return cw.h.hexdigest(), cw.n, uw.h.hexdigest()


def write_zeros(w, n, chunk=1 << 20):
    z = b"\0" * chunk
    while n > 0:
        k = min(n, chunk)
        w.write(z if k == chunk else z[:k])
        n -= k


def big_oci(outpath, body, level=6):
    tmp = outpath + ".layer.tmp"
    try:
        bhex, bsize, diff = stream_gzip_layer(tmp, body, level)
        cfg = jdump(make_config([diff]))
        manifest = jdump({"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
                          "config": desc(MT_OCI_CONFIG, cfg),
                          "layers": [{"mediaType": MT_LAYER["gzip"], "digest": "sha256:" + bhex,
                                      "size": bsize}]})
        members = {"oci-layout": jdump({"imageLayoutVersion": "1.0.0"}),
                   blob_name(sha256(cfg)): cfg, blob_name(sha256(manifest)): manifest,
                   blob_name(bhex): ("file", tmp),
                   "index.json": jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                                        "manifests": [desc(MT_OCI_MANIFEST, manifest)]})}
        order = sorted(set(members) | {"blobs/", "blobs/sha256/"})
        with open(outpath, "wb") as f:
            _write_outer(order, members, f, PAX)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


TWO_GIB = 2 << 30


@case("big-gzip-2gib-zeros.tar", 0,
      "OCI +gzip layer (~2 MB) that inflates to one 2 GiB regular file of zeros", "oci", big=True,
      expect_paths=["zeros.bin"], expect_sizes={"zeros.bin": TWO_GIB})
def _big_zeros(r, outpath):
    def body(w):
        ti, _ = F("zeros.bin", b"")
        ti.size = TWO_GIB
        w.write(ti.tobuf(PAX, "utf-8", "strict"))
        write_zeros(w, TWO_GIB)
        w.write(b"\0" * 1024)
    big_oci(outpath, body)


@case("big-claims-1tb-truncated.tar", 2,
      "OCI +gzip layer: PAX header claims a 1 TB file, then 1 GiB of zeros and the stream ends",
      "oci", big=True, expect_error_substring="truncated")
def _big_1tb(r, outpath):
    def body(w):
        ti, _ = F("terabyte.bin", b"")
        ti.size = 10 ** 12
        w.write(ti.tobuf(PAX, "utf-8", "strict"))
        write_zeros(w, 1 << 30)
    big_oci(outpath, body)


# The million-entry layers and the archives past `--max-entries` (default
# 1,200,000 entries and 96 bytes of names per entry) are built from raw
# ustar headers: tarfile takes a minute for a million entries, this seconds.

_USTAR_TAIL = None


def fast_header(name, typeflag=b"0", mode=0o644, size=0):
    """A ustar header block for an entry with a name of <= 100 bytes."""
    global _USTAR_TAIL
    if _USTAR_TAIL is None:
        tail = bytearray(412)
        tail[0:8] = b"%07o\0" % 0o644           # mode, replaced below
        tail[8:16] = b"0000000\0"               # uid
        tail[16:24] = b"0000000\0"              # gid
        tail[24:36] = b"%011o\0" % 0            # size
        tail[36:48] = b"%011o\0" % MTIME
        tail[157:163] = b"ustar\0"
        tail[163:165] = b"00"
        _USTAR_TAIL = tail
    h = bytearray(100) + _USTAR_TAIL
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[124:136] = b"%011o\0" % size
    h[148:156] = b"        "
    h[156:157] = typeflag
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def fast_layer(w, names):
    """Writes empty entries (name, typeflag) through w, in batches."""
    buf = []
    for name, flag in names:
        buf.append(fast_header(name, flag, 0o755 if flag == b"5" else 0o644))
        if len(buf) >= 4096:
            w.write(b"".join(buf))
            buf.clear()
    w.write(b"".join(buf) + b"\0" * 1024)


@case("big-1m-entries.tar", 0,
      "OCI +gzip layer with 1,000,000 small files (1000 dirs x 1000 files) plus 1000 dir entries",
      "oci", big=True, expect_paths=["d000/f000", "d999/f999"],
      expect_sizes={"d999/f999": 7}, max_rss_mb=250)
def _big_1m(r, outpath):
    def body(w):
        buf = []
        for d in range(1000):
            buf.append(fast_header(b"d%03d/" % d, b"5", 0o755))
            for f in range(1000):
                data = b"%03d%03d\n" % (d, f)
                buf.append(fast_header(b"d%03d/f%03d" % (d, f), b"0", 0o644, len(data)))
                buf.append(data + b"\0" * (512 - len(data)))
            w.write(b"".join(buf))
            buf.clear()
        w.write(b"\0" * 1024)
    big_oci(outpath, body)


@case("big-deep-400k.tar", 0,
      "OCI +gzip layer (~15 KB) holding one file 400,000 directories deep (an 800 KB PAX path, "
      "under the 1 MiB record cap): work must stay linear in the path's length, not quadratic",
      "oci", big=True)
def _big_deep(r, outpath):
    def body(w):
        ti, _ = F("x/" + "d/" * 400000 + "f", b"deep\n")
        w.write(ti.tobuf(PAX, "utf-8", "strict"))
        w.write(b"deep\n" + b"\0" * 507)
        w.write(b"\0" * 1024)
    big_oci(outpath, body)


@case("big-1m-whiteouts.tar", 0,
      "OCI +gzip layer of 1,000 directories holding 1,000,000 whiteouts (.wh.NAME) of paths no "
      "layer has: the layer alone must stay within the per-entry memory budget", "oci", big=True,
      expect_paths=["d000", "d999"], max_rss_mb=250)
def _big_1m_wh(r, outpath):
    names = fan(1000, 1000, lambda d: b"d%03d/" % d, lambda d, f: b"d%03d/.wh.f%03d" % (d, f))
    big_oci(outpath, lambda w: fast_layer(w, names), level=1)


def fan(dirs, files, dir_name, file_name):
    """(name, typeflag) of `dirs` directories holding `files` entries each."""
    for d in range(dirs):
        yield dir_name(d), b"5"
        for f in range(files):
            yield file_name(d, f), b"0"


@case("big-over-max-entries.tar", 2,
      "OCI +gzip layer of 1,600,000 empty files, more than the default --max-entries (1,200,000): "
      "refused with the bound and the flag named, memory bounded", "oci", big=True,
      expect_error_substring="more than 1200000 entries", max_rss_mb=500)
def _big_over(r, outpath):
    names = fan(1600, 999, lambda d: b"d%04d/" % d, lambda d, f: b"d%04d/f%03d" % (d, f))
    tail = ((b"e%04d" % f, b"0") for f in range(1600))
    big_oci(outpath, lambda w: fast_layer(w, itertools.chain(names, tail)), level=1)


@case("big-names-at-budget.tar", 0,
      "OCI +gzip layer of 1,190,000 entries, each file with its own 95-byte path (no two names "
      "alike): just inside the default --max-entries and its name bytes, the costliest shape it "
      "allows, must stay under 500 MB", "oci", big=True,
      expect_paths=["d0000", "d1189"], max_rss_mb=500)
def _big_names_at_budget(r, outpath):
    names = fan(1190, 999, lambda d: b"d%04d/" % d,
                lambda d, f: b"d%04d/%04d-%03d-" % (d, d, f) + b"n" * 80)
    big_oci(outpath, lambda w: fast_layer(w, names), level=1)


@case("big-deep-fan.tar", 2,
      "OCI +gzip layer of 1,600 files each under its own chain of 1,000 new directories (2 KB PAX "
      "paths): 1.6M tree nodes from 1,600 entries, over the default --max-entries", "oci", big=True,
      expect_error_substring="more than 1200000 entries", max_rss_mb=500)
def _big_deep_fan(r, outpath):
    pax_names_layer(outpath, ("x%04d/" % i + "d/" * 999 + "f" for i in range(1600)))


def pax_names_layer(outpath, names):
    """A big layer of empty files with PAX names (any length)."""
    def body(w):
        for name in names:
            ti, _ = F(name, b"")
            w.write(ti.tobuf(PAX, "utf-8", "strict"))
        w.write(b"\0" * 1024)
    big_oci(outpath, body, level=1)


@case("big-long-names.tar", 2,
      "OCI +gzip layer of 120,000 files with 4 KiB names (490 MB of names, over the 115 MB the "
      "default --max-entries allows)", "oci", big=True,
      expect_error_substring="bytes of entry names", max_rss_mb=500)
def _big_long_names(r, outpath):
    pax_names_layer(outpath, ("n/%06d-" % i + "x" * 4088 for i in range(120000)))


# --------------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", nargs="?", default=os.path.join(here, "corpus"))
    ap.add_argument("--big", action="store_true", help="also write the big cases (GBs to inflate)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    listing = []
    seen = set()
    for meta, fn in CASES:
        assert meta["file"] not in seen, meta["file"]
        seen.add(meta["file"])
        listing.append(meta)
        path = os.path.join(args.outdir, meta["file"])
        r = rng(meta["file"])
        if meta.get("big"):
            if not args.big:
                continue
            t0 = time.time()
            fn(r, path)
            print("%-36s %12d bytes  %6.1fs" % (meta["file"], os.path.getsize(path), time.time() - t0),
                  file=sys.stderr)
        else:
            with open(path, "wb") as f:
                f.write(fn(r))
    with open(os.path.join(args.outdir, "cases.json"), "w") as f:
        json.dump(listing, f, indent=2)
        f.write("\n")
    print("wrote %d cases (%d big%s) to %s" % (
        len(listing), sum(1 for m in listing if m.get("big")),
        "" if args.big else ", skipped", args.outdir), file=sys.stderr)


if __name__ == "__main__":
    main()
