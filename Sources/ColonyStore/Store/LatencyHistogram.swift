import Foundation

/// A latency histogram with log-linear buckets (16 per power of two: a quantile is a bucket's
/// upper bound, at most 6.25% above the values in it), cheap enough to record every call.
package struct LatencyHistogram: Sendable {
    package init() {}

    package static let subBuckets = 16
    package static let bucketCount = 64 * subBuckets
    package var counts = [UInt64](repeating: 0, count: bucketCount)
    package var total: UInt64 = 0
    package var sumNanoseconds: UInt64 = 0

    package static func bucket(_ ns: UInt64) -> Int {
        if ns < UInt64(subBuckets) { return Int(ns) }
        let exponent = 63 - ns.leadingZeroBitCount          // ≥ 4
        let mantissa = Int((ns >> UInt64(exponent - 4)) & 15)
        return (exponent - 3) * subBuckets + mantissa
    }

    /// The upper bound of a bucket, in nanoseconds.
    package static func upperBound(_ bucket: Int) -> UInt64 {
        if bucket < subBuckets { return UInt64(bucket) }
        let exponent = bucket / subBuckets + 3
        let mantissa = UInt64(bucket % subBuckets)
        return ((16 + mantissa + 1) << UInt64(exponent - 4)) - 1
    }

    package mutating func record(nanoseconds ns: UInt64) {
        counts[LatencyHistogram.bucket(ns)] += 1
        total += 1
        sumNanoseconds &+= ns
    }

    /// The value at quantile `q` (0...1), in nanoseconds; 0 when empty.
    package func quantile(_ q: Double) -> UInt64 {
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

/// Monotonic nanoseconds, for latency.
@inline(__always)
package func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
