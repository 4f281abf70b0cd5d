#!/usr/bin/env bash
# Server CPU time per HTTP request, for one or more `colony` binaries, alternated.
#
# Throughput on this 2-core machine moves by ±10% from minute to minute (the load
# generator and the server share the cores with whatever else runs), so an A/B of a change
# to the HTTP path is judged by the CPU the server spends per request instead: user +
# system time of the server process from /proc/PID/stat over an open-loop run at a fixed
# rate below saturation (colony-load http), divided by the requests answered. (A saturating
# closed loop such as wrk would make this figure the inverse of throughput, as noisy.) The
# machine has no hardware counters, and valgrind cannot run `colony serve` (it crashes in
# libdispatch's signal thread), so this is the figure, not instructions.
#
#   Benchmarks/mcp/cpu-per-request.sh STORE BIN_A [BIN_B ...]
#
# STORE is a seeded store (colony-load seed --store S --events 1000000 --scopes 10000).
# Each round runs every binary once per endpoint; a line per run:
#   {"bin":"…","endpoint":"mcp_get_context","requests":…,"cpu_s":…,"cpu_us_per_request":…}
# Knobs: ROUNDS (3), DURATION (10 s), RATE (5000 requests/s; `max`: a saturating closed loop
# with wrk -t1 instead, for the cost at saturation), CONNECTIONS (50), ENDPOINTS ("mcp_get_context
# context_get mcp_log_event_refused"), COLONY_BENCH_SCOPE (bench/s0042/agent).
# mcp_log_event_refused sends log_event to a server started with --write-queue 1
# --write-wait 0 and a low-priority event: what a refused write costs under overload.
set -euo pipefail
store=${1:?usage: cpu-per-request.sh STORE BIN [BIN ...]}; shift
(($# > 0)) || { echo "usage: cpu-per-request.sh STORE BIN [BIN ...]" >&2; exit 2; }
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(cd "$root/Benchmarks" && swift build -c release --product colony-load --scratch-path .build-load >&2)
load="$root/Benchmarks/.build-load/release/colony-load"
rounds=${ROUNDS:-3}
duration=${DURATION:-10}
rate=${RATE:-5000}
connections=${CONNECTIONS:-50}
endpoints=${ENDPOINTS:-mcp_get_context context_get mcp_log_event_refused}
scope=${COLONY_BENCH_SCOPE:-bench/s0042/agent}
port=3197
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

meta='"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}'
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_context","arguments":{"scope":"'"$scope"'"},'"$meta"'}}' >"$tmp/get.json"
printf '%s' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"log_event","arguments":{"scope":"'"$scope"'","text":"refused","priority":"low"},'"$meta"'}}' >"$tmp/log.json"
mcp=(--method POST --header 'Content-Type: application/json' --header 'Accept: application/json, text/event-stream'
     --header 'MCP-Protocol-Version: 2026-07-28')
if [[ $rate == max ]]; then
    command -v wrk >/dev/null || { echo "RATE=max needs wrk (apt-get install wrk)" >&2; exit 2; }
    for name in get log; do
        printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Accept"] = "application/json, text/event-stream"\nwrk.headers["MCP-Protocol-Version"] = "2026-07-28"\nwrk.body = [[%s]]\n' \
            "$(cat "$tmp/$name.json")" >"$tmp/$name.lua"
    done
fi

# Drives one endpoint for SECONDS and prints the requests answered.
drive() {  # seconds, url, body name (get, log or none), colony-load args…
    local seconds=$1 url=$2 body=$3; shift 3
    if [[ $rate == max ]]; then
        local script=()
        [[ $body != none ]] && script=(-s "$tmp/$body.lua")
        wrk -t1 -c"$connections" -d"${seconds}s" "${script[@]}" "$url" | awk '/requests in/ {print $1}'
    else
        # Exit status 1 means some requests failed (a refused write is a 200 with a tool error, not a failure).
        "$load" http --connections "$connections" --rate "$rate" --duration "$seconds" --url "$url" "$@" 2>/dev/null |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["completed"])' || true
    fi
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() {  # bin, endpoint
    local bin=$1 endpoint=$2 url body args=() extra=()
    case $endpoint in
        mcp_get_context) url="http://127.0.0.1:$port/mcp"; body=get; args=("${mcp[@]}" --body-file "$tmp/get.json") ;;
        context_get) url="http://127.0.0.1:$port/context/$scope"; body=none ;;
        mcp_log_event_refused) url="http://127.0.0.1:$port/mcp"; body=log; args=("${mcp[@]}" --body-file "$tmp/log.json")
                               extra=(--write-queue 1 --write-wait 0) ;;
        *) echo "unknown endpoint $endpoint" >&2; exit 2 ;;
    esac
    "$bin" serve --store "$store" --http "127.0.0.1:$port" --log-level error "${extra[@]}" 2>/dev/null &
    local pid=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    drive 2 "$url" "$body" "${args[@]}" >/dev/null  # warm-up
    local before after requests hz
    before=$(cpu_ticks $pid)
    requests=$(drive "$duration" "$url" "$body" "${args[@]}")
    after=$(cpu_ticks $pid)
    kill $pid; wait $pid 2>/dev/null || true
    hz=$(getconf CLK_TCK)
    awk -v b="$bin" -v e="$endpoint" -v r="$requests" -v t=$((after - before)) -v hz="$hz" \
        'BEGIN { printf "{\"bin\":\"%s\",\"endpoint\":\"%s\",\"requests\":%d,\"cpu_s\":%.2f,\"cpu_us_per_request\":%.2f}\n", b, e, r, t / hz, t / hz / r * 1e6 }'
}

for round in $(seq "$rounds"); do
    for endpoint in $endpoints; do
        for bin in "$@"; do run_one "$bin" "$endpoint"; done
    done
done
