#!/usr/bin/env bash
# Colony's MCP server (`colony serve`) against a baseline built on the official Python SDK
# (Benchmarks/mcp/python_server.py), both over stdio, measured in one run by colony-load.
#
#   Benchmarks/mcp/run-stdio.sh
#
# Steps: build `colony` and `colony-load` (release), seed a 1,000,000-event store in a
# temporary directory (or reuse $COLONY_BENCH_STORE), then
#   (a) get_context against colony: window 1, window 1 with --spin, window 64 (200,000 calls each)
#   (b) the same against the Python server (5,000 calls each; it is slow), and the ratios
#   (c) log_event against colony, open loop at 10,000 calls/s for 10 s
#   (d) cold start (spawn → first get_context answer), 20 runs against colony, 5 against Python
#
# Knobs (environment):
#   COLONY_BENCH_STORE   an existing seeded store to reuse (kept; (c) appends ~100,000 events to it)
#   COLONY_BENCH_KEEP=1  keep the store this script seeds (its path is printed)
#   COLONY_BENCH_EVENTS, COLONY_BENCH_SCOPES   seed size (1,000,000 over 10,000 leaf scopes)
#   COLONY_BENCH_CALLS, COLONY_BENCH_PY_CALLS  calls per get_context run (200,000 / 5,000)
#   COLONY_BENCH_RATE, COLONY_BENCH_RATE_SECONDS  log_event load (10,000/s for 10 s)
#   COLONY_BIN           a colony binary to use instead of building one (skips the root build)
#   COLONY_SCRATCH       --scratch-path for the root build (default: the usual .build)
#   COLONY_BENCH_OUT     file for the JSON result lines (default: a temporary file, printed)
#
# Window 1 is an agent's client waiting for each answer; window 64 keeps 64 calls in flight.
# At window 1 each call pays two cross-CPU wake-ups through the pipes. On this project's
# 2-vCPU VMs that costs 35-55 µs a call, so even a server that answers at once (a C stub)
# gets only ~19,000-32,000 calls/s there, and colony's window-1 p50 sits at that floor.
# --spin keeps the loader polling instead of sleeping: a lower floor (~7 µs, ~85,000 calls/s
# with the stub) for a server that needs one CPU, but it takes the other CPU from a server
# that uses two (the Python SDK's stdio reader is a thread), so its rows vary more.
# Run it on a quiet machine: the load average before each run is printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench="$root/Benchmarks"
events=${COLONY_BENCH_EVENTS:-1000000}
scopes=${COLONY_BENCH_SCOPES:-10000}
calls=${COLONY_BENCH_CALLS:-200000}
py_calls=${COLONY_BENCH_PY_CALLS:-5000}
rate=${COLONY_BENCH_RATE:-10000}
rate_seconds=${COLONY_BENCH_RATE_SECONDS:-10}
out=${COLONY_BENCH_OUT:-$(mktemp -t colony-mcp-stdio-XXXXXX.jsonl)}
: >"$out"

say() { printf '\n== %s\n' "$*" >&2; }

# --- build (one at a time: 2 cores) ---
if [[ -n "${COLONY_BIN:-}" ]]; then
    colony=$COLONY_BIN
else
    say "building colony (release)"
    scratch=()
    [[ -n "${COLONY_SCRATCH:-}" ]] && scratch=(--scratch-path "$COLONY_SCRATCH")
    (cd "$root" && swift build -c release --product colony "${scratch[@]}" >&2)
    colony="$(cd "$root" && swift build -c release --product colony "${scratch[@]}" --show-bin-path)/colony"
fi
say "building colony-load (release)"
(cd "$bench" && swift build -c release --product colony-load --scratch-path .build-load >&2)
load="$bench/.build-load/release/colony-load"

# --- store ---
if [[ -n "${COLONY_BENCH_STORE:-}" ]]; then
    store=$COLONY_BENCH_STORE
    [[ -f "$store/data.mdb" ]] || { echo "COLONY_BENCH_STORE=$store holds no store" >&2; exit 2; }
    say "reusing the store $store"
else
    tmp=$(mktemp -d -t colony-mcp-store-XXXXXX)
    store="$tmp/store"
    if [[ "${COLONY_BENCH_KEEP:-0}" != 1 ]]; then trap 'rm -rf "$tmp"' EXIT; fi
    say "seeding $events events over $scopes scopes into $store"
    "$load" seed --store "$store" --events "$events" --scopes "$scopes" | tee -a "$out"
