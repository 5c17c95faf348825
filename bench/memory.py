#!/usr/bin/env python3
"""Peak memory per entry: ballast on a layer of 1,000,000 files and on a
layer of 1,000,000 whiteouts, against the budget of 250 MB (250 bytes an
entry), and against another ballast binary in the same run.

    python3 bench/memory.py [--ballast PATH] [--ballast-old PATH] [--runs 3]
                            [--data DIR] [--results bench/MEMORY.md]

The two archives are the hostile corpus's big cases (tests/hostile/
generate.py: `big-1m-entries.tar`, `big-1m-whiteouts.tar`), written into
--data (default /work/bench-data, or $BALLAST_BENCH_DATA) when missing.
Each run is `ballast ARCHIVE --json FILE` under `/usr/bin/time -v`; with
--ballast-old the two binaries run interleaved, run by run, so load drifting
on a shared machine hits both alike, and their reports must be identical.
Prints, per archive and binary, the median peak RSS, bytes per entry and
wall time, the new/old ratios and PASS/FAIL against the budget; --results
writes the same as markdown.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GENERATOR = os.path.join(REPO, "tests", "hostile", "generate.py")
BUDGET_MB = 250
# 1,000 directory entries and 1,000,000 files (or whiteouts) in each.
CASES = [("big-1m-entries.tar", 1_001_000), ("big-1m-whiteouts.tar", 1_001_000)]


def log(msg: str) -> None:
    print(f"memory: {msg}", file=sys.stderr, flush=True)


def generate(data: str) -> None:
    spec = importlib.util.spec_from_file_location("hostile_generate", GENERATOR)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    by_file = {meta["file"]: fn for meta, fn in gen.CASES}
    for name, _ in CASES:
        path = os.path.join(data, name)
        if os.path.exists(path):
            continue
        log(f"writing {path}")
        by_file[name](gen.rng(name), path)


def build() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return os.path.join(target, "release", "ballast")


def run_once(binary: str, archive: str, report: str) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes) of one run."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        subprocess.run(
            ["/usr/bin/time", "-v", "-o", stats.name, binary, archive, "--json", report],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        wall = rss = None
        for line in stats.read().splitlines():
            line = line.strip()
            if line.startswith("Maximum resident set size (kbytes):"):
                rss = int(line.split(":")[1]) * 1024
            elif line.startswith("Elapsed (wall clock) time"):
                clock = line.rsplit(" ", 1)[1]
                parts = [float(p) for p in clock.split(":")]
                wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    return wall, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ballast", help="the binary measured (default: build target/release/ballast)")
    ap.add_argument("--ballast-old", help="a reference binary, e.g. built from main")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--results", help="write the table as markdown here (e.g. bench/MEMORY.md)")
    args = ap.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("memory: needs GNU time (/usr/bin/time; apt-get install time)")
    os.makedirs(args.data, exist_ok=True)
    generate(args.data)
    binaries = [("new", args.ballast or build())]
    if args.ballast_old:
        binaries.append(("old", args.ballast_old))

    rows = []
    checks = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, entries in CASES:
            archive = os.path.join(args.data, name)
            got = {b: [] for b, _ in binaries}
            for _ in range(args.runs):
                for label, binary in binaries:
                    got[label].append(run_once(binary, archive, os.path.join(tmp, f"{label}.json")))
            same = None
            if len(binaries) == 2:
                same = same_reports(os.path.join(tmp, "new.json"), os.path.join(tmp, "old.json"))
            med = {
                label: (statistics.median(w for w, _ in runs), statistics.median(r for _, r in runs))
                for label, runs in got.items()
            }
            for label, _ in binaries:
                wall, rss = med[label]
                rows.append((name, label, rss / 1e6, rss / entries, wall))
            new_wall, new_rss = med["new"]
            ok = new_rss <= BUDGET_MB * 1e6
            line = f"{'PASS' if ok else 'FAIL'}: {name}: peak RSS {new_rss / 1e6:.0f} MB, {new_rss / entries:.0f} bytes/entry (budget {BUDGET_MB} MB)"
            if "old" in med:
                old_wall, old_rss = med["old"]
                line += f"; new/old RSS {new_rss / old_rss:.2f}, wall {new_wall / old_wall:.2f}"
                line += f"; reports {'identical' if same else 'DIFFER'}"
                ok = ok and same
            checks.append(line)

    table = [
        "| archive | binary | peak RSS MB | bytes/entry | wall s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    table += [f"| `{a}` | {b} | {mb:.0f} | {per:.0f} | {wall:.2f} |" for a, b, mb, per, wall in rows]
    load = os.getloadavg()[0]
    text = "\n".join(table) + "\n\n" + "\n".join(f"- {c}" for c in checks) + "\n"
    print(text)
    print(f"(medians of {args.runs} runs; 1-minute load {load:.2f})")
    if args.results:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with open(args.results, "w") as f:
            f.write(RESULTS_HEAD.format(
                when=when, runs=args.runs, load=load, cores=os.cpu_count(), machine=platform.machine()))
            f.write(text)
            f.write(RESULTS_TAIL)
        log(f"wrote {args.results}")


RESULTS_HEAD = """# Memory per entry

