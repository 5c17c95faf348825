#!/usr/bin/env python3
"""Times several ballast binaries on the same archives, interleaved run by
run so that load drifting on a shared machine hits each binary alike.
Prints the median wall time of each binary per archive and its ratio to the
first binary's.

Usage: bench/interleave.py --runs 7 ARCHIVE... -- NAME=BINARY...
"""

import statistics
import subprocess
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    runs = 7
    if args[:1] == ["--runs"]:
        runs = int(args[1])
        args = args[2:]
    split = args.index("--")
    archives, binaries = args[:split], [b.split("=", 1) for b in args[split + 1 :]]
    for archive in archives:
        times = {name: [] for name, _ in binaries}
        for _ in range(runs):
            for name, binary in binaries:
                t = time.perf_counter()
                subprocess.run(
                    [binary, archive, "--no-progress"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )
                times[name].append(time.perf_counter() - t)
        first = statistics.median(times[binaries[0][0]])
        print(f"{archive}")
        for name, _ in binaries:
            m = statistics.median(times[name])
            print(f"  {name:12} median {m:6.3f} s  ({m / first:.2f}x of {binaries[0][0]})")


if __name__ == "__main__":
    main()
