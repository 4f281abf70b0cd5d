import Glibc

/// `colony-load scenarios`: picks the scenarios, prepares the store, runs them one after
/// another (a fresh server each) and prints the table.
enum ScenariosCommand {
    static let names: [(flag: String, number: Int)] = [("readers", 1), ("writes", 2), ("burst", 3), ("mixed", 4), ("stdio", 5), ("swarm", 6)]

    static func run(_ args: Arguments) async {
        var chosen = Set(names.filter { args.flags.contains($0.flag) }.map(\.number))
        if args.flags.contains("all") || chosen.isEmpty { chosen = Set(names.map(\.number)) }
        var settings = Scenarios.Settings()
        settings.colony = args.string("colony")
        guard access(settings.colony, X_OK) == 0 else { fail("--colony \(settings.colony) is not an executable") }
        settings.short = args.flags.contains("short")
        settings.duration = args.double("duration")
        settings.port = args.int("port", default: 3190)
        settings.durability = args.string("durability", default: "durable")
        settings.sampleInterval = args.double("sample-interval")
        settings.writeScopes = max(1, min(Scenarios.scopes, args.int("write-scopes", default: Scenarios.scopes)))
        settings.writeConnections = args.int("write-connections", default: 128)
        settings.burstWriteRate = Double(args.int("burst-write-rate", default: Int(Scenarios.Settings().burstWriteRate)))
        guard (10...100_000).contains(settings.burstWriteRate) else { fail("--burst-write-rate must be between 10 and 100,000 writes/s") }
        guard (1...4_096).contains(settings.writeConnections) else { fail("--write-connections must be between 1 and 4,096") }
        let events = args.int("events", default: settings.short ? 100_000 : 1_000_000)

        var template = Array("/tmp/colony-load-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { fail("mkdtemp: \(String(cString: strerror(errno)))") }
        let work = String(cString: made)
        settings.logDirectory = work
        if let store = args.options["store"] {
            settings.store = store
        } else {
            settings.store = work + "/store"
            note("seeding \(settings.store): \(events) events over \(Scenarios.scopes) scopes")
            do { try await Seed.run(path: settings.store, events: events, scopes: Scenarios.scopes, quiet: true) } catch { fail("seed: \(error)") }
        }
        note("server logs in \(work)")

        var scenarios = Scenarios(settings: settings)
        var rows: [Scenarios.Row] = []
        let started = monotonicNanos()
        for (flag, number) in names where chosen.contains(number) {
            note("scenario \(number) (--\(flag)); load average \(loadAverage())")
            let row: Scenarios.Row
            switch number {
            case 1: row = scenarios.readers()
            case 2: row = scenarios.writes()
            case 3: row = scenarios.burst()
            case 4: row = scenarios.mixed()
            case 5: row = scenarios.stdio()
            default: row = scenarios.swarm()
            }
            rows.append(row)
            note("scenario \(number): \(row.measured) → \(row.verdict)")
            row.details.forEach { note($0) }
        }
        if args.options["store"] == nil && !args.flags.contains("keep") {
            _ = system("rm -rf '\(settings.store)'")
        }
        print(table(rows, settings: settings, arguments: CommandLine.arguments, minutes: Double(monotonicNanos() - started) / 60e9))
        let missed = rows.filter { !$0.checks.allSatisfy(\.met) }.count
        exit(missed > 0 && args.flags.contains("strict") ? 1 : 0)
    }

    static func table(_ rows: [Scenarios.Row], settings: Scenarios.Settings, arguments: [String], minutes: Double) -> String {
        func cell(_ s: String) -> String { s.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
        var out = "\n| # | scenario | requirement | measured | result |\n|---|---|---|---|---|\n"
        for r in rows {
            out += "| \(r.number) | \(cell(r.scenario)) | \(cell(r.requirement)) | \(cell(r.measured)) | **\(cell(r.verdict))** |\n"
        }
        out += "\nDetails (latency from each request's scheduled time; errors by class):\n"
        for r in rows { out += r.details.joined(separator: "\n") + "\n" }
        out += "\n\(rows.filter { $0.checks.allSatisfy(\.met) }.count) of \(rows.count) scenarios met every requirement. "
        out += "Date \(today()); \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) CPUs; load average at the end \(loadAverage()); \(format(minutes, decimals: 1)) minutes; "
        out += "server durability \(settings.durability).\nCommand: \(arguments.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: " "))\n"
        return out
    }

    static func loadAverage() -> String {
        (ResourceSampler.readFile("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func today() -> String {
        var now = time(nil), parts = tm()
        gmtime_r(&now, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, buffer.count, "%Y-%m-%d", &parts)
        return String(cString: buffer)
    }
}
