#!/usr/bin/env python3
"""ballast reading straight from a registry or the Docker Engine, against
the same image as an archive file and against the tools that fetch it.

One run, wall-clock seconds, ratios printed:

- `ballast registry://127.0.0.1:PORT/bench:IMAGE` vs `ballast IMAGE.oci.tar`
  (acceptance: at most 1.2x) and vs `skopeo copy docker://… oci-archive:X`
  alone (acceptance: ballast takes less);
- `ballast docker://bench:IMAGE` vs `docker save bench:IMAGE > /dev/null`
  (acceptance: at most 1.2x), when a private dockerd can start.

The registry is Debian's `docker-registry` on a random loopback port with a
temporary storage directory; the image is pushed with skopeo first (not
timed). Images come from gen_images.py (`--image many-files` or `large`) in
the data directory, or any `--oci-archive`/`--docker-archive` pair.

Usage: registry.py [--data DIR] [--image NAME] [--oci-archive F --docker-archive F]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
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


def timed(cmd: str, env: dict | None = None) -> float:
    start = time.perf_counter()
    p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    took = time.perf_counter() - start
    if p.returncode not in (0, 1):
        sys.exit(f"`{cmd}` failed ({p.returncode}): {p.stderr.decode(errors='replace')[-400:]}")
    return took


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


def start_dockerd(tmp: str) -> tuple[subprocess.Popen, str] | None:
    if not shutil.which("dockerd"):
        return None
    d = tempfile.mkdtemp(prefix="bd", dir="/tmp")
    host = f"unix://{d}/docker.sock"
    proc = subprocess.Popen(
        ["dockerd", "--storage-driver", "vfs", "--iptables=false", "--bridge=none", "--host", host,
         "--data-root", f"{d}/data", "--exec-root", f"{d}/exec", "--pidfile", f"{d}/docker.pid"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ok = wait(lambda: subprocess.run(["docker", "-H", host, "version"], capture_output=True).returncode == 0, proc, 60)
    if not ok:
        stop(proc)
        return None
    return proc, host


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/work/bench-data"))
    ap.add_argument("--image", default="many-files")
    ap.add_argument("--oci-archive")
    ap.add_argument("--docker-archive")
    ap.add_argument("--ballast", help="a built ballast binary (default: cargo build --release)")
    ap.add_argument("--no-docker", action="store_true", help="skip the docker:// row")
    args = ap.parse_args()
    oci = args.oci_archive or os.path.join(args.data, f"{args.image}.oci.tar")
    dock = args.docker_archive or os.path.join(args.data, f"{args.image}.docker.tar")
    if not os.path.exists(oci):
        log(f"{oci} missing: generating with gen_images.py --only {args.image}")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_images.py"), "--out", args.data, "--only", args.image], check=True)
    ballast = args.ballast or build_ballast()
    size_mb = os.path.getsize(oci) / 1e6
    log(f"image {oci} ({size_mb:.0f} MB)")
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        reg, port = start_registry(tmp)
        try:
            ref = f"127.0.0.1:{port}/bench:1"
            subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci-archive:{oci}", f"docker://{ref}"], check=True)
            # Page cache warm for both sides: one untimed read each.
            timed(f"{ballast} {oci} --json")
            timed(f"{ballast} registry://{ref} --json")
            t_reg = timed(f"{ballast} registry://{ref} --json")
            t_file = timed(f"{ballast} {oci} --json")
            out = os.path.join(tmp, "copy.tar")
            t_skopeo = timed(f"skopeo copy --quiet --src-tls-verify=false docker://{ref} oci-archive:{out}")
            rows.append(("ballast registry:// / ballast oci-archive file", t_reg, t_file, "<= 1.2"))
            rows.append(("ballast registry:// / skopeo copy to oci-archive", t_reg, t_skopeo, "< 1.0"))
            for what, a, b, goal in rows:
                log(f"{what}: {a:.2f}s / {b:.2f}s = {a / b:.2f} (goal {goal})")
        finally:
            stop(reg)
        started = start_dockerd(tmp) if os.path.exists(dock) and not args.no_docker else None
        if started:
            proc, host = started
            try:
                subprocess.run(["docker", "-H", host, "load", "-q", "-i", dock], check=True, stdout=subprocess.DEVNULL)
                tags = subprocess.run(["docker", "-H", host, "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True).stdout.split()
                name = tags[0]
                env = {**os.environ, "DOCKER_HOST": host}
                timed(f"docker -H {host} save {name} > /dev/null")
                t_save = timed(f"docker -H {host} save {name} > /dev/null")
                t_dock = timed(f"{ballast} docker://{name} --json", env)
                rows.append(("ballast docker:// / docker save > /dev/null", t_dock, t_save, "<= 1.2"))
            finally:
                stop(proc)
        else:
            log("no dockerd (or no docker archive): the docker:// row is skipped")
    print(f"image: {os.path.basename(oci)} ({size_mb:.0f} MB as oci-archive)")
    for what, a, b, goal in rows:
        print(f"{what:52} {a:7.2f}s / {b:7.2f}s = {a / b:5.2f}  (goal {goal})")


if __name__ == "__main__":
    main()
