#!/usr/bin/env bash
# Which pages of data.mdb one batch rewrites, per database: a census of the store's pages
# (census.c) before and after importing one batch of N events (default 1,000) into a store
# of M events (default 200,000) of the benchmarks' workload (scripts/make-ndjson.py), then
# the difference (compare.py). Copy-on-write B-trees write whole 4 KB pages, so the pages a
# batch dirties, not the bytes it changes, are what a durable commit costs.
#
#   Benchmarks/pages/run.sh [M] [N] [WORKDIR]
#
# COLONY_BIN overrides the colony binary (default: a release build of this checkout), e.g. to
# count what an older store format wrote. Needs gcc and liblmdb-dev (README's set-up).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
m=${1:-200000}
n=${2:-1000}
work=${3:-$(mktemp -d /tmp/colony-pages-XXXXXX)}
mkdir -p "$work"
if [[ -n "${COLONY_BIN:-}" ]]; then colony=$COLONY_BIN; else
    (cd "$root" && swift build -c release --product colony >&2)
    colony="$root/.build/release/colony"
fi
gcc -O2 -o "$work/census" "$root/Benchmarks/pages/census.c" -llmdb
python3 "$root/scripts/make-ndjson.py" $((m + n)) > "$work/all.ndjson"
head -n "$m" "$work/all.ndjson" > "$work/prefill.ndjson"
tail -n "$n" "$work/all.ndjson" > "$work/batch.ndjson"
rm -rf "$work/store"
"$colony" import --store "$work/store" --batch-lines 1000 "$work/prefill.ndjson" >&2
"$work/census" "$work/store" "$work/before.txt"
"$colony" import --store "$work/store" --batch-lines "$n" "$work/batch.ndjson" >&2
"$work/census" "$work/store" "$work/after.txt"
echo "pages one $n-event batch rewrote in a store of $m events ($("$colony" --version)):"
python3 "$root/Benchmarks/pages/compare.py" "$work/before.txt" "$work/after.txt"
