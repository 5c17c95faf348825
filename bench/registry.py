#!/usr/bin/env python3
"""ballast reading straight from a registry or the Docker Engine, against
the same image as an archive file and against the tools that fetch it: the
issue #13 benchmark, every row of its criterion in one run.

For each image (default: gen_images.py's `many-files`, ~500 MB, and
`large`, multi-GB), wall-clock seconds, repetitions interleaved so load
drifting on a shared machine hits every command alike, medians compared:

- `ballast registry://127.0.0.1:PORT/bench:1` vs `ballast IMAGE.oci.tar`
  (goal: at most 1.2x) and vs `skopeo copy docker://… oci-archive:X` alone
  (goal: less than 1.0x);
- `ballast docker://NAME` (DOCKER_HOST on a private vfs dockerd this script
  starts, with the image `docker load`ed) vs `docker save NAME > /dev/null`
  (goal: at most 1.2x).

The registry is Debian's `docker-registry` on a random loopback port with a
temporary storage directory; the image is pushed with skopeo first and
loaded into dockerd first (neither timed). Every daemon is stopped by its
pid and its storage deleted before the next image. Each row prints PASS or
FAIL against its goal.

Usage: registry.py [--images many-files,large] [--reps 3] [--tmp DIR]
                   [--scratch DIR] [--ballast BIN] [--no-docker]
`--scratch` holds skopeo's oci-archive output (and skopeo's TMPDIR); for
the multi-GB image it needs twice the image's size (e.g. /dev/shm).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def log(msg: str) -> None:
    print(f"[registry-bench] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(check, proc: subprocess.Popen, secs: float) -> bool:
    end = time.time() + secs
    while time.time() < end:
        if check():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


# CPU seconds of the last `timed` command (user + system, with every
# process it waited for).
last_cpu = 0.0


def timed(cmd: str, env: dict | None = None) -> float:
    global last_cpu
    start = time.perf_counter()
    p = subprocess.Popen(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    took = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    last_cpu = usage.ru_utime + usage.ru_stime
    if p.returncode not in (0, 1):
        sys.exit(f"`{cmd}` failed ({p.returncode}): {err.decode(errors='replace')[-400:]}")
    return took


def proc_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sha256_cpu(path: str) -> float:
    """CPU seconds to sha256 every byte of `path` once (OpenSSL, SHA-NI
    where the CPU has it): the digest check no registry client may skip."""
    import hashlib
    h = hashlib.sha256()
    start = time.process_time()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return time.process_time() - start


def start_registry(tmp: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cfg = os.path.join(tmp, "registry.yml")
    with open(cfg, "w") as f:
        f.write(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {tmp}/registry\n"
            f"http:\n  addr: 127.0.0.1:{port}\n"
        )
    proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    if not wait(up, proc, 20):
        sys.exit("docker-registry did not start")
    return proc, port


def start_dockerd(tmp: str) -> tuple[subprocess.Popen, str, str] | None:
    if not shutil.which("dockerd"):
        return None
    # The socket path must stay short: the data root lives under `tmp`.
    d = tempfile.mkdtemp(prefix="bd", dir="/tmp")
    root = tempfile.mkdtemp(prefix="ballast-dockerd-", dir=tmp)
    host = f"unix://{d}/docker.sock"
    proc = subprocess.Popen(
        ["dockerd", "--storage-driver", "vfs", "--iptables=false", "--bridge=none", "--host", host,
         "--data-root", f"{root}/data", "--exec-root", f"{d}/exec", "--pidfile", f"{d}/docker.pid"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ok = wait(lambda: subprocess.run(["docker", "-H", host, "version"], capture_output=True).returncode == 0, proc, 60)
    if not ok:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)
        return None
    return proc, host, root


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def build_ballast() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return os.path.join(target, "release", "ballast")


# Per image, the registry row's CPU floor (see cpu_floor).
floors: list[str] = []


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def bench_image(args, ballast: str, image: str) -> list[tuple[str, str, list[float], list[float], float, bool]]:
    """Rows (image, what, a times, b times, goal, strictly-less) for one image."""
    oci = os.path.join(args.data, f"{image}.oci.tar")
    dock = os.path.join(args.data, f"{image}.docker.tar")
    if not os.path.exists(oci):
        log(f"{oci} missing: generating with gen_images.py --only {image}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_images.py"), "--out", args.data, "--only", image], check=True)
    size_mb = os.path.getsize(oci) / 1e6
    label = f"{image} ({size_mb:.0f} MB oci-archive)"
    log(f"image {label}")
    rows = []
    tmp = tempfile.mkdtemp(prefix="ballast-reg-", dir=args.tmp)
    try:
        reg, port = start_registry(tmp)
        try:
            ref = f"127.0.0.1:{port}/bench:1"
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci-archive:{oci}", f"docker://{ref}"], check=True)
            out = os.path.join(args.scratch, f"ballast-bench-{os.getpid()}.tar")
            skopeo_env = {**os.environ, "TMPDIR": args.scratch}
            cmds = {
                "file": (f"{ballast} {oci} --json", None),
                "registry": (f"{ballast} registry://{ref} --json", None),
                "skopeo": (f"skopeo copy --quiet --src-tls-verify=false docker://{ref} oci-archive:{out}", skopeo_env),
            }
            if args.no_skopeo:
                del cmds["skopeo"]
            if args.ballast_old:
                cmds["registry-old"] = (f"{args.ballast_old} registry://{ref} --json", None)
            times = {k: [] for k in cmds}
            cpu = {"file": [], "registry": [], "server": []}
            # Page cache warm for every side: one untimed run of ballast's.
            timed(cmds["file"][0])
            timed(cmds["registry"][0])
            for r in range(args.reps):
                for k, (cmd, env) in cmds.items():
                    served = proc_cpu(reg.pid)
                    times[k].append(timed(cmd, env))
                    if k in cpu:
                        cpu[k].append(last_cpu)
                    if k == "registry":
                        cpu["server"].append(proc_cpu(reg.pid) - served)
                    if os.path.exists(out):
                        os.remove(out)
                log(f"rep {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()))
            rows.append((label, "ballast registry:// / ballast oci-archive file", times["registry"], times["file"], 1.2, False))
            floors.append(cpu_floor(label, oci, times, cpu))
            if "skopeo" in times:
                rows.append((label, "ballast registry:// / skopeo copy to oci-archive", times["registry"], times["skopeo"], 1.0, True))
            if "registry-old" in times:
                rows.append((label, "ballast registry:// / --ballast-old's", times["registry"], times["registry-old"], 1.0, False))
        finally:
            stop(reg)
            remove(tmp)
        docker_row = os.path.exists(dock) and not args.no_docker and image in args.docker_images.split(",")
        started = start_dockerd(args.tmp) if docker_row else None
        if started:
            proc, host, root = started
            try:
                name = "bench:1"
                load = subprocess.run(["docker", "-H", host, "load", "-q", "-i", dock], check=True, capture_output=True, text=True).stdout
                loaded = [l.split(":", 1)[1].strip() for l in load.splitlines() if l.startswith("Loaded image")]
                subprocess.run(["docker", "-H", host, "tag", loaded[0], name], check=True)
                env = {**os.environ, "DOCKER_HOST": host}
                cmds = {
                    "save": (f"docker -H {host} save {name} > /dev/null", None),
                    "docker": (f"{ballast} docker://{name} --json", env),
                }
                times = {k: [] for k in cmds}
                for cmd, e in cmds.values():
                    timed(cmd, e)
                for r in range(args.reps):
                    for k, (cmd, e) in cmds.items():
                        times[k].append(timed(cmd, e))
                    log(f"rep {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in times.items()))
                rows.append((label, "ballast docker:// / docker save > /dev/null", times["docker"], times["save"], 1.2, False))
            finally:
                stop(proc)
                remove(root)
        else:
            log("no dockerd (or no docker archive): the docker:// row is skipped")
    finally:
        remove(tmp)
    return rows


def cpu_floor(label: str, oci: str, times: dict, cpu: dict) -> str:
    """The least wall time any registry client could take here: the file
    path's own CPU, plus the sha256 of every byte the registry sends (the
    blobs are most of the oci-archive), plus what the registry process
    spent serving them, spread perfectly over every core."""
    file_wall, file_cpu = median(times["file"]), median(cpu["file"])
    sha = sha256_cpu(oci)
    server = median(cpu["server"])
    floor = (file_cpu + sha + server) / os.cpu_count()
    return (
        f"{label:32} CPU s: file path {file_cpu:.2f} (wall {file_wall:.2f}), registry path "
        f"{median(cpu['registry']):.2f} + docker-registry {server:.2f}; sha256 of the blobs {sha:.2f}\n"
        f"{'':32} floor on {os.cpu_count()} cores = (file {file_cpu:.2f} + sha256 {sha:.2f} + server "
        f"{server:.2f}) / {os.cpu_count()} = {floor:.2f} s = {floor / file_wall:.2f}x the file's wall time"
    )


def remove(path: str) -> None:
    """vfs keeps a full copy of the tree per layer: millions of files,
    which `rm -rf` deletes faster than shutil."""
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--images", default="many-files,large", help="gen_images.py names, comma-separated")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions per command (median taken)")
    ap.add_argument("--tmp", default="/var/tmp", help="registry storage and dockerd data root")
    ap.add_argument("--scratch", default="/var/tmp", help="skopeo's output and TMPDIR")
    ap.add_argument("--ballast", help="a built ballast binary (default: cargo build --release)")
    ap.add_argument("--ballast-old", help="another ballast binary whose registry:// run is timed in the same rounds")
    ap.add_argument("--no-docker", action="store_true", help="skip the docker:// row")
    ap.add_argument("--docker-images", default="many-files,large",
                    help="images that get the docker:// row (vfs stores every layer as a full copy: "
                         "the large image needs ~20 GB of disk there)")
    ap.add_argument("--no-skopeo", action="store_true", help="skip the skopeo row")
    args = ap.parse_args()
    ballast = args.ballast or build_ballast()
    rows = []
    for image in args.images.split(","):
        rows.extend(bench_image(args, ballast, image.strip()))
        summary(args, rows)
    print("== all rows", flush=True)
    failed = summary(args, rows)
    print("== where the registry row's time goes")
    for f in floors:
        print(f, flush=True)
    sys.exit(1 if failed else 0)


def summary(args, rows) -> int:
    """Prints the rows so far; returns how many missed their goal."""
    print(f"median of {args.reps} interleaved runs, wall-clock seconds; nproc {os.cpu_count()}, load now: {os.getloadavg()[0]:.1f}")
    failed = 0
    for label, what, a, b, goal, strict in rows:
        ratio = median(a) / median(b)
        ok = ratio < goal if strict else ratio <= goal
        failed += not ok
        op = "<" if strict else "<="
        print(f"{label:32} {what:50} {median(a):7.2f}s / {median(b):7.2f}s = {ratio:5.2f}  goal {op} {goal:.1f}  {'PASS' if ok else 'FAIL'}", flush=True)
    return failed


if __name__ == "__main__":
    main()
