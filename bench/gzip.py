#!/usr/bin/env python3
"""One huge gzip layer: parallel inflate against the streaming inflater.

The image (`big-layer` from gen_images.py, built on demand into the data
directory) is a PyTorch+CUDA-like OCI archive whose one gzip layer holds
~4 GB of its ~4.2 GB: text, native libraries, fp16 weights and already-
compressed wheels, gzipped as a plain deflate stream (not pre-flushed
chunks), so the parallel inflater must find block boundaries and resolve
back-references across them as in any `gzip` or Go-written layer.

Each round runs, in turn (interleaved, so load drifting on a shared machine
hits both alike):

- single:   `BALLAST_INFLATE=single ballast ARCHIVE --json -`
            (the streaming inflater, as before parallel inflate existed);
- parallel: `BALLAST_INFLATE=parallel ballast ARCHIVE --json -` (the
            parallel inflater forced on the big layer; rapidgzip-core still
            runs its own admission screen and may decode sequentially);
- default:  BALLAST_INFLATE unset (parallel only on 3 or more cores).

Wall time is measured around the child, CPU is the child's user+sys from
os.wait4. Prints the medians, CPU/wall of each mode, the ratio of the
parallel wall time to the single one, checks that every report is the same
JSON as the first single-stream one, and the targets: parallel CPU/wall >=
1.7 and wall <= 0.65x single.

Usage: python3 bench/gzip.py [--runs 5] [--verify] [--data DIR] [--ballast BIN]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def build_ballast() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    log(f"building ballast (release, CARGO_TARGET_DIR={target})")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True, env={**os.environ, "CARGO_TARGET_DIR": target})
    return os.path.join(target, "release", "ballast")


def run_once(ballast: str, archive: str, mode: str | None, extra: list[str], out_path: str) -> tuple[float, float]:
    """(wall s, user+sys s) of one run; its report goes to out_path."""
    env = dict(os.environ)
    env.pop("BALLAST_INFLATE", None)
    if mode:
        env["BALLAST_INFLATE"] = mode
    with open(out_path, "wb") as out:
        t = time.perf_counter()
        p = subprocess.Popen([ballast, archive, "--no-progress", "--json", "-", *extra], stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
    err = p.stderr.read().decode(errors="replace") if p.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"ballast failed ({mode or 'default'}): {err}")
    return wall, ru.ru_utime + ru.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--ballast", help="use this binary instead of building one")
    ap.add_argument("--verify", action="store_true", help="also hash every blob and diff_id (--verify)")
    args = ap.parse_args()

    subprocess.run([sys.executable, os.path.join(HERE, "gen_images.py"), "--out", args.data, "--only", "big-layer"], check=True)
    archive = os.path.join(args.data, "big-layer.oci.tar")
    ballast = args.ballast or build_ballast()
    extra = ["--verify"] if args.verify else []
    # Warm the page cache, so both modes read from memory.
    subprocess.run(["cat", archive], stdout=subprocess.DEVNULL, check=True)

    modes = [("single", "single"), ("parallel", "parallel"), ("default", None)]
    walls: dict[str, list[float]] = {name: [] for name, _ in modes}
    cpus: dict[str, list[float]] = {name: [] for name, _ in modes}
    reference: bytes | None = None
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.runs):
            for name, mode in modes:
                out = os.path.join(tmp, f"{name}.json")
                wall, cpu = run_once(ballast, archive, mode, extra, out)
                walls[name].append(wall)
                cpus[name].append(cpu)
                with open(out, "rb") as f:
                    report = f.read()
                if reference is None:
                    reference = report
                elif report != reference:
                    same = False
                    log(f"round {r + 1}: the {name} report differs from the first single-stream one")
                log(f"round {r + 1} {name:8} wall {wall:6.2f} s  cpu {cpu:6.2f} s  cpu/wall {cpu / wall:4.2f}")

    med = {name: statistics.median(walls[name]) for name, _ in modes}
    ratio_cpu = {name: statistics.median(c / w for c, w in zip(cpus[name], walls[name])) for name, _ in modes}
    ratio = med["parallel"] / med["single"]
    size = os.path.getsize(archive)
    print(f"archive: {archive} ({size / 1e9:.2f} GB){' --verify' if args.verify else ''}, {args.runs} interleaved runs, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print("| mode | median wall (s) | median CPU/wall |")
    print("| --- | ---: | ---: |")
    for name, _ in modes:
        print(f"| {name} | {med[name]:.2f} | {ratio_cpu[name]:.2f} |")
    print(f"parallel / single wall: {ratio:.2f}")
    print(f"default / single wall: {med['default'] / med['single']:.2f}")
    print(f"reports identical: {'yes' if same else 'NO'}")
    ok_cpu = ratio_cpu["parallel"] >= 1.7
    ok_wall = ratio <= 0.65
    print(f"target CPU/wall >= 1.7: {'met' if ok_cpu else 'NOT met'} ({ratio_cpu['parallel']:.2f})")
    print(f"target wall <= 0.65x single: {'met' if ok_wall else 'NOT met'} ({ratio:.2f})")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
