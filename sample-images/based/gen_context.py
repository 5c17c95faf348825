#!/usr/bin/env python3
"""Generate the build contexts of the "based" sample under --out:

  base/   a small base image of its own (busybox, a few data files, and some
          waste of its own: one licence shipped three times, a stale .deb)
  ctx/    what the image built FROM that base copies in (a pip cache)

All content is derived from --seed, so reruns produce identical files. The
sizes each planted mistake should show are in ./README.md.
"""

import argparse
import hashlib
import os
import shutil


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--busybox", default="/bin/busybox")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    if os.path.exists(out):
        shutil.rmtree(out)

    def write(rel, data, mode=0o644):
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(p, mode)

    def rbytes(tag, n):
        return hashlib.shake_256(f"{a.seed}:based:{tag}".encode()).digest(n)

    root = "base/rootfs"
    os.makedirs(os.path.join(out, root, "bin"))
    shutil.copyfile(a.busybox, os.path.join(out, root, "bin/busybox"))
    os.chmod(os.path.join(out, root, "bin/busybox"), 0o755)
    write(f"{root}/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    write(f"{root}/etc/group", "root:x:0:\n")
    os.makedirs(os.path.join(out, root, "tmp"))
    os.chmod(os.path.join(out, root, "tmp"), 0o1777)
    # The base's own waste: one licence in three packages' doc dirs, and a
    # downloaded .deb left in apt's cache.
    licence = rbytes("licence", 40_000)
    for pkg in ("liba", "libb", "libc"):
        write(f"{root}/usr/share/doc/{pkg}/LICENSE", licence)
    write(f"{root}/var/cache/apt/archives/old_1.0_amd64.deb", rbytes("deb", 150_000))
    # Base files the build will chmod, delete and edit.
    write(f"{root}/usr/share/base-data/table.bin", rbytes("table", 250_000))
    write(f"{root}/usr/lib/base/libbig.so", rbytes("libbig", 200_000))
    conf = "".join(f"key{i}=value{i % 7}\n" for i in range(8_000))
    write(f"{root}/etc/base.conf", "value=0\n" + conf)
    # The build's own mistake: a pip cache copied in.
    for i in range(3):
        write(f"ctx/pipcache/http-v2/{i}/{i}.body", rbytes(f"pip{i}", 50_000))
    print("  based contexts written")


if __name__ == "__main__":
    main()
