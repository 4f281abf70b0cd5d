import ColonyContext
import ColonyStore
import Glibc

/// Fills a new Colony store through the public API, the way ColonyBenchmarks' fixtures do
/// (Benchmarks/ColonyBenchmarks/Fixtures.swift, `ColonyFixture.fill`): `append` in batches
/// of 1,000 events, four batches in flight, buffered durability. Copied rather than shared:
/// it is a dozen lines and the scopes and payloads here are the MCP tools' own.
enum Seed {
    /// Leaf scope `j` of a seeded store; `get_context` of it returns its recent events.
    static func scope(_ j: Int) -> String {
        var digits = String(j)
        while digits.count < 4 { digits = "0" + digits }
        return "bench/s\(digits)/agent"
    }

    /// `{"text":"…"}` as `logEvent(scope:text:)` writes it, about 100 bytes.
    static func payload(_ i: Int) -> [UInt8] {
        Array("{\"text\":\"seeded event \(i): the agent ran the test suite and logged what it saw\"}".utf8)
    }

    static func run(path: String, events: Int, scopes: Int, quiet: Bool = false) async throws {
        if let entries = try? listDirectory(path), !entries.isEmpty {
            fail("\(path) is not empty: seed makes a new store (remove it first)")
        }
        var options = StoreOptions()
        options.durability = .buffered(syncIntervalMilliseconds: 100)
        options.mapSizeBytes = 4 << 30 // no growth while filling
        let started = monotonicNanos()
        let store = try Colony.open(at: path, options: options)
        let batchSize = 1_000, inFlight = 4
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0, running = 0, reported = 0
            while next < events || running > 0 {
                while running < inFlight && next < events {
                    let range = next..<min(next + batchSize, events)
                    group.addTask {
                        try await store.append(range.map {
                            NewEvent(stream: scope($0 % scopes), kind: "event", payload: payload($0))
                        })
                    }
                    next = range.upperBound
                    running += 1
                }
                try await group.next()
                running -= 1
                if next - reported >= 200_000 {
                    reported = next
                    note("\(next) of \(events) events handed to the writer")
                }
            }
        }
        store.close()
        let seconds = Double(monotonicNanos() - started) / 1e9
        note("scopes \(scope(0)) … \(scope(scopes - 1)); \(events / max(scopes, 1)) events each")
        if quiet { return }
        var line = JSONLine()
        line.add("store", path)
        line.add("events", events)
        line.add("scopes", scopes)
        line.add("seconds", seconds, decimals: 2)
        line.add("events_per_s", Double(events) / seconds, decimals: 0)
        line.print()
    }

    /// Names in a directory, or nil if it does not exist.
    private static func listDirectory(_ path: String) throws -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
