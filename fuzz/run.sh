#!/usr/bin/env bash
# Runs the JSON-RPC fuzzer for FUZZ_SECONDS (default 60) at the lowest CPU priority, then replays the corpus once
# with a leak check after every input.
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# New inputs go to fuzz/.work/corpus (ignored); the committed seeds in fuzz/corpus are only read. Crashes, leaks
# and timeouts are written to fuzz/crashes/ (ignored). The fuzzing run ends with libFuzzer's `cov:` and `ft:`
# figures and its final stats.
#
# Why leaks are checked apart: the connection frees some memory on Swift's cooperative threads just after an
# input is done, so libFuzzer's per-input check (-detect_leaks=1) finds the malloc and free counts apart after
# almost every input and runs LeakSanitizer each time, which makes fuzzing ten times slower. While fuzzing,
# LeakSanitizer runs once at exit; the replay then checks input by input. FUZZ_LEAKS=1 checks every input throughout.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${FUZZ_WORK:-$PWD/fuzz/.work}
SECONDS_TO_RUN=${1:-${FUZZ_SECONDS:-60}}
shift || true
mkdir -p "$WORK/corpus" fuzz/crashes
# Swift's own crash handler would race AddressSanitizer's report; libFuzzer and ASan report crashes here.
export SWIFT_BACKTRACE=enable=no
FUZZER=(nice -n 19 "$WORK/bin/jsonrpc-fuzzer" -max_len=16384 -timeout=10 -rss_limit_mb=4096
  -artifact_prefix="$PWD/fuzz/crashes/")
"${FUZZER[@]}" -max_total_time="$SECONDS_TO_RUN" -detect_leaks="${FUZZ_LEAKS:-0}" -print_final_stats=1 "$@" \
  "$WORK/corpus" fuzz/corpus
echo "fuzz: replaying the corpus with a leak check after each input"
status=0
"${FUZZER[@]}" -runs=0 -detect_leaks=1 "$WORK/corpus" fuzz/corpus > "$WORK/replay.log" 2>&1 || status=$?
grep -E "INITED|ERROR|SUMMARY|Test unit" "$WORK/replay.log" || true
exit $status
