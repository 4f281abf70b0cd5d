#!/usr/bin/env bash
# Memory stability under sustained writes: `colony serve --http` on a fresh store takes
# log_event (2026-07-28, durable) at $RATE requests/s, open loop, for $DURATION seconds,
# while this script samples the server's memory every $INTERVAL seconds. After the warm-up
# ($WARMUP seconds) its anonymous memory (RssAnon: heap, stacks) may drift at most
# $MAX_DRIFT_PERCENT% from its first sample after warm-up; the script exits 1 if it drifts
# more (or if requests failed). File-backed RSS (RssFile) is printed beside it but not held
# to the limit: LMDB reads the store through mmap, so the data file's pages the server
# touches count in its RSS and grow with the store; the kernel reclaims them at will.
#
#   Benchmarks/load/soak.sh                      # the test-sized run: 2 minutes at 10,000/s
#   DURATION=3600 Benchmarks/load/soak.sh        # the hour-long soak
#
# Knobs: RATE (10000), DURATION (120), INTERVAL (10), WARMUP (30), CONNECTIONS (64),
# MAX_DRIFT_PERCENT (5), COLONY_BIN (else a release build of this checkout).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench="$root/Benchmarks"
rate=${RATE:-10000}
duration=${DURATION:-120}
interval=${INTERVAL:-10}
warmup=${WARMUP:-30}
connections=${CONNECTIONS:-64}
max_drift=${MAX_DRIFT_PERCENT:-5}
port=${PORT:-3107}
if [[ -n "${COLONY_BIN:-}" ]]; then colony=$COLONY_BIN; else
    (cd "$root" && swift build -c release --product colony >&2)
    colony="$root/.build/release/colony"
fi
(cd "$bench" && swift build -c release --product colony-load --scratch-path .build-load >&2)
load="$bench/.build-load/release/colony-load"

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$colony" serve --store "$tmp/store" --http "127.0.0.1:$port" 2>"$tmp/serve.err" &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.1; done

printf '%s' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"log_event","arguments":{"scope":"soak/agent","text":"a line an agent logs while it works, about this long","kind":"note"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' >"$tmp/log_event.json"

rss_mb() { awk -v f="$1" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$server/status"; }
echo "soak: log_event at $rate/s for $duration s, RSS every $interval s (warm-up $warmup s); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$load" http --label soak_log_event --connections "$connections" --rate "$rate" --duration "$duration" --warmup 1 \
    --url "http://127.0.0.1:$port/mcp" --method POST --body-file "$tmp/log_event.json" \
    --header 'Content-Type: application/json' --header 'Accept: application/json, text/event-stream' \
    --header 'MCP-Protocol-Version: 2026-07-28' >"$tmp/load.json" &
loader=$!
elapsed=0
samples=()
while kill -0 "$loader" 2>/dev/null; do
    sleep "$interval"
    elapsed=$((elapsed + interval))
    kill -0 "$server" 2>/dev/null || { echo "soak: the server died" >&2; cat "$tmp/serve.err" >&2; exit 1; }
    rss=$(rss_mb RssAnon)
    echo "t=${elapsed}s anon=${rss} MB file=$(rss_mb RssFile) MB total=$(rss_mb VmRSS) MB"
    [ "$elapsed" -gt "$warmup" ] && samples+=("$rss")
done
status=0
wait "$loader" || status=$?
cat "$tmp/load.json"
[ ${#samples[@]} -ge 2 ] || { echo "soak: too short for a drift figure (raise DURATION)" >&2; exit 1; }
first=${samples[0]}
last=${samples[-1]}
max=$(printf '%s\n' "${samples[@]}" | sort -g | tail -1)
drift=$(awk -v a="$first" -v m="$max" 'BEGIN { printf "%.1f", (m - a) * 100 / a }')
echo "anonymous memory after warm-up: first ${first} MB, last ${last} MB, max ${max} MB: drift ${drift}% (limit ${max_drift}%)"
if awk -v d="$drift" -v l="$max_drift" 'BEGIN { exit !(d > l) }'; then echo "soak: FAIL: anonymous memory drifted ${drift}%" >&2; exit 1; fi
[ "$status" -eq 0 ] || { echo "soak: FAIL: the load generator reported failed requests (status $status)" >&2; exit 1; }
echo "soak: ok"
