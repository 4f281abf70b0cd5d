#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 30).
#   Fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzEventRecord FuzzJSONValidator)
swift build -c release 2>&1 | tail -3
for t in "${targets[@]}"; do
    corpus="Corpus/${t#Fuzz}"
    work="$(mktemp -d)"
    cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    echo "== $t for ${seconds}s"
    SWIFT_BACKTRACE=enable=no ".build/release/$t" -max_total_time="$seconds" -print_final_stats=1 "$work" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" || true
    rm -rf "$work"
done
