import ColonyStore
import Glibc
import MCPLoadShim

/// `colony-load scenarios`: the six load scenarios of docs/PERFORMANCE.md against real
/// `colony serve` processes on one seeded store, each a named flag, and one table of
/// requirement, measured figure and verdict at the end.
struct Scenarios {
    struct Settings {
        var colony = ""
        var store = ""
        var short = false
        /// Overrides the length of every scenario's measured run (the soak: --writes --duration 3600).
        var duration: Double?
        var port = 3190
        var durability = "durable"
        var seedEvents = 0
        var logDirectory = ""
        /// Scopes the --writes scenario spreads its events over (the first N of the store's).
        var writeScopes = 10_000
        /// Keep-alive connections the --writes scenario sends over (one request in flight on each).
        var writeConnections = 128
        /// Writes per second of the burst scenario before and after its burst (a fifth low priority); the burst is 10x.
        var burstWriteRate = 1_500.0
        /// Seconds between resource samples, and whether each is printed (the soak's RSS lines).
        var sampleInterval: Double?
    }

    /// One line of the final table.
    struct Row {
        var number: Int
        var scenario: String
        var requirement: String
        var measured: String
        var checks: [(name: String, met: Bool)]
        /// Per-kind and per-phase figures printed under the table.
        var details: [String]
        var verdict: String { checks.allSatisfy(\.met) ? "met" : "missed: " + checks.filter { !$0.met }.map(\.name).joined(separator: ", ") }
    }

    static let scopes = 10_000
    let settings: Settings
    private var nextPort: Int

    init(settings: Settings) {
        self.settings = settings
        nextPort = settings.port
    }

    // MARK: Running a scenario against a fresh server

    struct HTTPRun {
        var pools: [PoolResult]
        var resources: ResourceSummary
        var samples: [ResourceSampler.Sample]
        var serverStatus: Int32
    }

    /// Starts `colony serve --http` on the store, samples it while `pools` run, stops it.
    private mutating func runHTTP(_ name: String, pools: (String) -> [TrafficPool], serverArguments: [String] = [],
                                  warmupSeconds: Double) -> HTTPRun {
        let port = nextPort
        nextPort += 1
        let server = ServerProcess(colony: settings.colony, store: settings.store, port: port,
                                   extraArguments: ["--durability", settings.durability, "--log-level", "warning"] + serverArguments,
                                   logPath: "\(settings.logDirectory)/\(name).log")
        let interval = settings.sampleInterval ?? 1
        let sampler = ResourceSampler(pid: server.pid, intervalSeconds: interval, printing: settings.sampleInterval != nil)
        sampler.start()
        let traffic = HTTPTraffic(host: "127.0.0.1", port: port, pools: pools("127.0.0.1:\(port)"))
        let results = traffic.run(drainSeconds: 10)
        let samples = sampler.stop()
        let status = server.stop()
        if status != 0 { note("\(name): colony serve exited with wait status \(status); its log: \(settings.logDirectory)/\(name).log") }
        return HTTPRun(pools: results, resources: ResourceSummary(samples, warmupSeconds: warmupSeconds), samples: samples,
                       serverStatus: status)
    }

    private func seconds(short: Double, full: Double) -> Double { settings.duration ?? (settings.short ? short : full) }

