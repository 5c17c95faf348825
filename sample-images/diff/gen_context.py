#!/usr/bin/env python3
"""Generate the build contexts and RUN-time payload for the diff sample pairs.

Writes, under --out:
  ctx/        the context every variant but file-grown builds from
              (rootfs/, data/blob.bin, app/)
  ctx-grown/  the same, with data/blob.bin longer (the file-grown variant)
  payload/    bind-mounted read-only at /mnt during RUN steps: the stand-in
              pip copies packages alpha 1.0 and beta 2.0 from pypi/<name>/

Content is SHAKE-256 keyed by seed and path: deterministic, incompressible,
and no two files share content.
"""

import argparse
import base64
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = None
BLOB_BYTES = 40_000
GROWN_BLOB_BYTES = 100_000


def rbytes(tag, n):
    return hashlib.shake_256(f"{SEED}:{tag}".encode()).digest(n)


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return len(data)


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def package(pl, name, version, sizes):
    """A wheel's installed files with a pip RECORD, and the cache pip keeps."""
    root = os.path.join(pl, "pypi", name)
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f'"""{name}: a sample package."""\n__version__ = "{version}"\n',
        f"{name}/core.py": "# generated\nDATA = " + repr(base64.b64encode(rbytes(f"{name}/core", sizes[0])).decode()) + "\n",
        f"{name}/_native.cpython-311-x86_64-linux-gnu.so": b"\x7fELF" + rbytes(f"{name}/native", sizes[1]),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n",
        f"{info}/INSTALLER": "pip\n",
    }
    record = []
    for rel in sorted(files):
        data = files[rel].encode() if isinstance(files[rel], str) else files[rel]
        write(os.path.join(root, "site-packages", rel), data)
        record.append(f"{rel},{record_hash(data)},{len(data)}")
    record.append(f"{info}/RECORD,,")
    write(os.path.join(root, "site-packages", info, "RECORD"), "\n".join(record) + "\n")
    h = hashlib.sha224(f"{name}-{version}".encode()).hexdigest()
    write(os.path.join(root, "cache", "http-v2", h[:2], h[2:4], h), rbytes(f"{name}/http", sizes[2]), 0o600)
    write(os.path.join(root, "cache", "wheels", h[:2], f"{name}-{version}-py3-none-any.whl"),
          b"PK\x03\x04" + rbytes(f"{name}/wheel", sizes[2] // 2), 0o600)


def context(ctx, busybox, blob_bytes):
    rootfs = os.path.join(ctx, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copyfile(busybox, os.path.join(rootfs, "bin/busybox"))
    os.chmod(os.path.join(rootfs, "bin/busybox"), 0o755)
    write(os.path.join(rootfs, "usr/local/bin/pip"),
          open(os.path.join(HERE, "fake-tools/pip"), "rb").read(), 0o755)
    write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
    for d, m in (("tmp", 0o1777), ("root", 0o700), ("mnt", 0o755)):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
        os.chmod(os.path.join(rootfs, d), m)
    # The grown blob starts with the same bytes: only its tail is new.
    write(os.path.join(ctx, "data/blob.bin"), rbytes("data/blob", blob_bytes))
    write(os.path.join(ctx, "app/run.sh"), "#!/bin/sh\necho hello from the diff sample\n", 0o755)
    write(os.path.join(ctx, "app/model.bin"), rbytes("app/model", 12_000))


def main():
    global SEED
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--busybox", default="/bin/busybox")
    a = ap.parse_args()
    SEED = a.seed
    out = os.path.abspath(a.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    context(os.path.join(out, "ctx"), a.busybox, BLOB_BYTES)
    context(os.path.join(out, "ctx-grown"), a.busybox, GROWN_BLOB_BYTES)
    pl = os.path.join(out, "payload")
    package(pl, "alpha", "1.0", (9_000, 30_000, 50_000))
    package(pl, "beta", "2.0", (6_000, 24_000, 40_000))


if __name__ == "__main__":
    main()
