import Foundation

/// Nanoseconds from a monotonic clock.
@inline(__always) func nowNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Nearest-rank percentiles of samples in nanoseconds, reported in microseconds.
struct Latency {
    let p50: Double, p99: Double, max: Double, mean: Double, count: Int

    init(_ nanos: [UInt64]) {
        let sorted = nanos.sorted()
        func rank(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[Swift.max(0, Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1))]) / 1_000
        }
        p50 = rank(0.5)
        p99 = rank(0.99)
        max = Double(sorted.last ?? 0) / 1_000
        mean = sorted.isEmpty ? 0 : Double(sorted.reduce(0, +)) / Double(sorted.count) / 1_000
        count = sorted.count
    }

    var text: String { String(format: "p50 %8.2f µs   p99 %8.2f µs   mean %8.2f µs   max %9.1f µs   (n=%d)", p50, p99, mean, max, count) }
}

/// A fresh store directory under the system's temporary directory.
func temporaryStorePath(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-swarm-bench-\(name)-\(UUID().uuidString)").path
    return path
}