    /// Scope `j mod 10,000` of the seeded store, chosen by a hash of the request index.
    static func scope(for index: Int, salt: UInt64, among count: Int = scopes) -> String {
        Seed.scope(Int(mix(UInt64(index) ^ salt) % UInt64(count)))
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func getContext(_ index: Int, salt: UInt64) -> String { "{\"scope\":\(jsonString(scope(for: index, salt: salt)))}" }

    static func logEvent(_ index: Int, salt: UInt64, among count: Int = scopes, extra: String = "") -> String {
        "{\"scope\":\(jsonString(scope(for: index, salt: salt, among: count))),\"text\":\"load event \(index): the agent ran the tests and logged what it saw\"\(extra)}"
    }

    // MARK: 1. 1,000 concurrent get_context clients over HTTP

    mutating func readers() -> Row {
        let rate = 5_000.0, clients = 1_000, warmup = 3.0
        let run = seconds(short: 20, full: 60)
        let r = runHTTP("readers", pools: { host in
            [TrafficPool(name: "readers", connections: clients, pacing: .open,
                         phases: [Phase(name: "warm-up", seconds: warmup, rate: rate, measured: false), Phase(name: "run", seconds: run, rate: rate)],
                         source: ToolCallSource(host: host, kinds: ["get_context"]) { (0, "get_context", Self.getContext($0, salt: 1)) })]
        }, warmupSeconds: warmup)
        let t = r.pools[0].tally()
        let achieved = Double(t.ok) / run
        return Row(number: 1, scenario: "1,000 concurrent get_context clients, HTTP, \(Int(rate))/s open loop, \(Int(run)) s",
                   requirement: "get_context p95 < 25 ms; 1,000 concurrent; errors < 0.1%; memory < 512 MB (anonymous)",
                   measured: "p95 \(ms(t.percentile(95))), p99 \(ms(t.percentile(99))); \(Int(achieved))/s; errors \(errorRate(t)); RSS \(mb(r.resources.maxRSSMB)) (anonymous \(mb(r.resources.maxAnonMB)))",
                   checks: [("p95", t.percentile(95) < 25_000), ("errors", errorFraction(t) < 0.001), ("memory", r.resources.sampled && r.resources.maxAnonMB < 512),
                            ("throughput", achieved >= rate * 0.99)],
                   details: details("readers", r))
    }

    // MARK: 2. 10,000 log_event/s sustained

    mutating func writes() -> Row {
        let rate = 10_000.0, warmup = 3.0
        let run = seconds(short: 30, full: 60), writeScopes = settings.writeScopes, connections = settings.writeConnections
        let r = runHTTP("writes", pools: { host in
            [TrafficPool(name: "writers", connections: connections, pacing: .open,
                         phases: [Phase(name: "warm-up", seconds: warmup, rate: rate, measured: false), Phase(name: "run", seconds: run, rate: rate)],
                         source: ToolCallSource(host: host, kinds: ["log_event"]) { (0, "log_event", Self.logEvent($0, salt: 2, among: writeScopes)) })]
        }, warmupSeconds: min(30, run / 3))
        let t = r.pools[0].tally()
        let achieved = Double(t.ok) / run
        var checks: [(String, Bool)] = [("p95", t.percentile(95) < 10_000), ("errors", errorFraction(t) < 0.001), ("memory", r.resources.sampled && r.resources.maxAnonMB < 512),
                                        ("10,000/s", achieved >= rate * 0.99)]
        var drift = ""
        if let d = r.resources.anonDriftPercent {
            drift = "; anonymous memory drift \(format(d, decimals: 1))% after \(Int(min(30, run / 3))) s"
            checks.append(("drift ≤ 5%", d <= 5))
        }
        return Row(number: 2, scenario: "log_event sustained over \(settings.writeScopes) scopes, HTTP (\(settings.writeConnections) connections), \(Int(rate))/s open loop, \(settings.durability), \(Int(run)) s",
                   requirement: "10,000 events/s; log_event < 10 ms (read as p95); errors < 0.1%; memory < 512 MB (anonymous)",
                   measured: "\(Int(achieved))/s; p95 \(ms(t.percentile(95))), p99 \(ms(t.percentile(99))); errors \(errorRate(t)); RSS \(mb(r.resources.maxRSSMB)) (anonymous \(mb(r.resources.maxAnonMB)))\(drift)",
                   checks: checks, details: details("writes", r))
    }

    // MARK: 3. a burst of 10x for 10 s in a steady run

    mutating func burst() -> Row {
        let readRate = 500.0, normalRate = settings.burstWriteRate * 0.8, lowRate = settings.burstWriteRate * 0.2, factor = 10.0, warmup = 2.0
        let before = settings.short ? 10.0 : 20.0, during = 10.0, after = settings.short ? 15.0 : 30.0
        func phases(_ rate: Double, burst: Bool) -> [Phase] {
            [Phase(name: "warm-up", seconds: warmup, rate: rate, measured: false), Phase(name: "before", seconds: before, rate: rate),
             Phase(name: "burst", seconds: during, rate: burst ? rate * factor : rate), Phase(name: "recovery", seconds: 5, rate: rate),
             Phase(name: "after", seconds: after - 5, rate: rate)]
        }
        let tag = Self.mix(UInt64(monotonicNanos()))
        // Every write carries its own event id, so what was acknowledged can be looked for in the log afterwards.
        let normalCount = Int(warmup * normalRate + (before + after) * normalRate + during * normalRate * factor)
        let lowCount = Int(warmup * lowRate + (before + after) * lowRate + during * lowRate * factor)
        let acknowledged = Acknowledged(counts: [normalCount + 16, lowCount + 16])
        func eventID(_ pool: UInt64, _ index: Int) -> String { EventID(high: tag, low: pool << 32 | UInt64(index)).description }
        let queue = 256, wait = 0
        let headBefore = (try? Self.head(of: settings.store)) ?? 0
        let r = runHTTP("burst", pools: { host in
            [TrafficPool(name: "readers", connections: 100, pacing: .open, phases: phases(readRate, burst: false),
                         source: ToolCallSource(host: host, kinds: ["get_context"]) { (0, "get_context", Self.getContext($0, salt: 3)) }),
             TrafficPool(name: "writers (normal priority)", connections: 1_200, pacing: .open, phases: phases(normalRate, burst: true),
                         source: ToolCallSource(host: host, kinds: ["log_event"], plan: {
                             (0, "log_event", Self.logEvent($0, salt: 4, extra: ",\"event_id\":\"\(eventID(0, $0))\""))
                         }, onSuccess: { acknowledged.add(0, $0) })),
             TrafficPool(name: "writers (low priority)", connections: 300, pacing: .open, phases: phases(lowRate, burst: true),
                         source: ToolCallSource(host: host, kinds: ["log_event (low)"], plan: {
                             (0, "log_event", Self.logEvent($0, salt: 5, extra: ",\"priority\":\"low\",\"event_id\":\"\(eventID(1, $0))\""))
                         }, onSuccess: { acknowledged.add(1, $0) }))]
        }, serverArguments: ["--write-queue", String(queue), "--write-wait", String(wait)], warmupSeconds: warmup)

        // Nothing acknowledged is lost: every acknowledged id is in the log, once.
        var found: [EventID: Int] = [:]
        do {
            try Self.forEachEvent(in: settings.store, after: headBefore) { found[$0.id, default: 0] += 1 }
        } catch {
            fail("burst: cannot read the store back: \(error)")
        }
        var missing = 0, duplicated = 0, acknowledgedCount = 0
        for pool in 0..<2 {
            for index in acknowledged.indices(pool) {
                acknowledgedCount += 1
                let id = EventID(high: tag, low: UInt64(pool) << 32 | UInt64(index))
                switch found[id] ?? 0 {
                case 0: missing += 1
                case 1: break
                default: duplicated += 1
                }
            }
        }

        let reads = r.pools[0], normal = r.pools[1], low = r.pools[2]
        let readsBurst = reads.tally(phases: ["burst"]), readsAll = reads.tally()
        let normalBurst = normal.tally(phases: ["burst"]), lowBurst = low.tally(phases: ["burst"])
        func writes(_ phase: String) -> Tally { var t = normal.tally(phases: [phase]); t.add(low.tally(phases: [phase])); return t }
        let writesBefore = writes("before"), writesAfter = writes("after")
        let recovered = writesAfter.percentile(95) <= 2 * writesBefore.percentile(95) + 1_000
        let stuck = ["timeout", "connection_lost", "not_sent"].reduce(0) { $0 + (normal.tally().errors[$1] ?? 0) + (low.tally().errors[$1] ?? 0) }
        let normalRefused = Double(normalBurst.failed) / Double(max(1, normalBurst.count))
        let lowRefused = Double(lowBurst.failed) / Double(max(1, lowBurst.count))
        let shed = low.tally().errors["shed", default: 0]
        let anyRefused = normalBurst.failed + lowBurst.failed > 0
        return Row(number: 3, scenario: "burst: writes \(Int(normalRate + lowRate))/s (a fifth low priority) → 10x for 10 s → back; reads \(Int(readRate))/s throughout; HTTP; server --write-queue \(queue) --write-wait \(wait)",
                   requirement: "reads within target (p95 < 25 ms) during the burst; writes past capacity get the retryable overloaded error, not timeouts (unanswered after 10 s); low priority shed first, counted; nothing acknowledged lost; recovery",
                   measured: "reads in the burst p95 \(ms(readsBurst.percentile(95))); writes refused in the burst: normal \(pct(normalRefused)), low \(pct(lowRefused)) (\(shed) shed); timeouts \(stuck); "
                       + "writes in the burst answered p99 \(ms(normalBurst.percentile(99))); acknowledged \(acknowledgedCount), missing \(missing), duplicated \(duplicated); "
                       + "writes p95 before \(ms(writesBefore.percentile(95))), after \(ms(writesAfter.percentile(95)))",
                   // A burst the server absorbs (nothing refused) says nothing of how it degrades past capacity.
                   checks: [("overload reached (no write refused in the burst: raise --burst-write-rate)", anyRefused),
                            ("reads p95 in the burst", readsBurst.percentile(95) < 25_000), ("read errors", errorFraction(readsAll) < 0.001),
                            ("no write timeouts", stuck == 0), ("low priority shed first", !anyRefused || (shed > 0 && lowRefused >= normalRefused)),
                            ("nothing lost", missing == 0 && duplicated == 0), ("recovered (writes after the burst p95 within 2x of before)", recovered)],
                   details: details("burst", r))
    }

    // MARK: 4. mixed 90/10 over 10,000 scopes

    mutating func mixed() -> Row {
        let rate = 5_000.0, warmup = 3.0
        let run = seconds(short: 20, full: 60)
        let r = runHTTP("mixed", pools: { host in
            [TrafficPool(name: "mixed", connections: 256, pacing: .open,
                         phases: [Phase(name: "warm-up", seconds: warmup, rate: rate, measured: false), Phase(name: "run", seconds: run, rate: rate)],
                         source: ToolCallSource(host: host, kinds: ["get_context", "log_event"]) { i in
                             Self.mix(UInt64(i) ^ 6) % 10 == 0 ? (1, "log_event", Self.logEvent(i, salt: 7)) : (0, "get_context", Self.getContext(i, salt: 8))
                         })]
        }, warmupSeconds: warmup)
        let reads = r.pools[0].tally(kind: "get_context"), writes = r.pools[0].tally(kind: "log_event"), all = r.pools[0].tally()
        return Row(number: 4, scenario: "mixed 90% get_context / 10% log_event over 10,000 scopes, HTTP, \(Int(rate))/s open loop, \(Int(run)) s",
                   requirement: "get_context p95 < 25 ms; log_event < 10 ms (p95); errors < 0.1%; memory < 512 MB (anonymous)",
                   measured: "get_context p95 \(ms(reads.percentile(95))); log_event p95 \(ms(writes.percentile(95))); \(Int(Double(all.ok) / run))/s; errors \(errorRate(all)); RSS \(mb(r.resources.maxRSSMB)) (anonymous \(mb(r.resources.maxAnonMB)))",
                   checks: [("get_context p95", reads.percentile(95) < 25_000), ("log_event p95", writes.percentile(95) < 10_000),
                            ("errors", errorFraction(all) < 0.001), ("memory", r.resources.sampled && r.resources.maxAnonMB < 512)],
                   details: details("mixed", r))
    }

    // MARK: 5. stdio, sequential and pipelined, one server process

    mutating func stdio() -> Row {
        let sequential = settings.short ? 20_000 : 100_000, pipelined = settings.short ? 100_000 : 500_000, window = 32
        let session = Session(command: [settings.colony, "serve", "--store", settings.store, "--durability", settings.durability, "--log-level", "warning"],
                              stallTimeoutSeconds: 30)
        let sampler = ResourceSampler(pid: session.channel.child.pid, intervalSeconds: settings.sampleInterval ?? 1)
        sampler.start()
        _ = session.initialize(protocolVersion: Requests.protocolVersionDefault)
        let scopes = (0..<Self.scopes).map { Self.scope(for: $0, salt: 9) }
        let call = Requests.ToolCall.getContext(scopes: scopes)
        _ = session.run(call, count: 2_000, window: window, rate: nil) // warm-up
        let one = session.run(call, count: sequential, window: 1, rate: nil)
        let many = session.run(call, count: pipelined, window: window, rate: nil)
        let writes = session.run(.logEvent(scopes: scopes), count: settings.short ? 2_000 : 10_000, window: 1, rate: nil)
        let samples = sampler.stop()
        let status = session.close()
        if status != 0 { note("stdio: colony serve exited with wait status \(status)") }
        let resources = ResourceSummary(samples, warmupSeconds: 0)
        func summary(_ p: Session.PhaseResult) -> LatencySummary { LatencySummary(nanos: p.latenciesNanos) }
        let s1 = summary(one), s2 = summary(many), s3 = summary(writes)
        let errors = one.errors + many.errors + writes.errors, calls = sequential + pipelined + writes.latenciesNanos.count
        return Row(number: 5, scenario: "stdio, one server process: get_context sequential (\(sequential)) and pipelined \(window) deep (\(pipelined)); log_event sequential",
                   requirement: "get_context p95 < 25 ms; log_event < 10 ms (p95); errors < 0.1%; memory < 512 MB (anonymous)",
                   measured: "sequential p95 \(ms(s1.p95)), \(Int(Double(sequential) / one.seconds))/s; pipelined p95 \(ms(s2.p95)), \(Int(Double(pipelined) / many.seconds))/s; "
                       + "log_event p95 \(ms(s3.p95)); errors \(errors); RSS \(mb(resources.maxRSSMB)) (anonymous \(mb(resources.maxAnonMB)))",
                   checks: [("sequential p95", s1.p95 < 25_000), ("pipelined p95", s2.p95 < 25_000), ("log_event p95", s3.p95 < 10_000),
                            ("errors", Double(errors) / Double(max(1, calls)) < 0.001), ("memory", resources.sampled && resources.maxAnonMB < 512)],
                   details: [
                       "  stdio get_context sequential: p50 \(ms(s1.p50)) p95 \(ms(s1.p95)) p99 \(ms(s1.p99)) p99.9 \(ms(s1.p999)) max \(ms(s1.max)); \(Int(Double(sequential) / one.seconds))/s",
                       "  stdio get_context pipelined \(window): p50 \(ms(s2.p50)) p95 \(ms(s2.p95)) p99 \(ms(s2.p99)) p99.9 \(ms(s2.p999)) max \(ms(s2.max)); \(Int(Double(pipelined) / many.seconds))/s",
                       "  stdio log_event sequential: p50 \(ms(s3.p50)) p95 \(ms(s3.p95)) p99 \(ms(s3.p99)) p99.9 \(ms(s3.p999)) max \(ms(s3.max)); \(Int(Double(writes.latenciesNanos.count) / writes.seconds))/s",
                       "  server: RSS max \(mb(resources.maxRSSMB)) (anonymous \(mb(resources.maxAnonMB))), CPU \(format(resources.meanCPUPercent, decimals: 0))% of a core",
                   ])
    }

    // MARK: 6. swarm: 50 agents, tasks created, assigned and completed continuously

    mutating func swarm() -> Row {
        let agents = 50, warmup = 2.0
        let run = seconds(short: 20, full: 60)
        let tag = String(Self.mix(UInt64(monotonicNanos())) % 1_000_000_000)
        let source = SwarmSource(agents: agents, tag: tag)
        let r = runHTTP("swarm", pools: { host in
            source.host = host
            return [TrafficPool(name: "agents", connections: agents, pacing: .closed,
                                phases: [Phase(name: "warm-up", seconds: warmup, measured: false), Phase(name: "run", seconds: run)], source: source)]
        }, warmupSeconds: warmup)
        let p = r.pools[0]
        let completed = p.tally(kind: "complete_task").ok, all = p.tally()
        let worst = ["create_task", "assign_task", "complete_task"].map { p.tally(kind: $0).percentile(95) }.max()!
        return Row(number: 6, scenario: "swarm: 50 agents over HTTP, each creating, assigning and completing tasks back to back (closed loop), \(Int(run)) s",
                   requirement: "errors < 0.1%; memory < 512 MB (anonymous) (no figure set for the swarm; each tool call measured)",
                   measured: "\(Int(Double(completed) / run)) tasks completed/s; slowest tool p95 \(ms(worst)); errors \(errorRate(all)); RSS \(mb(r.resources.maxRSSMB)) (anonymous \(mb(r.resources.maxAnonMB)))",
                   checks: [("errors", errorFraction(all) < 0.001), ("memory", r.resources.sampled && r.resources.maxAnonMB < 512), ("tasks done", completed > 0)],
                   details: details("swarm", r))
    }

    // MARK: Reporting

    private func details(_ name: String, _ r: HTTPRun) -> [String] {
        var lines: [String] = []
        for pool in r.pools {
            let measured = pool.phases.filter(\.measured)
            for kind in pool.kinds {
                for phase in (measured.count > 1 ? measured.map { [$0.name] } : [nil]) as [[String]?] {
                    let t = pool.tally(kind: kind, phases: phase)
                    guard t.count > 0 else { continue }
                    let seconds = pool.measuredSeconds(phases: phase)
                    var line = "  \(name) \(pool.name) \(kind)\(phase.map { " [\($0[0])]" } ?? ""): \(t.count) requests, \(Int(Double(t.ok) / seconds))/s ok; "
                        + "p50 \(ms(t.percentile(50))) p95 \(ms(t.percentile(95))) p99 \(ms(t.percentile(99))) p99.9 \(ms(t.percentile(99.9))) max \(ms(Double(t.latency.max)))"
                    if !t.errors.isEmpty { line += "; errors " + t.errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
                    lines.append(line)
                }
            }
        }
        lines.append("  server: RSS max \(mb(r.resources.maxRSSMB)) (anonymous \(mb(r.resources.maxAnonMB))), CPU \(format(r.resources.meanCPUPercent, decimals: 0))% of a core"
            + (r.resources.anonDriftPercent.map { ", anonymous drift after warm-up \(format($0, decimals: 1))%" } ?? ""))
        return lines
    }

    static func head(of store: String) throws -> UInt64 {
        var options = StoreOptions()
        options.readOnly = true
        let s = try ColonyStore.open(at: store, options: options)
        defer { s.close() }
        return try s.headPosition()
    }

    static func forEachEvent(in store: String, after position: UInt64, _ body: (RecordedEvent) -> Void) throws {
        var options = StoreOptions()
        options.readOnly = true
        let s = try ColonyStore.open(at: store, options: options)
        defer { s.close() }
        var next = position + 1
        while true {
            let batch = try s.read(from: next, limit: 10_000)
            guard let last = batch.last else { break }
            batch.forEach(body)
            next = last.position + 1
        }
    }
}

/// Which requests of each pool were acknowledged (written from the traffic loop's one thread).
final class Acknowledged {
    private var done: [[Bool]]
    init(counts: [Int]) { done = counts.map { [Bool](repeating: false, count: $0) } }
    func add(_ pool: Int, _ index: Int) { done[pool][index] = true }
    func indices(_ pool: Int) -> [Int] { done[pool].indices.filter { done[pool][$0] } }
}

/// Closed-loop swarm traffic: connection `c` is agent `c`. It registers once, then over and over
/// creates a task, asks the swarm to assign it (ACO picks among all 50 agents), and completes it
/// as whichever agent got it, succeeding 80% of the time.
final class SwarmSource: TrafficSource {
    let kinds = ["register_agent", "create_task", "assign_task", "complete_task"]
    var host = ""
    private let tag: String
    /// Per connection: its next step (0 register, 1 create, 2 assign, 3 complete) and task number.
    private var step: [Int]
    private var task: [Int]
    private var assignedTo: [String?]
    private static let capabilities = ["code", "test", "docs"]

    init(agents: Int, tag: String) {
        self.tag = tag
        step = [Int](repeating: 0, count: agents)
        task = [Int](repeating: 0, count: agents)
        assignedTo = [String?](repeating: nil, count: agents)
    }

    private func agent(_ c: Int) -> String { "load-\(tag)-agent-\(c)" }
    private func taskID(_ c: Int) -> String { "load-\(tag)-\(c)-\(task[c])" }

    func request(index: Int, connection c: Int, into out: inout [UInt8]) -> Int {
        let kind = step[c]
        let arguments: String
        switch kind {
        case 0:
            // Every agent can do everything, with room for 4 tasks: 50 agents' loops never run out of room.
            arguments = "{\"agent\":\"\(agent(c))\",\"capabilities\":[\"code\",\"test\",\"docs\"],\"capacity\":4}"
        case 1:
            let capability = Self.capabilities[(c + task[c]) % 3]
            arguments = "{\"task\":\"\(taskID(c))\",\"type\":\"\(capability)\",\"requires\":[\"\(capability)\"]}"
        case 2:
            arguments = "{\"task\":\"\(taskID(c))\"}"
        default:
            let success = Scenarios.mix(UInt64(index) ^ 11) % 10 < 8
            arguments = "{\"task\":\"\(taskID(c))\",\"success\":\(success),\"duration_ms\":1,\"agent\":\"\(assignedTo[c] ?? "")\"}"
        }
        out.append(contentsOf: MCPHTTP.toolCall(host: host, id: index + 1, tool: kinds[kind], arguments: arguments))
        return kind
    }

    func judge(index: Int, connection c: Int, kind: Int, status: Int, body: UnsafeRawBufferPointer) -> String? {
        if let verdict = MCPHTTP.judge(status: status, body: body) {
            // Start over with a new task (a failed register is retried).
            if kind != 0 { task[c] += 1; step[c] = 1 }
            return verdict
        }
        switch kind {
        case 0, 1: step[c] = kind + 1
        case 2:
            guard let agent = Self.assignedAgent(body) else { task[c] += 1; step[c] = 1; return "not_assigned" }
            assignedTo[c] = agent
            step[c] = 3
        default:
            task[c] += 1
            step[c] = 1
        }
        return nil
    }

    /// The first `"agent_id":"…"` of an assign_task answer (structured content, snake case).
    static func assignedAgent(_ body: UnsafeRawBufferPointer) -> String? {
        let key = Array("\"agent_id\":\"".utf8)
        guard body.count > key.count, let base = body.baseAddress else { return nil }
        guard let hit = key.withUnsafeBytes({ mcp_load_find(base, body.count, $0.baseAddress, $0.count) }) else { return nil }
        var i = base.distance(to: UnsafeRawPointer(hit)) + key.count
        var name: [UInt8] = []
        while i < body.count && body[i] != UInt8(ascii: "\"") && body[i] != UInt8(ascii: "\\") { name.append(body[i]); i += 1 }
        return name.isEmpty ? nil : String(decoding: name, as: UTF8.self)
    }
}

func ms(_ micros: Double) -> String { micros >= 10_000 ? "\(format(micros / 1_000, decimals: 0)) ms" : micros >= 1_000 ? "\(format(micros / 1_000, decimals: 1)) ms" : "\(format(micros, decimals: 0)) µs" }
func mb(_ value: Double) -> String { "\(format(value, decimals: 0)) MB" }
func pct(_ fraction: Double) -> String { "\(format(fraction * 100, decimals: fraction < 0.01 ? 2 : 1))%" }
func errorFraction(_ t: Tally) -> Double { Double(t.failed) / Double(max(1, t.count)) }
func errorRate(_ t: Tally) -> String { "\(t.failed) (\(pct(errorFraction(t))))" }