fi

# Leaf scopes spread over the store (bench/sNNNN/agent, as `seed` names them); calls cycle through them.
scope_list=$(python3 -c "n=$scopes; print(','.join(f'bench/s{j:04d}/agent' for j in sorted({1, n//7, n//3, n//2, 2*n//3, n-1})))")
colony_cmd=("$colony" serve --store "$store")
# The Python server keeps events in memory: seeded with 20 per leaf, get_context returns
# 20 events as colony's default does. Its cold start runs unseeded (seeding is not start-up).
python_cmd=(python3 "$bench/mcp/python_server.py" --seed $((20 * scopes)) --scopes "$scopes")
python_cold_cmd=(python3 "$bench/mcp/python_server.py")

# Runs one measurement, appending its JSON line to $out; a failed run is reported, not fatal.
run() {
    local label=$1; shift
    say "$label  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    local line status=0
    if [[ $1 == taskset ]]; then line=$("$@") || status=$?; else line=$("$load" "$@") || status=$?; fi
    if [[ -n "$line" ]]; then
        echo "$line"
        echo "$line" >>"$out"
    fi
    if [[ $status -ne 0 ]]; then echo "   ($label: colony-load exited $status)" >&2; fi
    return 0
}

# --- (a) and (b): get_context, side by side ---
for side in colony python; do
    if [[ $side == colony ]]; then n=$calls; cmd=("${colony_cmd[@]}"); else n=$py_calls; cmd=("${python_cmd[@]}"); fi
    run "$side w1"      stdio --label "$side w1"      --calls "$n" --window 1  --scope "$scope_list" -- "${cmd[@]}"
    # Both processes on one CPU: on this project's VMs a pipe round trip between the two
    # vCPUs costs ~60 µs (a C echo stub gets p50 34-55 µs), so w1 unpinned measures the VM.
    run "$side w1-pinned" taskset -c 1 "$load" stdio --label "$side w1-pinned" --calls "$n" --window 1 --scope "$scope_list" -- taskset -c 1 "${cmd[@]}"
    run "$side w1-spin" stdio --label "$side w1-spin" --calls "$n" --window 1  --scope "$scope_list" --spin -- "${cmd[@]}"
    run "$side w64"     stdio --label "$side w64"     --calls "$n" --window 64 --scope "$scope_list" -- "${cmd[@]}"
done

# --- (c): log_event, open loop ---
run "colony log_event ${rate}/s" stdio --label "colony log_event" --tool log_event --rate "$rate" \
    --calls $((rate * rate_seconds)) --scope "$scope_list" -- "${colony_cmd[@]}"

# --- (d): cold start ---
run "colony coldstart" coldstart --label "colony coldstart" --runs 20 --scope "bench/s0001/agent" -- "${colony_cmd[@]}"
run "python coldstart" coldstart --label "python coldstart" --runs 5 --scope "bench/s0001/agent" -- "${python_cold_cmd[@]}"

# --- summary ---
say "summary (JSON lines in $out)"
python3 - "$out" <<'EOF'
import json, sys
rows = {}
for text in open(sys.argv[1]):
    r = json.loads(text)
    if "label" in r:
        rows[r["label"]] = r
print(f"{'run':<22}{'calls':>9}{'calls/s':>11}{'p50 µs':>10}{'p99 µs':>10}{'p99.9 µs':>10}{'max µs':>10}{'errors':>8}")
for label, r in rows.items():
    if "calls_per_s" in r:
        print(f"{label:<22}{r['calls']:>9}{r['calls_per_s']:>11}{r['p50_us']:>10}{r['p99_us']:>10}{r['p999_us']:>10}{r['max_us']:>10}{r['errors']:>8}")
for label, r in rows.items():
    if "runs" in r:
        print(f"{label:<22} {r['runs']} runs: p50 {r['p50_ms']} ms, min {r['min_ms']} ms, max {r['max_ms']} ms, errors {r['errors']}")
print()
for w in ("w1", "w1-pinned", "w1-spin", "w64"):
    c, p = rows.get(f"colony {w}"), rows.get(f"python {w}")
    if c and p and p["calls_per_s"] and c["p50_us"]:
        print(f"{w:<8} colony/python calls/s: {c['calls_per_s'] / p['calls_per_s']:6.1f}x   "
              f"python/colony p50: {p['p50_us'] / c['p50_us']:6.1f}x   (target: 15x)")
    else:
        print(f"{w:<8} no ratio: a run is missing or failed")
EOF
