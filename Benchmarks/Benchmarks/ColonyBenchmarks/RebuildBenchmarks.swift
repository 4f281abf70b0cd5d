import Benchmark
import ColonyContext
import ColonyStore
import LMDB

/// Benchmark 4: `store.rebuild()` of every view (the context view) from a log
/// of 1,000,000 events over 10,000 leaf scopes, one full rebuild an iteration,
/// beside raw LMDB reading the same number of same-sized records with a cursor
/// and putting one ~1 KB value under each record's scope, committing every
/// 65,536 events (the store's default catch-up chunk), durable as the store is.
func rebuildBenchmarks() {
    let events = 1_000_000
    let chunk = StoreOptions.Writer().catchUpBudgetEvents
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .mallocBytesCount, .eventsPerSecond],
        timeUnits: .milliseconds,
        units: [.eventsPerSecond: .count, .mallocCountTotal: .count, .mallocBytesCount: .mega],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(60),
        maxIterations: 5
    )

    let colony = FixtureSlot<RebuildFixture>()
    Benchmark("4a rebuild Colony, all views over 1,000,000 events", configuration: configuration) { benchmark in
        let store = colony.value!.store
        let started = ContinuousClock.now
        let report = try store.rebuild()
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        precondition(report.eventsApplied == UInt64(events * report.views.count),
                     "rebuild applied \(report.eventsApplied) events to \(report.views), expected \(events) each")
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(events, elapsed))
    } setup: {
        colony.value = try await RebuildFixture(events: events)
    } teardown: {
        colony.value?.close()
    }

    let raw = FixtureSlot<RawAppendFixture>()
    Benchmark("4b rebuild baseline raw LMDB, cursor scan + view put per event", configuration: configuration) { benchmark in
        let store = raw.value!.raw
        let started = ContinuousClock.now
        try store.env.write { txn in try txn.clear(store.views) }
        var applied = 0
        var position: UInt64 = 1
        var done = false
        while !done {
            try store.env.write { txn in
                try txn.withCursor(store.events) { cursor in try Workload.rawViewValue.withUnsafeBytes { value in
                    var entry = try cursor.seek(atOrAfter: positionKey(position))
                    var n = 0
                    while let e = entry, n < chunk {
                        try txn.put(store.views, key: Workload.rawRecordStream(e.value), value: value)
                        n += 1
                        entry = try cursor.next()
                    }
                    applied += n
                    position += UInt64(n)
                    done = entry == nil
                } }
            }
        }
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        precondition(applied == events, "raw rebuild read \(applied) records, expected \(events)")
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(applied, elapsed))
    } setup: {
        let fixture = try RawAppendFixture(durability: .durable)
        try fixture.raw.append(events: 0..<events, leaves: Workload.leafScopes, perTransaction: 10_000)
        raw.value = fixture
    } teardown: {
        raw.value?.close()
    }
}

/// A Colony store of `events` events, reopened with the default durable options.
final class RebuildFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let store: ColonyStore

    init(events: Int) async throws {
        directory = try ScratchDirectory("rebuild")
        store = try await ColonyFixture.make(at: directory.child("store"), events: events, leaves: Workload.leafScopes,
                                             options: ColonyFixture.durableOptions)
    }

    func close() {
        store.close()
        directory.remove()
    }
}
