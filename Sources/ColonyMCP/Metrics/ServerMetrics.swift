import Foundation
import Synchronization

/// A latency histogram with log-linear buckets (16 per power of two, under 5%
/// error), cheap enough to record every call.
struct LatencyHistogram {
    static let subBuckets = 16
    static let bucketCount = 64 * subBuckets
    var counts = [UInt64](repeating: 0, count: bucketCount)
    var total: UInt64 = 0
    var sumNanoseconds: UInt64 = 0

    static func bucket(_ ns: UInt64) -> Int {
        if ns < UInt64(subBuckets) { return Int(ns) }
        let exponent = 63 - ns.leadingZeroBitCount          // ≥ 4
        let mantissa = Int((ns >> UInt64(exponent - 4)) & 15)
        return (exponent - 3) * subBuckets + mantissa
    }

    /// The upper bound of a bucket, in nanoseconds.
    static func upperBound(_ bucket: Int) -> UInt64 {
        if bucket < subBuckets { return UInt64(bucket) }
        let exponent = bucket / subBuckets + 3
        let mantissa = UInt64(bucket % subBuckets)
        return ((16 + mantissa + 1) << UInt64(exponent - 4)) - 1
    }

    mutating func record(nanoseconds ns: UInt64) {
        counts[LatencyHistogram.bucket(ns)] += 1
        total += 1
        sumNanoseconds &+= ns
    }

    /// The value at quantile `q` (0...1), in nanoseconds; 0 when empty.
    func quantile(_ q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((Double(total) * q).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= rank { return LatencyHistogram.upperBound(i) }
        }
        return LatencyHistogram.upperBound(counts.count - 1)
    }
}

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

/// Monotonic nanoseconds, for latency.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
