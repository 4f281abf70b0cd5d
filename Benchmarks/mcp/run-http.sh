#!/usr/bin/env bash
# Colony's HTTP endpoints under 1,000 concurrent connections, beside a hello-world
# Hummingbird server in the same run (the ratio is the figure that matters on a shared,
# noisy 2-core machine). Needs wrk (apt-get install wrk).
#
#   Benchmarks/mcp/run-http.sh
#
# Closed loop (wrk), each for $DURATION seconds with $CONNECTIONS connections:
#   (a) hello-world Hummingbird: GET /
#   (b) colony: GET /context/{scope}
#   (c) colony: POST /mcp tools/call get_context (2026-07-28, stateless: no session)
#   (d) hello-world again (drift check)
# wrk measures throughput: each connection sends again as soon as it is answered, so
# 1,000 connections saturate the CPUs and its latencies are queueing (Little's law).
#
# Open loop (colony-load http, like wrk2), for each rate in $RATES requests/s, the same
# three endpoints one after the other, each for $OPEN_DURATION seconds (after a 1 s warm-up)
# with $CONNECTIONS connections kept open: requests go out on a fixed schedule, one in flight
# per connection, and each is timed from its scheduled send, so these latencies are what a
# client sees at that offered load (a rate above capacity shows as achieved_per_s < rate and
# latencies that grow with the queue). The load generator runs on the same 2 cores: one
# thread, about a third of a core at 20,000 requests/s.
#
# Knobs: COLONY_BENCH_STORE (a seeded store, else a new one with 1,000,000 events is seeded
# by colony-load), COLONY_BENCH_SCOPE (bench/s0042/agent), CONNECTIONS (1000),
# DURATION (15), THREADS (2), RATES ("5000 10000 15000 20000 25000"), OPEN_DURATION (10), COLONY_BIN.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench="$root/Benchmarks"
connections=${CONNECTIONS:-1000}
duration=${DURATION:-15}
threads=${THREADS:-2}
rates=${RATES:-5000 10000 15000 20000 25000}
open_duration=${OPEN_DURATION:-10}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
ulimit -n 65536 2>/dev/null || true

if [[ -n "${COLONY_BIN:-}" ]]; then colony=$COLONY_BIN; else
    (cd "$root" && swift build -c release --product colony >&2)
    colony="$root/.build/release/colony"
fi
(cd "$bench" && swift build -c release --product colony-load --scratch-path .build-load >&2 && swift build -c release --product hello-hummingbird --scratch-path .build-load >&2)
load="$bench/.build-load/release/colony-load"
hello="$bench/.build-load/release/hello-hummingbird"

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [[ -n "${COLONY_BENCH_STORE:-}" ]]; then store=$COLONY_BENCH_STORE; else
    store="$tmp/store"
    "$load" seed --store "$store" --events 1000000 --scopes 10000 >&2
fi
scope=${COLONY_BENCH_SCOPE:-bench/s0042/agent}

"$hello" 3100 2>/dev/null &
"$colony" serve --store "$store" --http 127.0.0.1:3101 2>/dev/null &
sleep 2

printf '%s' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_context","arguments":{"scope":"'"$scope"'"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' >"$tmp/mcp.json"
cat >"$tmp/mcp.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2026-07-28"
wrk.body = '$(cat "$tmp/mcp.json")'
LUA

run() {  # name, wrk args…
    local name=$1; shift
    echo "== $name" >&2
    wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$@" | tee "$tmp/$name.txt" >&2
    local rps p99 errors
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/$name.txt")
    p99=$(awk '$1=="99%" {print $2}' "$tmp/$name.txt")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' "$tmp/$name.txt" | tr '\n' ' ')
    printf '{"name":"%s","connections":%s,"requests_per_s":%s,"p99":"%s","errors":"%s"}\n' "$name" "$connections" "$rps" "$p99" "$errors"
}
run hello_get http://127.0.0.1:3100/
run colony_get_context "http://127.0.0.1:3101/context/$scope"
run colony_mcp_get_context -s "$tmp/mcp.lua" http://127.0.0.1:3101/mcp
run hello_get_again http://127.0.0.1:3100/

open_loop() {  # name, rate, colony-load http args…
    local name=$1 rate=$2; shift 2
    echo "== $name at $rate/s (open loop; load average $(cut -d" " -f1-3 /proc/loadavg))" >&2
    # Exit status 1 means some requests failed: the line says how many; carry on.
    "$load" http --label "$name" --connections "$connections" --rate "$rate" --duration "$open_duration" "$@" ||
        echo "(colony-load exited with status $?)" >&2
}
for rate in $rates; do
    open_loop hello_get "$rate" --url http://127.0.0.1:3100/
    open_loop colony_get_context "$rate" --url "http://127.0.0.1:3101/context/$scope"
    open_loop colony_mcp_get_context "$rate" --url http://127.0.0.1:3101/mcp --method POST --body-file "$tmp/mcp.json" \
        --header 'Content-Type: application/json' --header 'Accept: application/json, text/event-stream' \
        --header 'MCP-Protocol-Version: 2026-07-28'
done
