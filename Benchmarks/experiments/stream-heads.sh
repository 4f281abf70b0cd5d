#!/usr/bin/env bash
# How much would durable random appends gain if the `streams` table (each stream's head
# version and position, rewritten by every append) were taken off the write path?
#
#   Benchmarks/experiments/stream-heads.sh [ROUNDS] [SECONDS]      # default 3 rounds of 8 s
#
# An upper bound, not a design: skip-stream-heads.patch stops rewriting the head of a stream
# that already exists, so its version in `streams` goes stale and the store it writes is
# wrong (it is a temporary store, deleted at the end). Whatever a real design does (keep the
# heads in memory and persist them every so many batches, with every process catching up from
# the log's tail), it still writes some of those pages, so it gains less than this.
#
# Builds colony-probe twice (the checkout, then the checkout with the patch applied, which is
# reverted at once), fills a store with 200,000 events over 10,000 scopes, and alternates
# `colony-probe concurrent STORE 64 SECONDS` between the two builds on that one store.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-3}
seconds=${2:-8}
patch="$here/skip-stream-heads.patch"
git -C "$root" diff --quiet -- Sources/ColonyStore/Log/EventLog.swift \
    || { echo "Sources/ColonyStore/Log/EventLog.swift has local changes; commit or stash them first" >&2; exit 2; }
work=$(mktemp -d)
applied=0
cleanup() {
    if [[ $applied == 1 ]]; then git -C "$root" apply -R "$patch"; fi
    rm -rf "$work"
}
trap cleanup EXIT

build() { (cd "$root/Benchmarks" && swift build -c release --product colony-probe --scratch-path .build-probe >&2); }
build
cp "$root/Benchmarks/.build-probe/release/colony-probe" "$work/base"
git -C "$root" apply "$patch"
applied=1
build
cp "$root/Benchmarks/.build-probe/release/colony-probe" "$work/skip"
git -C "$root" apply -R "$patch"
applied=0

"$work/base" bulk "$work/store" 1 >/dev/null   # fills 200,000 events first
for ((i = 1; i <= rounds; i++)); do
    printf 'round %d %s\n' "$i" "$(date -u +%H:%M:%S)"
    printf '  heads rewritten (as shipped): '; "$work/base" concurrent "$work/store" 64 "$seconds"
    printf '  heads not rewritten (bound):  '; "$work/skip" concurrent "$work/store" 64 "$seconds"
done
