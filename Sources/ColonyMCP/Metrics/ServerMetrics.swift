import ColonyStore
import Foundation
import Synchronization

/// What this server has done since it started: calls, errors and latency per
/// tool and method. Shared by every transport of the process.
public final class ServerMetrics: Sendable {
    struct Entry {
        var histogram = LatencyHistogram()
        var errors: UInt64 = 0
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let counters = Mutex<[String: UInt64]>([:])
    public let started = Date()

    public init() {}

    /// Records one call of `name` (a tool, or a method) that took `nanoseconds`.
    public func record(_ name: String, nanoseconds: UInt64, failed: Bool) {
        entries.withLock { e in
            e[name, default: Entry()].histogram.record(nanoseconds: nanoseconds)
            if failed { e[name, default: Entry()].errors += 1 }
        }
    }

    /// Adds to a named counter (messages refused, notifications sent, HTTP requests…).
    public func count(_ name: String, by n: UInt64 = 1) {
        counters.withLock { $0[name, default: 0] += n }
    }

    public struct Summary: Sendable {
        public var name: String
        public var calls: UInt64
        public var errors: UInt64
        public var p50: UInt64, p95: UInt64, p99: UInt64, max: UInt64
        public var sumNanoseconds: UInt64
    }

    /// Per-name call counts and latency quantiles (nanoseconds), sorted by name.
    public func summaries() -> [Summary] {
        entries.withLock { e in
            e.keys.sorted().map { name in
                let h = e[name]!.histogram
                return Summary(name: name, calls: h.total, errors: e[name]!.errors, p50: h.quantile(0.5), p95: h.quantile(0.95),
                               p99: h.quantile(0.99), max: h.quantile(1), sumNanoseconds: h.sumNanoseconds)
            }
        }
    }

    public func counterValues() -> [(String, UInt64)] {
        counters.withLock { c in c.keys.sorted().map { ($0, c[$0]!) } }
    }

    /// Resident memory of this process in bytes (Linux), else 0.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
