#!/usr/bin/env python3
"""Generate the build context for the clean image under --out/ctx.

A static busybox, /etc/passwd and a small app. All content is derived from
--seed, so reruns produce identical files.
"""

import argparse
import hashlib
import json
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
    ctx = os.path.join(out, "ctx")

    def write(rel, data, mode=0o644):
        p = os.path.join(ctx, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(p, mode)

    def rbytes(tag, n):
        return hashlib.shake_256(f"{a.seed}:clean:{tag}".encode()).digest(n)

    os.makedirs(os.path.join(ctx, "rootfs/bin"))
    shutil.copyfile(a.busybox, os.path.join(ctx, "rootfs/bin/busybox"))
    os.chmod(os.path.join(ctx, "rootfs/bin/busybox"), 0o755)
    write("rootfs/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/app:/bin/sh\n")
    write("rootfs/etc/group", "root:x:0:\napp:x:1000:\n")
    os.makedirs(os.path.join(ctx, "rootfs/tmp"))
    os.chmod(os.path.join(ctx, "rootfs/tmp"), 0o1777)

    write("app/run.sh", "#!/bin/sh\nset -e\ncd /app\nexec httpd -f -p 8080 -h /app/www\n", 0o755)
    write("app/config.json", json.dumps({"name": "tidyapp", "port": 8080, "workers": 2}, indent=2) + "\n")
    write("app/www/index.html", "<!doctype html>\n<html><body><p>tidy sample app</p></body></html>\n")
    write("app/data/lookup.bin", rbytes("lookup", 24_000))
    write("app/data/weights.bin", rbytes("weights", 40_000))
    print("  clean context written")


if __name__ == "__main__":
    main()
