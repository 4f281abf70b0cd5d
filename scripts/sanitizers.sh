#!/usr/bin/env bash
# Runs the LMDB and ColonyStore tests under ThreadSanitizer and/or AddressSanitizer,
# each build in its own scratch path so it never disturbs the normal one.
#
#   scripts/sanitizers.sh                  # thread, then address; LMDBTests, ColonyStoreTests and
#                                          # ContextRebuildTests (its rebuild renders on a second thread)
#   scripts/sanitizers.sh thread           # one sanitizer
#   scripts/sanitizers.sh address 'ColonyStoreTests.GroupCommitTests'   # another --filter
#
# Environment: SANITIZER_SCRATCH_PREFIX (default .build-) names the scratch paths
# (.build-tsan, .build-asan); COLONY_FAULT_CYCLES (default 5 here: every crash cycle
# runs three sanitized writer processes) sets the crash test's kill cycles.
# Exits non-zero if a build or a test fails or a sanitizer reports anything.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
filter="${2:-LMDBTests|ColonyStoreTests|ColonyContextTests.ContextRebuildTests}"
prefix="${SANITIZER_SCRATCH_PREFIX:-.build-}"
export COLONY_FAULT_CYCLES="${COLONY_FAULT_CYCLES:-5}"
# Report every race, not only the first; keep going so one run lists them all.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=0 second_deadlock_stack=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0 halt_on_error=1}"

run() {
    local sanitizer="$1" scratch="$prefix$2" log
    log="$(mktemp)"
    echo "== $sanitizer sanitizer: building in $scratch"
    local started=$SECONDS
    swift build --scratch-path "$scratch" --sanitize="$sanitizer" --build-tests 2>&1 | grep -E "error|warning: .*sanitiz|Build complete" || true
    echo "== $sanitizer sanitizer: testing $filter (build took $((SECONDS - started)) s)"
    started=$SECONDS
    set +e
    swift test --scratch-path "$scratch" --sanitize="$sanitizer" --skip-build --filter "$filter" >"$log" 2>&1
    local status=$?
    set -e
    grep -E "Executed [0-9]+ tests|error:|failed \(" "$log" | tail -20 || true
    local reports
    reports=$(grep -cE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" || true)
    echo "== $sanitizer sanitizer: status $status, $reports sanitizer report(s), tests took $((SECONDS - started)) s; full log: $log"
    if [ "$reports" -gt 0 ]; then
        grep -A30 -E "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" "$log" | head -120
        return 1
    fi
    return $status
}

status=0
case "$which" in
    thread) run thread tsan || status=1 ;;
    address) run address asan || status=1 ;;
    all) run thread tsan || status=1; run address asan || status=1 ;;
    *) echo "usage: scripts/sanitizers.sh [thread|address|all] [FILTER]" >&2; exit 2 ;;
esac
exit $status
