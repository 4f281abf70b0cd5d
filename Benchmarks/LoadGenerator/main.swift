// colony-load: a load generator for MCP servers over stdio (JSON-RPC lines), and an
// open-loop HTTP/1.1 load generator (`http`, see HTTPLoad.swift).
//
// The hot loop uses raw read(2)/write(2) on non-blocking pipes, pre-encoded request
// pieces and a byte scan for the response id, so the loader costs the shared CPU as
// little as possible; on a 2-core machine it runs beside the server it measures.
// Linux only (pipe2, ppoll, F_SETPIPE_SZ: see MCPLoadShim; epoll). See Benchmarks/mcp/run-stdio.sh
// and run-http.sh.
import Glibc
import MCPLoadShim

let usage = """
    usage:
      colony-load seed --store PATH --events N --scopes S
      colony-load stdio --calls N [--window W] [--tool get_context|log_event] [--scope S[,S…]]
                            [--rate R] [--warmup N] [--protocol V] [--timeout SECONDS] [--label L]
                            [--spin] -- COMMAND ARGS…
      colony-load coldstart --runs K [--scope S] [--protocol V] [--timeout SECONDS] [--label L]
                                -- COMMAND ARGS…
      colony-load http --url http://HOST:PORT/PATH --connections C --rate R --duration SECONDS
                           [--method GET|POST] [--body-file F] [--header 'Name: value']…
                           [--warmup SECONDS] [--timeout SECONDS] [--label L]

      colony-load scenarios --colony PATH [--readers] [--writes] [--burst] [--mixed] [--stdio] [--swarm] [--all]
                            [--short] [--duration SECONDS] [--store PATH] [--events N] [--durability MODE]
                            [--sample-interval SECONDS] [--port P] [--strict] [--keep]

    scenarios  the load scenarios of docs/PERFORMANCE.md, each against a fresh `colony serve` (PATH, a
               release build) on one store (seeded with --events over 10,000 scopes unless --store):
                 --readers  1,000 concurrent get_context clients over HTTP, 5,000/s open loop
                 --writes   10,000 log_event/s sustained over HTTP (60 s; --duration 3600 for the soak,
                            with --sample-interval 10 to print RSS every 10 s), spread over 10,000
                            scopes (--write-scopes N: fewer), over 128 keep-alive connections
                            (--write-connections N: another number; one request in flight on each)
                 --burst    steady writes (1,500/s; --burst-write-rate N), then 10x for 10 s, then steady
                            again; reads throughout. Missed if nothing was refused: the burst must
                            exceed the server's capacity to show how it degrades
                 --mixed    90% get_context, 10% log_event over 10,000 scopes
                 --stdio    one stdio server: get_context sequential and pipelined, log_event sequential
                 --swarm    50 agents creating, assigning and completing tasks, closed loop
               No flag (or --all) runs them all; --short runs each for 10-30 s (the whole set in about
               5 minutes). Prints a Markdown table of requirement, measured figure and verdict, with
               details; --strict exits 1 if a requirement was missed. The server's RSS and CPU are
               sampled every second.
    seed       creates a Colony store of N events over S leaf scopes bench/s0000/agent …
    stdio      initialize, a warm-up (default 1,000 calls), then N tools/call with W in flight
               (closed loop), or with --rate R sent on schedule (open loop; latency from the
               scheduled time). Prints one JSON line; exits 1 if any call failed.
               --spin busy-polls for answers instead of sleeping (costs a whole CPU).
    coldstart  K times: spawn, write initialize + initialized + get_context at once, time
               spawn → get_context answer.
    http       open loop over HTTP/1.1, like wrk2: opens C keep-alive connections, then sends R
               requests a second on an even schedule, one in flight per connection (a request
               due while all C are busy waits for one); latency runs from the scheduled time.
               --warmup (default 1 s) runs at the same rate unmeasured; after the schedule ends,
               answers are awaited for --timeout (default 10 s). Non-2xx answers, requests lost
               with a connection and unanswered ones are errors. Prints one JSON line; exits 1
               if any request failed.
    """

/// `--name value` options and `--flag`s before `--`, and the command after it.
struct Arguments {
    var options: [String: String] = [:]
    /// Every value of each option, in order (for those that may repeat, like --header).
    var lists: [String: [String]] = [:]
    var flags: Set<String> = []
    var command: [String] = []

