import Benchmark

/// Colony's hot paths, each beside a raw LMDB baseline doing the least work
/// that could give the same result. Benchmarks are named `<n><letter> …` so the
/// Colony figure and its baselines print next to each other; docs/PERFORMANCE.md
/// holds the figures and explains each one.
///
/// Every benchmark runs in its own process (package-benchmark's model), so each
/// builds its own fixture in `setup` (not measured) and removes it in `teardown`.
let benchmarks: @Sendable () -> Void = {
    contextReadBenchmarks()
    durableAppendBenchmarks()
    bulkAppendBenchmarks()
    rebuildBenchmarks()
    eventIDBenchmarks()
}

extension BenchmarkMetric {
    /// Events committed (or applied) per second of wall-clock time within one iteration.
    static var eventsPerSecond: BenchmarkMetric {
        .custom("Events per second", polarity: .prefersLarger, useScalingFactor: false)
    }
}

/// Holds a benchmark's fixture between its `setup`, its iterations and its `teardown`.
final class FixtureSlot<Value>: @unchecked Sendable {
    var value: Value?
    init() {}
}

/// Events per second for `events` events done in `elapsed`.
func eventsPerSecond(_ events: Int, _ elapsed: Duration) -> Int {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return seconds > 0 ? Int((Double(events) / seconds).rounded()) : 0
}
