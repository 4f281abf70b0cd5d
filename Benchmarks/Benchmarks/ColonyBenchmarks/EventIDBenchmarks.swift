import Benchmark
import ColonyStore

/// 5a: making a new event id (`EventID()`, UUIDv7 layout), which every append without a
/// caller-chosen id does once per event: the clock and 76 random bits.
func eventIDBenchmarks() {
    Benchmark("5a EventID() new id",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds,
                                   warmupIterations: 1_000, scalingFactor: .one,
                                   maxDuration: .seconds(2), maxIterations: 1_000_000)) { _ in
        blackHole(EventID())
    }
}
