#!/usr/bin/env bash
# The instruction-count regression gate: what one append, one live apply, one
# get_context and one bulk batch of 1,000 events cost in CPU instructions (valgrind's
# callgrind counts them exactly, so the figure does not depend on the machine's load),
# against the baselines committed in Benchmarks/gate/baselines.txt. A figure more than 10% above its baseline fails, naming
# the benchmark.
#
#   scripts/regression-gate.sh            check (CI runs this after the tests)
#   scripts/regression-gate.sh --update   measure and write new baselines: commit them on
#                                         purpose, saying why the cost changed
#
# Each workload runs twice under callgrind, with N1 and N2 operations; the difference
# divided by N2 - N1 is the cost of one operation, with process start, store opening and
# closing cancelled out. See Benchmarks/RegressionGate/main.swift for the workloads.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
baselines="$root/Benchmarks/gate/baselines.txt"
tolerance_percent=10
update=false
[ "${1:-}" = "--update" ] && update=true

if ! command -v valgrind >/dev/null 2>&1; then
    echo "regression-gate: valgrind is needed (apt-get install valgrind; scripts/bootstrap.sh installs it)" >&2
    exit 1
fi

work="$(mktemp -d "${TMPDIR:-/dev/shm}/colony-gate-XXXXXX" 2>/dev/null || mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "regression-gate: building colony-gate (release)" >&2
# swift build writes its errors to stdout: keep them, and show them if the build fails.
if ! (cd Benchmarks && swift build -c release --product colony-gate --scratch-path .build-gate >"$work/build.log" 2>&1); then
    cat "$work/build.log" >&2
    echo "regression-gate: the build of colony-gate failed (above). If it cannot find a symbol of a source" >&2
    echo "file added since Benchmarks/.build-gate was built (SwiftPM can keep the old file list), remove that directory" >&2
    exit 1
fi
gate="$(cd Benchmarks && swift build -c release --product colony-gate --scratch-path .build-gate --show-bin-path)/colony-gate"

# Instructions (callgrind's Ir, every thread) of one run of colony-gate ARGS.
instructions() {
    local out="$work/callgrind.out"
    rm -f "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$gate" "$@" >/dev/null 2>"$work/valgrind.err" || {
        cat "$work/valgrind.err" >&2
        echo "regression-gate: colony-gate $* failed under valgrind" >&2
        exit 1
    }
    awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

# Per-operation instructions of a workload: (Ir(N2) - Ir(N1)) / (N2 - N1).
per_op() {  # name n1 n2 setup-for-n run-for-n
    local name=$1 n1=$2 n2=$3
    local a b
    a=$("$4" "$n1"); b=$("$4" "$n2")
    echo $(( (b - a) / (n2 - n1) ))
}

run_append() { rm -rf "$work/append"; instructions append "$work/append" "$1"; }
run_apply() {
    rm -rf "$work/apply-$1"
    "$gate" prepare "$work/apply-$1" "$1"
    instructions apply "$work/apply-$1"
}
run_get_context() {
    [ -d "$work/read" ] || "$gate" prepare "$work/read" 500
    instructions get_context "$work/read" "$1"
}
run_bulk() {
    [ -d "$work/bulk-base" ] || "$gate" prepare-bulk "$work/bulk-base"
    rm -rf "$work/bulk"
    cp -r "$work/bulk-base" "$work/bulk"
    instructions bulk "$work/bulk" "$1"
}

declare -A measured
measured[append]=$(per_op append 200 600 run_append)
measured[apply]=$(per_op apply 200 600 run_apply)
measured[get_context]=$(per_op get_context 1000 5000 run_get_context)
# Three batches are one cycle of the leaves' folds (see colony-gate's bulkBatch).
measured[bulk]=$(per_op bulk 3 6 run_bulk)

if $update; then
    {
        echo "# Instructions per operation (callgrind Ir, all threads), written by scripts/regression-gate.sh --update."
        echo "# The gate fails when a figure is more than ${tolerance_percent}% above its line here."
        for name in append apply get_context bulk; do echo "$name ${measured[$name]}"; done
    } > "$baselines"
    echo "regression-gate: wrote $baselines:" >&2
    grep -v '^#' "$baselines" >&2
    exit 0
fi

[ -f "$baselines" ] || { echo "regression-gate: no baselines at $baselines (run with --update)" >&2; exit 1; }
status=0
for name in append apply get_context bulk; do
    base=$(awk -v n="$name" '$1 == n { print $2 }' "$baselines")
    now=${measured[$name]}
    if [ -z "$base" ]; then
        echo "regression-gate: FAIL $name: no baseline in $baselines" >&2
        status=1
        continue
    fi
    change=$(awk -v a="$now" -v b="$base" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')
    if awk -v a="$now" -v b="$base" -v t="$tolerance_percent" 'BEGIN { exit !(a > b * (1 + t / 100)) }'; then
        echo "regression-gate: FAIL $name: $now instructions per operation, baseline $base ($change%, limit +$tolerance_percent%)" >&2
        status=1
    else
        echo "regression-gate: ok   $name: $now instructions per operation, baseline $base ($change%)" >&2
    fi
done
exit $status
