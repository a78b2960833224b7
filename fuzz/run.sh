#!/usr/bin/env bash
# Runs the JSON-RPC fuzzer for FUZZ_SECONDS (default 60) at the lowest CPU priority.
#   fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# New inputs go to fuzz/.work/corpus (ignored); the committed seeds in fuzz/corpus are only read. Crashes, leaks
# and timeouts are written to fuzz/crashes/ (ignored); the run ends with libFuzzer's `cov:` and `ft:` figures.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${FUZZ_WORK:-$PWD/fuzz/.work}
SECONDS_TO_RUN=${1:-${FUZZ_SECONDS:-60}}
shift || true
mkdir -p "$WORK/corpus" fuzz/crashes
# Swift's own crash handler would race AddressSanitizer's report; libFuzzer and ASan report crashes here.
export SWIFT_BACKTRACE=enable=no
exec nice -n 19 "$WORK/bin/jsonrpc-fuzzer" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=16384 -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix="$PWD/fuzz/crashes/" -print_final_stats=1 "$@" \
  "$WORK/corpus" fuzz/corpus