    init(_ args: ArraySlice<String>, allowed: Set<String>, allowedFlags: Set<String> = []) {
        var rest = args[...]
        while let arg = rest.popFirst() {
            if arg == "--" { command = Array(rest); break }
            let name = String(arg.dropFirst(2))
            if arg.hasPrefix("--") && allowedFlags.contains(name) { flags.insert(name); continue }
            guard arg.hasPrefix("--"), allowed.contains(name) else { fail("unknown argument \(arg)\n\(usage)") }
            guard let value = rest.popFirst() else { fail("\(arg) needs a value") }
            options[name] = value
            lists[name, default: []].append(value)
        }
    }

    func string(_ name: String, default value: String? = nil) -> String {
        guard let v = options[name] ?? value else { fail("--\(name) is required\n\(usage)") }
        return v
    }

    func int(_ name: String, default value: Int? = nil) -> Int {
        guard let text = options[name] else {
            guard let value else { fail("--\(name) is required\n\(usage)") }
            return value
        }
        // Accept 1_000_000 and 1,000,000 as well as 1000000.
        guard let v = Int(text.filter { $0 != "_" && $0 != "," }), v >= 0 else { fail("--\(name) takes a whole number") }
        return v
    }

    func double(_ name: String) -> Double? {
        guard let text = options[name] else { return nil }
        guard let v = Double(text), v > 0 else { fail("--\(name) takes a positive number") }
        return v
    }
}

func stdio(_ args: Arguments) {
    let calls = args.int("calls")
    let window = max(1, args.int("window", default: 1))
    let tool = args.string("tool", default: "get_context")
    let scopes = args.string("scope", default: Seed.scope(1)).split(separator: ",").map(String.init)
    let rate = args.double("rate")
    let warmup = args.int("warmup", default: 1_000)
    guard !args.command.isEmpty else { fail("no server command after --\n\(usage)") }
    guard !scopes.isEmpty else { fail("--scope is empty") }
    let call: Requests.ToolCall
    switch tool {
    case "get_context": call = .getContext(scopes: scopes)
    case "log_event": call = .logEvent(scopes: scopes)
    default: fail("--tool is get_context or log_event")
    }

    let session = Session(command: args.command, stallTimeoutSeconds: args.double("timeout") ?? 30)
    session.channel.spin = args.flags.contains("spin")
    let answer = session.initialize(protocolVersion: args.string("protocol", default: Requests.protocolVersionDefault))
    note("initialize → \(answer.prefix(300))")
    if warmup > 0 {
        let w = session.run(call, count: warmup, window: window, rate: nil)
        if w.errors > 0 { note("warm-up: \(w.errors) of \(warmup) calls failed") }
    }
    let r = session.run(call, count: calls, window: window, rate: rate)
    let status = session.close()

    let latency = LatencySummary(nanos: r.latenciesNanos)
    var line = JSONLine()
    if let label = args.options["label"] { line.add("label", label) }
    line.add("tool", tool)
    line.add("calls", calls)
    line.add("window", window)
    if let rate { line.add("rate", rate, decimals: 0) }
    if session.channel.spin { line.add("spin", 1) }
    line.add("seconds", r.seconds, decimals: 3)
    line.add("calls_per_s", Double(calls) / r.seconds, decimals: 0)
    line.add("p50_us", latency.p50)
    line.add("p90_us", latency.p90)
    line.add("p99_us", latency.p99)
    line.add("p999_us", latency.p999)
    line.add("max_us", latency.max)
    line.add("errors", r.errors)
    line.print()
    if status != 0 { note("the server exited with wait status \(status)") }
    exit(r.errors == 0 ? 0 : 1)
}