`python3 bench/memory.py --ballast-old OLD --results bench/MEMORY.md`: peak
RSS (GNU time) of `ballast ARCHIVE --json FILE` on one OCI gzip layer of
1,000 directories holding 1,000,000 files (`big-1m-entries.tar`) or
1,000,000 whiteouts (`big-1m-whiteouts.tar`), medians of {runs} runs,
interleaved with the reference binary; {when}, {cores} cores ({machine}),
1-minute load {load:.2f}. Bytes per entry = peak RSS / 1,001,000 entries.

"""

RESULTS_TAIL = """
Where the bytes went before (heaptrack on `big-1m-entries.tar`, 436 MB of
heap at the peak, which comes while dive's metrics run beside the merge):
dive's metrics ~280 bytes an entry (a `(usize, &[u8]) -> usize` SipHash map
sized for every entry, 48-byte trie nodes, 56-byte stack nodes, a copy of
every entry as input), layer entries 64 bytes, the merged tree's
`(parent, name) -> node` map 27 MB. What changed: dive's metrics use `u32`
ids, a table of ids whose keys are read from the nodes (4 bytes a slot),
trie nodes holding only their name, flags packed beside ids, entries taken
as they are walked, and no stack for the top layer; the tree's map is the
same id table; a layer entry is 48 bytes (a link target sits in the name
arena behind its length), and each layer's lists are shrunk to fit.

`--max-entries` (default 1,200,000) keeps any archive under 500 MB: the
hostile corpus's big cases (`BALLAST_BIG_TESTS=1 cargo test --release
--test it hostile_big`) check each case's peak RSS against its bound
(`max_rss_mb` in `cases.json`, 500 MB unless it says). The costliest shape
the default allows is an entry with a name of its own (the tree interns
each name again): `big-names-at-budget`, 1.19M entries with a 95-byte name
each, peaks at about 470 MB (~390 bytes an entry). Archives past the bound
(1.6M entries; 1,600 files under 1,000 new directories each; 120,000 names
of 4 KiB) are refused at 80 to 130 MB.

That the other loads are no slower is checked with the interleaved timer:

    python3 bench/interleave.py --runs 7 /work/bench-data/many-files.docker.tar \\
        /work/bench-data/many-files.oci.tar /work/bench-data/large.docker.tar \\
        /work/bench-data/large.oci.tar -- old=OLD new=target/release/ballast
"""


def same_reports(new_path: str, old_path: str) -> bool:
    """Equal reports, apart from fields the newer schema added (a binary
    from before a field existed cannot have written it)."""
    with open(new_path) as a, open(old_path) as b:
        new, old = json.load(a), json.load(b)
    return drop_added(new, old) == old


def drop_added(new, old):
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: drop_added(v, old[k]) for k, v in new.items() if k in old}
    if isinstance(new, list) and isinstance(old, list) and len(new) == len(old):
        return [drop_added(n, o) for n, o in zip(new, old)]
    return new


if __name__ == "__main__":
    main()
