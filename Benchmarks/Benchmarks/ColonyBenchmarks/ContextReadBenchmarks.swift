import Benchmark
import ColonyContext
import ColonyStore
import LMDB

/// Benchmark 1: `context(of:)` of a random leaf scope, one call per iteration,
/// on a store of 1,000,000 events and on one of 1,000 events, beside a raw
/// LMDB `mdb_get` of a value of the same size from a database of 10,000 keys
/// (1c), and the same get followed by a `memcpy` of the value into a new array
/// (1d), which is the least any answer built from the stored bytes must cost.
///
/// The 1,000-event store has 50 leaf scopes of 20 events each, so its leaves
/// hold full recent-event lists (20, the default) as the 1M store's leaves do
/// (100 events each): the answers are the same size and only the log differs.
/// Scopes are drawn at random with a fixed seed; reads use the default `ContextQuery`.
func contextReadBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .mallocBytesCount],
        timeUnits: .nanoseconds,
        units: [.mallocCountTotal: .count, .mallocBytesCount: .count],
        warmupIterations: 10_000,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 2_000_000
    )

    // 1e is not a target but an explanation: the 1M store again, read over only
    // 50 of its leaves, so the values read stay in the CPU caches as the 1K
    // store's do. If 1e matches 1b, the gap between 1a and 1b is memory (a
    // 73 MB working set against 0.4 MB), not work that grows with the log.
    for (name, events, leaves, readLeaves) in [
        ("1a context(of:) Colony, 1,000,000 events", 1_000_000, Workload.leafScopes, Workload.leafScopes),
        ("1b context(of:) Colony, 1,000 events", 1_000, 50, 50),
        ("1e context(of:) reference Colony, 1,000,000 events, reads over 50 scopes", 1_000_000, Workload.leafScopes, 50),
    ] {
        let slot = FixtureSlot<ContextReadFixture>()
        Benchmark(name, configuration: configuration) { benchmark in
            let fixture = slot.value!
            let scope = fixture.scopes[fixture.next & ContextReadFixture.mask]
            fixture.next &+= 1
            blackHole(try fixture.store.context(of: scope))
        } setup: {
            slot.value = try await ContextReadFixture(events: events, leaves: leaves, readLeaves: readLeaves)
        } teardown: {
            slot.value?.close()
        }
    }

    for (name, copy) in [("1c context(of:) baseline raw LMDB get, 10,000 keys", false),
                         ("1d context(of:) baseline raw LMDB get + copy, 10,000 keys", true)] {
        let slot = FixtureSlot<RawGetFixture>()
        Benchmark(name, configuration: configuration) { benchmark in
            let fixture = slot.value!
            let key = fixture.keys[fixture.next & ContextReadFixture.mask]
            fixture.next &+= 1
            let db = fixture.raw.views
            if copy {
                blackHole(try fixture.raw.env.read { txn -> [UInt8]? in
                    guard let value = try txn.get(db, key: key) else { return nil }
                    return [UInt8](unsafeUninitializedCapacity: value.count) { buffer, count in
                        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: value)
                        count = value.count
                    }
                })
            } else {
                blackHole(try fixture.raw.env.read { txn in try txn.get(db, key: key)?.count })
            }
        } setup: {
            slot.value = try await RawGetFixture()
        } teardown: {
            slot.value?.close()
        }
    }
}

final class ContextReadFixture: @unchecked Sendable {
    static let mask = (1 << 16) - 1
    let directory: ScratchDirectory
    let store: ColonyStore
    /// 65,536 leaf scopes drawn at random (fixed seed), read in turn.
    let scopes: [String]
    var next = 0

    /// A store of `events` events over `leaves` leaves, read over its first `readLeaves` leaves.
    init(events: Int, leaves: Int, readLeaves: Int) async throws {
        directory = try ScratchDirectory("context")
        store = try await ColonyFixture.make(at: directory.child("store"), events: events, leaves: leaves,
                                             options: ColonyFixture.durableOptions)
        scopes = Workload.randomLeaves(ContextReadFixture.mask + 1, leaves: readLeaves).map(Workload.scope(leaf:))
        let sizes = try scopes.prefix(1_000).map { try ColonyFixture.storedContextSize(store, scope: $0) }
        let answer = try store.context(of: scopes[0]).json.count
        note("\(events) events, \(leaves) leaves, reads over \(readLeaves): stored leaf value \(sizes.min()!)...\(sizes.max()!) bytes, answer \(answer) bytes")
    }

    func close() {
        store.close()
        directory.remove()
    }
}

/// A raw LMDB database of 10,000 keys (the leaf scope names) whose values are
/// as large as a leaf's stored context value (measured on a small Colony store
/// whose leaves hold full recent-event lists).
final class RawGetFixture: @unchecked Sendable {
    let directory: ScratchDirectory
    let raw: RawStore
    let keys: [[UInt8]]
    var next = 0

    init() async throws {
        directory = try ScratchDirectory("rawget")
        let sample = try await ColonyFixture.make(at: directory.child("sample"), events: 1_000, leaves: 50,
                                                  options: ColonyFixture.durableOptions)
        let valueSize = try ColonyFixture.storedContextSize(sample, scope: Workload.scope(leaf: 0))
        sample.close()
        let raw = try RawStore(path: directory.child("raw"), durability: .noSync)
        let value = (0..<valueSize).map { UInt8(truncatingIfNeeded: $0) }
        try raw.env.write { txn in
            for leaf in 0..<Workload.leafScopes {
                try txn.put(raw.views, key: Array(Workload.scope(leaf: leaf).utf8), value: value)
            }
        }
        try raw.env.sync()
        self.raw = raw
        keys = Workload.randomLeaves(ContextReadFixture.mask + 1, leaves: Workload.leafScopes)
            .map { Array(Workload.scope(leaf: $0).utf8) }
        note("raw: \(Workload.leafScopes) keys, values of \(valueSize) bytes")
    }

    func close() {
        raw.close()
        directory.remove()
    }
}
