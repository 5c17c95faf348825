#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for SECONDS each, JOBS at a time
# (default 2), and prints one summary line per target.
#
#   fuzz/run.sh 600                    # all targets, 10 minutes each
#   fuzz/run.sh 30 layout tar          # a smoke run of two
#   FORK=1 fuzz/run.sh 600 archive     # keep going past crashes (-fork=1)
#
# Toolchain: stable Rust with RUSTC_BOOTSTRAP=1 and no sanitizer
# (`cargo fuzz build -s none`, then the binaries are run directly);
# libFuzzer comes from libfuzzer-sys. Seeds come
# from seed.sh, run first when fuzz/corpus is missing. Logs go to
# fuzz/logs/<target>.log, crash inputs to fuzz/artifacts/<target>/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

secs="${1:?usage: run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(archive layout tar tar_naming layer layer_decompress)
fi
jobs="${JOBS:-2}"
export RUSTC_BOOTSTRAP=1

[ -d corpus ] || ./seed.sh
mkdir -p logs
# Build once up front and run the binaries directly: every target then fuzzes
# the same snapshot of src/, and no rebuild lands inside a timed run.
cargo fuzz build -s none >logs/build.log 2>&1 || { cat logs/build.log >&2; exit 2; }
bin_dir="$here/target/$(rustc -vV | awk '/^host:/ {print $2}')/release"

libfuzzer_args=(-max_len=1048576 -rss_limit_mb=2048 -timeout=10
    -max_total_time="$secs" -print_final_stats=1 -dict="$here/dict/image.dict")
if [ "${FORK:-0}" = 1 ]; then
    libfuzzer_args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

run_one() {
    local t="$1" log="logs/$1.log"
    mkdir -p "artifacts/$t" "corpus/$t"
    local before
    before=$(find "artifacts/$t" -type f | wc -l)
    # time(1) gives the peak RSS also in fork mode, where libFuzzer's own
    # figure covers the parent only.
    set +e
    /usr/bin/time -f "max_rss_kb: %M" "$bin_dir/$t" "${libfuzzer_args[@]}" \
        -artifact_prefix="artifacts/$t/" "corpus/$t" >"$log" 2>&1
    local rc=$?
    set -e
    local after
    after=$(find "artifacts/$t" -type f | wc -l)
    echo "$rc $((after - before))" >"logs/$t.rc"
}

running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

# The archive target's scratch files, from processes that have ended.
for f in /dev/shm/ballast-fuzz-archive-*.tar; do
    [ -e "$f" ] || continue
    pid="${f##*-}"
    pid="${pid%.tar}"
    kill -0 "$pid" 2>/dev/null || rm -f "$f"
done

stat_of() {
    awk -v k="stat::$1:" '$1 == k {v = $2} END {if (v != "") print v}' "$2"
}

printf '%-17s %12s %8s %15s %9s %9s %s\n' target execs execs/s corpus peak_rss artifacts exit
status=0
for t in "${targets[@]}"; do
    log="logs/$t.log"
    read -r rc arts <"logs/$t.rc"
    execs=$(stat_of number_of_executed_units "$log")
    rate=$(stat_of average_exec_per_sec "$log")
    rss=$(stat_of peak_rss_mb "$log")
    # Fork mode prints no final stats: take the last "#N" status line, and
    # the largest process's peak RSS as measured by time(1).
    [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    [ -n "$rss" ] || rss=$(awk '/^max_rss_kb:/ {print int($2 / 1024)}' "$log" | tail -1)
    # The last status line: "#N DONE cov: .. corp: FILES/SIZE ..".
    corp=$(grep -o 'corp: [0-9]*/[0-9.]*[a-zA-Z]*' "$log" | tail -1 | awk '{print $2}')
    [ -n "$corp" ] || corp="$(find "corpus/$t" -type f | wc -l)"
    printf '%-17s %12s %8s %15s %7sMB %9s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$corp" "${rss:-?}" "$arts" "$rc"
    if [ "$rc" != 0 ] || [ "$arts" != 0 ]; then
        status=1
    fi
done
exit "$status"
