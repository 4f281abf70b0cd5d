#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for SECONDS (default 30), one after another.
#   Fuzz/run.sh [SECONDS] [TARGET...]
# Prints one line per target: executions, time, and whether it found anything.
# A finding leaves the input in Fuzz/crash-* (or leak-*, timeout-*), ignored by git;
# the script then exits 1. New inputs that grew coverage are not kept: the committed
# corpora stay small (copy from the work directory by hand to keep one).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-30}"; shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzEventRecord FuzzJSONValidator FuzzMCPMessage FuzzToolArguments FuzzNDJSONLine FuzzContextView)
swift build -c release 2>&1 | grep -E "error|Build complete" || true
status=0
for t in "${targets[@]}"; do
    corpus="Corpus/${t#Fuzz}"
    work="$(mktemp -d)"
    log="$(mktemp)"
    cp -r "$corpus"/. "$work"/ 2>/dev/null || true
    # The MCP targets run a store whose subscription task outlives an input by design
    # (it waits for the next commit); LeakSanitizer reports that task's allocations, so
    # leak detection is off for them. AddressSanitizer's memory checks stay on.
    leaks=1
    case "$t" in FuzzMCPMessage|FuzzToolArguments) leaks=0 ;; esac
    started=$SECONDS
    set +e
    SWIFT_BACKTRACE=enable=no ".build/release/$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -max_len=65536 -detect_leaks=$leaks "$work" >"$log" 2>&1
    code=$?
    set -e
    execs=$(grep -E "stat::number_of_executed_units" "$log" | awk '{print $2}' | tail -1)
    finding="none"
    if [ $code -ne 0 ]; then
        finding="$(grep -E "^==[0-9]+==ERROR|Fatal error|SUMMARY|Test unit written to" "$log" | head -3 | tr '\n' ' ')"
        status=1
    fi
    echo "$t: ${execs:-?} executions in $((SECONDS - started)) s; findings: $finding"
    [ $code -ne 0 ] && tail -40 "$log"
    rm -rf "$work" "$log"
done
exit $status
