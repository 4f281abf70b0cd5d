#!/usr/bin/env bash
# The offline CLI on a store of N events (default 1,000,000), one command after another,
# each timed (wall seconds and max RSS):
#   make-ndjson N → import (--batch-lines 8000) → export → rebuild (all views) → verify →
#   verify --no-views
# and the export is compared with the input (byte-identical round trip).
#
#   Benchmarks/cli/run-cli.sh [N] [WORKDIR]
#
# WORKDIR (default a new directory under /tmp) needs about 1 GB per million events.
# COLONY_BIN overrides the colony binary (default: a release build of this checkout).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
n=${1:-1000000}
work=${2:-$(mktemp -d /tmp/colony-cli-bench-XXXXXX)}
mkdir -p "$work"
if [[ -n "${COLONY_BIN:-}" ]]; then colony=$COLONY_BIN; else
    (cd "$root" && swift build -c release --product colony >&2)
    colony="$root/.build/release/colony"
fi
store="$work/store"
rm -rf "$store" "$work/export.ndjson"
echo "run-cli: $n events in $work; commit $(git -C "$root" rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

timed() {  # label, command…
    local label=$1; shift
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$work/$label.out" 2>"$work/$label.err" || {
        echo "run-cli: $label failed:" >&2; cat "$work/$label.err" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v l="$label" -v a="$t0" -v b="$t1" -v n="$n" -v rss="$(cat "$work/rss")" \
        'BEGIN { s = b - a; printf "%-18s %9.2f s  %12.0f events/s  %7.0f MB max RSS\n", l, s, n / s, rss / 1024 }'
}

[ -f "$work/events.ndjson" ] && [ "$(wc -l <"$work/events.ndjson")" -eq "$n" ] ||
    python3 "$root/scripts/make-ndjson.py" "$n" >"$work/events.ndjson"
timed import "$colony" import --store "$store" --batch-lines 8000 "$work/events.ndjson"
timed export "$colony" export --store "$store" --output "$work/export.ndjson" --quiet
timed rebuild "$colony" rebuild --store "$store" --quiet
timed verify "$colony" verify --store "$store"
timed verify-no-views "$colony" verify --store "$store" --no-views
if cmp -s "$work/events.ndjson" "$work/export.ndjson"; then
    echo "round trip: the export is byte-identical to the imported file"
else
    echo "round trip: the export DIFFERS from the imported file" >&2; exit 1
fi