func http(_ args: Arguments) {
    let connections = args.int("connections")
    guard connections > 0 else { fail("--connections must be at least 1") }
    guard let rate = args.double("rate") else { fail("--rate is required\n\(usage)") }
    guard let seconds = args.double("duration") else { fail("--duration is required\n\(usage)") }
    guard let warmup = Double(args.options["warmup"] ?? "1"), warmup >= 0 else { fail("--warmup takes a number of seconds") }
    let method = args.string("method", default: "GET")
    var body: [UInt8] = []
    if let path = args.options["body-file"] {
        guard let text = ResourceSampler.readFile(path) else { fail("cannot read \(path): \(String(cString: strerror(errno)))") }
        body = Array(text.utf8)
    }
    let url = args.string("url")
    guard url.hasPrefix("http://") else { fail("--url must start with http:// (no TLS)") }
    let rest = url.dropFirst("http://".count)
    let authority = rest.prefix { $0 != "/" }
    let path = rest.dropFirst(authority.count)
    let host = String(authority.prefix { $0 != ":" })
    guard let port = authority.contains(":") ? Int(authority.drop { $0 != ":" }.dropFirst()) : 80 else { fail("bad port in \(url)") }
    let request = HTTPHead.request(method: method, path: path.isEmpty ? "/" : String(path), host: String(authority),
                                   headers: args.lists["header"] ?? [], body: body)
    var phases = [Phase(name: "run", seconds: seconds, rate: rate)]
    if warmup > 0 { phases.insert(Phase(name: "warm-up", seconds: warmup, rate: rate, measured: false), at: 0) }
    let pool = TrafficPool(name: "http", connections: connections, pacing: .open, phases: phases, source: FixedRequestSource(bytes: request))
    let t = HTTPTraffic(host: host, port: port, pools: [pool]).run(drainSeconds: args.double("timeout") ?? 10, progress: false)[0].tally()

    var line = JSONLine()
    if let label = args.options["label"] { line.add("label", label) }
    line.add("connections", connections)
    line.add("rate", rate, decimals: 0)
    line.add("seconds", seconds, decimals: 3)
    line.add("completed", Int(t.latency.totalCount))
    line.add("achieved_per_s", Double(t.ok) / seconds, decimals: 0)
    line.add("p50_us", t.percentile(50))
    line.add("p90_us", t.percentile(90))
    line.add("p99_us", t.percentile(99))
    line.add("p999_us", t.percentile(99.9))
    line.add("max_us", Double(t.latency.max))
    line.add("errors", t.failed)
    for (kind, n) in t.errors.sorted(by: { $0.key < $1.key }) { line.add("errors_" + kind, n) }
    line.print()
    exit(t.failed == 0 ? 0 : 1)
}

func coldstart(_ args: Arguments) {
    let runs = max(1, args.int("runs"))
    guard !args.command.isEmpty else { fail("no server command after --\n\(usage)") }
    var cold = ColdStart()
    for _ in 0..<runs {
        cold.measure(command: args.command, scope: args.string("scope", default: Seed.scope(1)),
                     protocolVersion: args.string("protocol", default: Requests.protocolVersionDefault),
                     stallTimeoutSeconds: args.double("timeout") ?? 30)
    }
    func ms(_ nanos: [UInt64]) -> (p50: Double, min: Double, max: Double) {
        let sorted = nanos.sorted()
        return (Double(sorted[(sorted.count - 1) / 2]) / 1e6, Double(sorted.first!) / 1e6, Double(sorted.last!) / 1e6)
    }
    let call = ms(cold.firstCallNanos), initialize = ms(cold.initializeNanos)
    var line = JSONLine()
    if let label = args.options["label"] { line.add("label", label) }
    line.add("runs", runs)
    line.add("p50_ms", call.p50, decimals: 2)
    line.add("min_ms", call.min, decimals: 2)
    line.add("max_ms", call.max, decimals: 2)
    line.add("initialize_p50_ms", initialize.p50, decimals: 2)
    line.add("errors", cold.errors)
    line.print()
    exit(cold.errors == 0 ? 0 : 1)
}

// A server that dies mid-run must not kill the loader with SIGPIPE: write(2) returns EPIPE instead.
signal(SIGPIPE, SIG_IGN)
mcp_load_tight_timers()

let argv = CommandLine.arguments
switch argv.count > 1 ? argv[1] : "" {
case "seed":
    let args = Arguments(argv.dropFirst(2), allowed: ["store", "events", "scopes"])
    do {
        try await Seed.run(path: args.string("store"), events: args.int("events"), scopes: max(1, args.int("scopes", default: 1_000)))
    } catch {
        fail("seed: \(error)")
    }
case "stdio":
    stdio(Arguments(argv.dropFirst(2), allowed: ["calls", "window", "tool", "scope", "rate", "warmup", "protocol", "timeout", "label"],
                    allowedFlags: ["spin"]))
case "coldstart":
    coldstart(Arguments(argv.dropFirst(2), allowed: ["runs", "scope", "protocol", "timeout", "label"]))
case "http":
    http(Arguments(argv.dropFirst(2), allowed: ["url", "connections", "rate", "duration", "method", "body-file", "header",
                                                "warmup", "timeout", "label"]))
case "scenarios":
    await ScenariosCommand.run(Arguments(argv.dropFirst(2), allowed: ["colony", "store", "duration", "port", "durability", "events", "sample-interval", "write-scopes", "write-connections", "burst-write-rate"],
                                         allowedFlags: ["readers", "writes", "burst", "mixed", "stdio", "swarm", "all", "short", "strict", "keep"]))
case "-h", "--help", "help":
    print(usage)
default:
    fail("expected a subcommand\n\(usage)")
}
