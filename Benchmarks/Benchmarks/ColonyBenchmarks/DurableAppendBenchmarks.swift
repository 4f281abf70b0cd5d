import Benchmark
import ColonyContext
import ColonyStore
import LMDB

/// Benchmark 2: durable appends of single events, with the default `StoreOptions`
/// (durable: an append returns once its commit is on disk).
///
/// - 64 concurrent callers, each appending 100 single events one after
///   another (6,400 events an iteration): events per second.
/// - One caller: the latency of one append.
/// - Baselines: raw LMDB durable commits from one thread of 1 event and of 64
///   events per transaction, each event being the record (appended with
///   `MDB_APPEND`) and one ~1 KB value put under its scope.
func durableAppendBenchmarks() {
    let callers = 64
    let appendsPerCaller = 100

    let throughput = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .writeBytesLogical, .writeBytesPhysical, .eventsPerSecond],
        timeUnits: .milliseconds,
        units: [.eventsPerSecond: .count, .mallocCountTotal: .count, .writeBytesLogical: .kilo, .writeBytesPhysical: .kilo],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 200
    )
    let latency = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        units: [.mallocCountTotal: .count, .throughput: .count],
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 100_000
    )

    let concurrent = FixtureSlot<AppendFixture>()
    Benchmark("2a durable append Colony, 64 concurrent callers", configuration: throughput) { benchmark in
        let fixture = concurrent.value!
        let first = fixture.take(callers * appendsPerCaller)
        let work = (0..<callers).map { c in
            (0..<appendsPerCaller).map { n in Workload.event(first + c * appendsPerCaller + n, leaves: Workload.leafScopes) }
        }
        let store = fixture.store
        benchmark.startMeasurement()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for events in work {
                group.addTask { for e in events { try await store.append(e) } }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(callers * appendsPerCaller, elapsed))
    } setup: {
        concurrent.value = try AppendFixture()
    } teardown: {
        concurrent.value?.close()
    }

    let single = FixtureSlot<AppendFixture>()
    Benchmark("2b durable append Colony, 1 caller", configuration: latency) { benchmark in
        let fixture = single.value!
        let event = Workload.event(fixture.take(1), leaves: Workload.leafScopes)
        benchmark.startMeasurement()
        try await fixture.store.append(event)
        benchmark.stopMeasurement()
    } setup: {
        single.value = try AppendFixture()
    } teardown: {
        single.value?.close()
    }

    for (name, perCommit, configuration) in [("2c durable append baseline raw LMDB, 64 events per commit", 64, throughput),
                                             ("2d durable append baseline raw LMDB, 1 event per commit", 1, latency)] {
        let slot = FixtureSlot<RawAppendFixture>()
        Benchmark(name, configuration: configuration) { benchmark in
            let fixture = slot.value!
            let first = fixture.take(perCommit)
            let batch = fixture.raw.prepare(events: first..<(first + perCommit), leaves: Workload.leafScopes)
            benchmark.startMeasurement()
            let started = ContinuousClock.now
            try fixture.raw.commit(batch)
            let elapsed = ContinuousClock.now - started
            benchmark.stopMeasurement()
            if perCommit > 1 { benchmark.measurement(.eventsPerSecond, eventsPerSecond(perCommit, elapsed)) }
        } setup: {
            slot.value = try RawAppendFixture(durability: .durable)
        } teardown: {
            slot.value?.close()
        }
    }
}

/// An empty Colony store opened with the default (durable) options, and the next event number.
final class AppendFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let store: ColonyStore
    private var next = 0

    init(options: StoreOptions = StoreOptions()) throws {
        directory = try ScratchDirectory("append")
        store = try Colony.open(at: directory.child("store"), options: options)
    }

    /// Reserves `count` event numbers; returns the first.
    func take(_ count: Int) -> Int {
        defer { next += count }
        return next
    }

    func close() {
        if let stats = try? store.statistics(), stats.batchesCommitted > 0 {
            note("writer: \(stats.eventsCommitted) events in \(stats.batchesCommitted) commits "
                + "(mean \(stats.eventsCommitted / stats.batchesCommitted) events per commit, largest \(stats.largestBatchEvents))")
        }
        store.close()
        directory.remove()
    }
}

/// An empty raw LMDB environment and the next event number.
final class RawAppendFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let raw: RawStore
    private var next = 0

    init(durability: Durability) throws {
        directory = try ScratchDirectory("rawappend")
        raw = try RawStore(path: directory.child("raw"), durability: durability)
    }

    func take(_ count: Int) -> Int {
        defer { next += count }
        return next
    }

    func close() {
        raw.close()
        directory.remove()
    }
}
