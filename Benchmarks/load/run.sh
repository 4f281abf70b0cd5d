#!/usr/bin/env bash
# The six load scenarios of docs/PERFORMANCE.md ("Load scenarios"), each against a fresh
# release `colony serve` on one seeded store, and the table of requirement, measured figure
# and verdict at the end (standard output; progress and per-phase details on standard error).
#
#   Benchmarks/load/run.sh                 # the short version of every scenario: about 5 minutes after the build
#   Benchmarks/load/run.sh --full          # 60 s runs on a 1,000,000-event store
#   Benchmarks/load/run.sh --burst         # one scenario (--readers --writes --burst --mixed --stdio --swarm)
#   Benchmarks/load/run.sh --writes --duration 3600 --sample-interval 10   # the hour-long soak, RSS every 10 s
#
# Other arguments go to `colony-load scenarios` (see `colony-load help`). Builds colony and
# colony-load in release mode first (a few minutes the first time). COLONY_BIN uses another colony.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
args=()
short=--short
for a in "$@"; do
    if [[ "$a" == "--full" ]]; then short=""; else args+=("$a"); fi
done
if [[ -n "${COLONY_BIN:-}" ]]; then colony=$COLONY_BIN; else
    (cd "$root" && swift build -c release --product colony >&2)
    colony="$root/.build/release/colony"
fi
(cd "$root/Benchmarks" && swift build -c release --product colony-load --scratch-path .build-load >&2)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec "$root/Benchmarks/.build-load/release/colony-load" scenarios --colony "$colony" $short "${args[@]}"
