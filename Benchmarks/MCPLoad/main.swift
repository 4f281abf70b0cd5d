// colony-mcp-load: a load generator for MCP servers over stdio (JSON-RPC lines), and an
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
      colony-mcp-load seed --store PATH --events N --scopes S
      colony-mcp-load stdio --calls N [--window W] [--tool get_context|log_event] [--scope S[,S…]]
                            [--rate R] [--warmup N] [--protocol V] [--timeout SECONDS] [--label L]
                            [--spin] -- COMMAND ARGS…
      colony-mcp-load coldstart --runs K [--scope S] [--protocol V] [--timeout SECONDS] [--label L]
                                -- COMMAND ARGS…
      colony-mcp-load http --url http://HOST:PORT/PATH --connections C --rate R --duration SECONDS
                           [--method GET|POST] [--body-file F] [--header 'Name: value']…
                           [--warmup SECONDS] [--timeout SECONDS] [--label L]

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
        guard let file = fopen(path, "rb") else { fail("cannot read \(path): \(String(cString: strerror(errno)))") }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while case let n = fread(&chunk, 1, chunk.count, file), n > 0 { body += chunk[..<n] }
        fclose(file)
    }
    // 1,000 connections need more descriptors than the usual soft limit of 1,024.
    var limit = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }

    let load = HTTPLoad(url: args.string("url"), connections: connections, rate: rate, method: method,
                        headers: args.lists["header"] ?? [], body: body)
    let r = load.run(seconds: seconds, warmupSeconds: warmup, drainSeconds: args.double("timeout") ?? 10)

    let latency = LatencySummary(nanos: r.latenciesNanos)
    var line = JSONLine()
    if let label = args.options["label"] { line.add("label", label) }
    line.add("connections", connections)
    line.add("rate", rate, decimals: 0)
    line.add("seconds", r.seconds, decimals: 3)
    line.add("completed", r.latenciesNanos.count)
    line.add("achieved_per_s", Double(r.latenciesNanos.count) / r.seconds, decimals: 0)
    line.add("p50_us", latency.p50)
    line.add("p90_us", latency.p90)
    line.add("p99_us", latency.p99)
    line.add("p999_us", latency.p999)
    line.add("max_us", latency.max)
    line.add("errors", r.errors)
    line.print()
    exit(r.errors == 0 ? 0 : 1)
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
case "-h", "--help", "help":
    print(usage)
default:
    fail("expected a subcommand\n\(usage)")
}
