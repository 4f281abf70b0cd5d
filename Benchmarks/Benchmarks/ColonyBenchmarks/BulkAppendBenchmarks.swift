import Benchmark
import ColonyContext
import ColonyStore
import LMDB

/// Benchmark 3: batches of 1,000 events (256-byte payloads) through
/// `store.append(_:)`, durable, with the context view kept up to date, beside
/// raw LMDB writing, per event, the same-sized record with `MDB_APPEND` and one
/// ~1 KB value under the event's scope, 1,000 events per durable transaction.
///
/// Both start from 200,000 events over the 10,000 leaf scopes, so every leaf's
/// context already holds its full recent-event list (20) and each iteration
/// measures the steady state rather than views growing from empty.
func bulkAppendBenchmarks() {
    let batchSize = 1_000
    let prefill = 200_000
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .writeBytesLogical, .writeBytesPhysical, .eventsPerSecond],
        timeUnits: .milliseconds,
        units: [.eventsPerSecond: .count, .mallocCountTotal: .count, .writeBytesLogical: .kilo, .writeBytesPhysical: .kilo],
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(10),
        maxIterations: 500
    )

    let colony = FixtureSlot<BulkAppendFixture>()
    Benchmark("3a bulk append Colony, 1,000-event batches", configuration: configuration) { benchmark in
        let fixture = colony.value!
        let first = fixture.take(batchSize)
        let batch = Workload.batch(first..<(first + batchSize), leaves: Workload.leafScopes)
        benchmark.startMeasurement()
        let started = ContinuousClock.now
        try await fixture.store.append(batch)
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(batchSize, elapsed))
    } setup: {
        colony.value = try await BulkAppendFixture(prefill: prefill)
    } teardown: {
        colony.value?.close()
    }

    let raw = FixtureSlot<RawAppendFixture>()
    Benchmark("3b bulk append baseline raw LMDB, 1,000 records + view puts per commit", configuration: configuration) { benchmark in
        let fixture = raw.value!
        let first = fixture.take(batchSize)
        let batch = fixture.raw.prepare(events: first..<(first + batchSize), leaves: Workload.leafScopes)
        benchmark.startMeasurement()
        let started = ContinuousClock.now
        try fixture.raw.commit(batch)
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(batchSize, elapsed))
    } setup: {
        let fixture = try RawAppendFixture(durability: .durable)
        try fixture.raw.append(events: 0..<prefill, leaves: Workload.leafScopes, perTransaction: batchSize)
        _ = fixture.take(prefill)
        raw.value = fixture
    } teardown: {
        raw.value?.close()
    }

    // Not a target: the I/O floor of the context view's format 2 layout, which
    // rewrote the whole stored context of each scope an event touches (its leaf,
    // project and organisation) once per commit; this writes that many values of
    // that size. Format 3 rewrites a small head per touched scope and the body
    // only every few events, so 3a can now pass 3c.
    let volume = FixtureSlot<RawVolumeFixture>()
    Benchmark("3c bulk append reference raw LMDB, 1,000 records + Colony's view write volume per commit",
              configuration: configuration) { benchmark in
        let fixture = volume.value!
        let first = fixture.take(batchSize)
        let records = (first..<(first + batchSize)).map { Workload.rawRecord($0, leaves: Workload.leafScopes) }
        var seen = Set<String>()
        let scopes = (first..<(first + batchSize)).flatMap { lineage(event: $0, leaves: Workload.leafScopes) }
            .filter { seen.insert($0).inserted }.map { Array($0.utf8) }
        let store = fixture.raw
        let value = fixture.value
        benchmark.startMeasurement()
        let started = ContinuousClock.now
        try store.env.write { txn in
            for i in 0..<batchSize {
                try txn.append(store.events, position: UInt64(first + i + 1), record: records[i])
            }
            for scope in scopes { try txn.put(store.views, key: scope, value: value) }
        }
        let elapsed = ContinuousClock.now - started
        benchmark.stopMeasurement()
        benchmark.measurement(.eventsPerSecond, eventsPerSecond(batchSize, elapsed))
    } setup: {
        volume.value = try await RawVolumeFixture(prefill: prefill)
    } teardown: {
        volume.value?.close()
    }
}

/// A raw environment holding `prefill` records and, under every scope, a value as
/// large as a full leaf context (measured on a small Colony store).
final class RawVolumeFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let raw: RawStore
    let value: [UInt8]
    private var next: Int

    init(prefill: Int) async throws {
        directory = try ScratchDirectory("rawvolume")
        let sample = try await ColonyFixture.make(at: directory.child("sample"), events: 1_000, leaves: 50,
                                                  options: ColonyFixture.durableOptions)
        let size = try ColonyFixture.storedContextSize(sample, scope: Workload.scope(leaf: 0))
        sample.close()
        let value = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        self.value = value
        let raw = try RawStore(path: directory.child("raw"), durability: .durable)
        var records = 0
        while records < prefill {
            let chunk = records..<min(records + 10_000, prefill)
            try raw.env.write { txn in
                for i in chunk {
                    try txn.append(raw.events, position: UInt64(i + 1), record: Workload.rawRecord(i, leaves: Workload.leafScopes))
                }
            }
            records = chunk.upperBound
        }
        var scopes = Set<String>()
        for leaf in 0..<Workload.leafScopes { scopes.formUnion(lineage(event: leaf, leaves: Workload.leafScopes)) }
        try raw.env.write { txn in
            for scope in scopes { try txn.put(raw.views, key: Array(scope.utf8), value: value) }
        }
        self.raw = raw
        next = prefill
        note("raw: \(prefill) records, \(scopes.count) scopes with values of \(size) bytes")
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

/// The scopes whose context an event of `Workload` updates: its leaf, project and organisation.
func lineage(event i: Int, leaves: Int) -> [String] {
    let j = i % leaves
    return ["o\(j % 10)", "o\(j % 10)/p\(j % 100)", Workload.scope(leaf: j)]
}

/// A Colony store with `prefill` events, reopened with the default durable options.
final class BulkAppendFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let store: ColonyStore
    private var next: Int

    init(prefill: Int) async throws {
        directory = try ScratchDirectory("bulk")
        store = try await ColonyFixture.make(at: directory.child("store"), events: prefill, leaves: Workload.leafScopes,
                                             options: ColonyFixture.durableOptions)
        next = prefill
    }

    func take(_ count: Int) -> Int {
        defer { next += count }
        return next
    }

    func close() {
        store.close()
        directory.remove()
    }
}
