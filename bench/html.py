#!/usr/bin/env python3
"""How big and how fast `ballast --html` is on the 300k-file bench image.

Writes the page of `many-files.docker.tar` (made by gen_images.py) into a
temporary directory, then opens it in headless Debian `chromium`, driven
over the DevTools protocol (`--remote-debugging-pipe`), and measures:

- page size (limit: 10 MB);
- time to interactive: from navigation start to the moment the page has
  drawn its first treemap and wired its controls (`window.ballastReady`,
  a `performance.now()` stamp; limit: 2 s), and the wall time the harness
  saw from `Page.navigate` to that point;
  (`performance.mark`s show when the data was parsed and the treemap drawn);
- one click-to-zoom into the largest directory and one search, each from
  the event to the redrawn view;
- console errors and network requests (both must be none).

Results go to bench/HTML.md (or --results). Usage:

    CARGO_TARGET_DIR=/work/target-bench python3 bench/html.py [--data DIR] [--runs N]

--data defaults to $BALLAST_BENCH_DATA or /tmp/ballast-bench-data; the image
is generated there when missing (a few minutes, about 4 GB with its OCI
copies).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import queue

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CHROMIUM = "/usr/bin/chromium"
PAGE_LIMIT = 10_000_000
TTI_LIMIT_MS = 2000.0


class Browser:
    """Headless chromium over --remote-debugging-pipe: `sh` puts our stdin
    and stdout pipes on fds 3 and 4, where chromium reads and writes
    NUL-terminated JSON messages."""

    def __init__(self, profile: str, width: int = 1400, height: int = 1000):
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2', CHROMIUM,
             "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.q: queue.Queue = queue.Queue()
        self.events: list = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        targets = self.send("Target.getTargets", {}, session=False)
        page = next(t["targetId"] for t in targets["targetInfos"] if t["type"] == "page")
        att = self.send("Target.attachToTarget", {"targetId": page, "flatten": True}, session=False)
        self.session = att["sessionId"]
        for m in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.send(m, {})
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _read(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(1 << 16)
            if not chunk:
                self.q.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                self.q.put(json.loads(msg))

    def send(self, method, params, session=True, timeout=120):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            v = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            if v is None:
                raise RuntimeError("chromium went away")
            if v.get("id") == self.next_id:
                if "error" in v:
                    raise RuntimeError(f"{method}: {v['error']}")
                return v["result"]
            self.events.append(v)

    def eval(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_event(self, method, timeout=120):
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while time.monotonic() < deadline:
            try:
                v = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if v is None:
                raise RuntimeError("chromium went away")
            self.events.append(v)
            if v.get("method") == method:
                return
        raise RuntimeError(f"no {method} in {timeout} s")

    def errors(self):
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails")))
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(str(p.get("args")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p.get("entry")))
        return out

    def requests(self):
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self):
        try:
            self.send("Browser.close", {}, session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


ZOOM_JS = """(() => {
  const r = [...document.querySelectorAll('#treemap rect.dir[data-depth="1"]')]
    .sort((a, b) => b.dataset.bytes - a.dataset.bytes)[0];
  const t0 = performance.now();
  r.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  const ms = performance.now() - t0;
  const tiles = document.querySelectorAll('#treemap rect').length;
  document.querySelector('#crumbs a').click();
  return {ms, tiles, path: r.dataset.path};
})()"""

SEARCH_JS = """new Promise(done => {
  const s = document.getElementById('search'), st = document.getElementById('search-status');
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    obs.disconnect();
    done({ms: performance.now() - t0, status: st.textContent});
  });
  obs.observe(st, {childList: true, characterData: true, subtree: true});
  s.value = QUERY; s.dispatchEvent(new Event('input'));
})"""


def measure(page: str, profile: str) -> dict:
    b = Browser(profile)
    try:
        url = "file://" + page
        t0 = time.monotonic()
        b.send("Page.navigate", {"url": url})
        b.wait_event("Page.loadEventFired")
        while b.eval("window.ballastReady === undefined"):
            time.sleep(0.02)
        wall_ms = (time.monotonic() - t0) * 1000
        ready_ms = b.eval("window.ballastReady")
        marks = dict(b.eval("performance.getEntriesByType('mark').map(m => [m.name, m.startTime])"))
        tiles = b.eval("document.querySelectorAll('#treemap rect').length")
        top_sum = b.eval("[...document.querySelectorAll('#treemap rect[data-depth=\"1\"]')]"
                         ".reduce((s, r) => s + Number(r.dataset.bytes), 0)")
        zoom = b.eval(ZOOM_JS)
        search = b.eval(SEARCH_JS.replace("QUERY", json.dumps("node_modules/lodash")))
        return {
            "ready_ms": ready_ms, "wall_ms": wall_ms,
            "parsed_ms": marks.get("ballast-parsed", 0), "treemap_ms": marks.get("ballast-treemap", 0), "tiles": tiles, "top_sum": top_sum,
            "zoom_ms": zoom["ms"], "zoom_path": zoom["path"], "zoom_tiles": zoom["tiles"],
            # the page waits 120 ms after the last keystroke before searching
            "search_ms": search["ms"] - 120, "search_status": search["status"],
            "errors": b.errors(), "requests": [r for r in b.requests() if r != url],
        }
    finally:
        b.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("BALLAST_BENCH_DATA", "/tmp/ballast-bench-data"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--ballast", help="use this binary instead of building one")
    ap.add_argument("--results", default=os.path.join(HERE, "HTML.md"))
    args = ap.parse_args()

    image = os.path.join(args.data, "many-files.docker.tar")
    if not os.path.exists(image):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_images.py"), "--out", args.data,
                        "--only", "many-files"], check=True)
    ballast = args.ballast
    if not ballast:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        ballast = os.path.join(target, "release", "ballast")

    with tempfile.TemporaryDirectory(prefix="ballast-html-bench-") as tmp:
        page = os.path.join(tmp, "many-files.html")
        report = os.path.join(tmp, "report.json")
        t0 = time.monotonic()
        subprocess.run([ballast, image, "--no-progress", "--html", page, "--json", report],
                       stdout=subprocess.DEVNULL, check=True)
        write_s = time.monotonic() - t0
        size = os.path.getsize(page)
        with open(report) as f:
            r = json.load(f)
        final_size, files = r["image"]["final_size_bytes"], r["image"]["file_count"]
        with open(page, encoding="utf-8") as f:
            text = f.read()
        data = json.loads(text.split('id="ballast-data">', 1)[1].split("</script>", 1)[0])
        nodes, folded = len(data["tree"]["name"]), data["tree"]["folded_files"]
        runs = []
        for i in range(args.runs):
            runs.append(measure(page, os.path.join(tmp, f"profile-{i}")))
            print(f"run {i + 1}: ready {runs[-1]['ready_ms']:.0f} ms, zoom {runs[-1]['zoom_ms']:.0f} ms, "
                  f"search {runs[-1]['search_ms']:.0f} ms", file=sys.stderr)

    med = lambda k: statistics.median(x[k] for x in runs)
    errors = sum(len(x["errors"]) for x in runs)
    requests = sum(len(x["requests"]) for x in runs)
    sums_ok = all(int(x["top_sum"]) == final_size for x in runs)
    size_ok, tti_ok = size <= PAGE_LIMIT, med("ready_ms") <= TTI_LIMIT_MS
    load = os.getloadavg()[0]
    lines = [
        "# `--html` on the 300k-file bench image",
        "",
        f"Measured by `bench/html.py` on {datetime.date.today().isoformat()} ({os.cpu_count()} cores, "
        f"1-minute load {load:.2f} at the end), chromium headless, window 1400x1000, "
        f"median of {args.runs} runs.",
        "",
        f"Image: `many-files.docker.tar`, {files:,} files, final tree {final_size:,} bytes. "
        f"The page holds {nodes:,} tree nodes; {folded:,} files are folded into \"N small files\" nodes.",
        "",
        "| measure | value | limit |",
        "|---|---:|---:|",
        f"| page size | {size / 1e6:.2f} MB ({size:,} bytes) | 10 MB |",
        f"| time to interactive (navigation start to first treemap, controls wired) | {med('ready_ms'):.0f} ms | 2000 ms |",
        f"| of which: page and data parsed | {med('parsed_ms'):.0f} ms | |",
        f"| of which: first treemap drawn | {med('treemap_ms'):.0f} ms | |",
        f"| harness wall time, `Page.navigate` to interactive | {med('wall_ms'):.0f} ms | |",
        f"| tiles in the first view | {int(med('tiles')):,} | |",
        f"| click to zoomed view (largest directory) | {med('zoom_ms'):.0f} ms | |",
        f"| search `node_modules/lodash` to results drawn | {med('search_ms'):.0f} ms | |",
        f"| `ballast --html --json` on the archive (wall) | {write_s:.2f} s | |",
        "",
        f"- {'PASS' if size_ok else 'FAIL'}: page size at most 10 MB",
        f"- {'PASS' if tti_ok else 'FAIL'}: interactive within 2 s",
        f"- {'PASS' if sums_ok else 'FAIL'}: top-level tiles add up to the report's final size",
        f"- {'PASS' if errors == 0 else 'FAIL'}: no console errors ({errors})",
        f"- {'PASS' if requests == 0 else 'FAIL'}: no network requests ({requests})",
        "",
    ]
    with open(args.results, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
