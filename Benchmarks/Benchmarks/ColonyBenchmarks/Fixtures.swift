import ColonyContext
import ColonyStore
import Foundation
import LMDB

/// A directory under `$COLONY_BENCH_DIR` (default `/tmp`) removed by `remove()`.
final class ScratchDirectory: Sendable {
    let path: String

    init(_ label: String) throws {
        let base = ProcessInfo.processInfo.environment["COLONY_BENCH_DIR"] ?? NSTemporaryDirectory()
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast())
        template.append(contentsOf: "colony-bench-\(label)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: made)
    }

    /// A path inside the directory (not created).
    func child(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Prints a line about a fixture to standard error, so the reader of a run sees what was measured.
func note(_ message: String) {
    FileHandle.standardError.write(Data(("  [colony-bench] " + message + "\n").utf8))
}

/// Colony stores with the context view, filled with `Workload` events.
enum ColonyFixture {
    /// Options for filling a store fast: commits are not synced (setup only).
    static var bufferedOptions: StoreOptions {
        var options = StoreOptions()
        options.durability = .buffered(syncIntervalMilliseconds: 100)
        options.mapSizeBytes = 8 << 30
        return options
    }

    /// The default, durable options, with a map large enough that no benchmark grows it.
    static var durableOptions: StoreOptions {
        var options = StoreOptions()
        options.mapSizeBytes = 8 << 30
        return options
    }

    /// Creates the store in `path` with `events` events over `leaves` leaf scopes
    /// (appended in batches of 1,000, buffered), closes it and reopens it with `options`.
    static func make(at path: String, events: Int, leaves: Int, options: StoreOptions) async throws -> ColonyStore {
        if events > 0 {
            let started = ContinuousClock.now
            let store = try Colony.open(at: path, options: bufferedOptions)
            try await fill(store, events: 0..<events, leaves: leaves)
            store.close()
            note("filled \(path) with \(events) events over \(leaves) leaf scopes in \(ContinuousClock.now - started)")
        }
        return try Colony.open(at: path, options: options)
    }

    /// Appends events `range` in batches of 1,000, four batches in flight.
    static func fill(_ store: ColonyStore, events range: Range<Int>, leaves: Int) async throws {
        let batchSize = 1_000
        let inFlight = 4
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = range.lowerBound
            var running = 0
            while next < range.upperBound || running > 0 {
                while running < inFlight && next < range.upperBound {
                    let batch = next..<min(next + batchSize, range.upperBound)
                    group.addTask { try await store.append(Workload.batch(batch, leaves: leaves)) }
                    next = batch.upperBound
                    running += 1
                }
                try await group.next()
                running -= 1
            }
        }
    }

    /// Size in bytes of the stored context of `scope`: its head value and its body value
    /// (stored under the scope and the scope + 0x00; docs/storage-format.md).
    static func storedContextSize(_ store: ColonyStore, scope: String) throws -> Int {
        let key = Array(scope.utf8)
        return try store.withView("context") { view in
            try view.withValue(key) { $0?.count ?? 0 } + view.withValue(key + [0]) { $0?.count ?? 0 }
        }
    }
}

/// A plain LMDB environment written the way the raw baselines write: an
/// `events` database keyed by big-endian position (appended with `MDB_APPEND`)
/// and a `views` database keyed by scope.
final class RawStore: Sendable {
    let env: Environment
    let events: Database
    let views: Database

    init(path: String, durability: Durability) throws {
        var options = Environment.Options()
        options.mapSizeBytes = 8 << 30
        options.durability = durability
        env = try Environment(path: path, options: options)
        events = try env.openDatabase(named: "events", flags: .create)
        views = try env.openDatabase(named: "views", flags: .create)
    }

    /// The raw records of a run of events and their scopes, built outside any measurement.
    struct Batch {
        let first: Int
        let records: [[UInt8]]
        let scopes: [[UInt8]]
    }

    /// Encodes events `range` (position = index + 1) for `commit`.
    func prepare(events range: Range<Int>, leaves: Int) -> Batch {
        Batch(first: range.lowerBound,
              records: range.map { Workload.rawRecord($0, leaves: leaves) },
              scopes: range.map { Array(Workload.scope(event: $0, leaves: leaves).utf8) })
    }

    /// One transaction: each record with `MDB_APPEND`, and `Workload.rawViewValue` put under its scope.
    func commit(_ batch: Batch) throws {
        try env.write { txn in
            for (offset, record) in batch.records.enumerated() {
                try txn.append(events, position: UInt64(batch.first + offset + 1), record: record)
                try txn.put(views, key: batch.scopes[offset], value: Workload.rawViewValue)
            }
        }
    }

    /// Appends events `range` in transactions of `perTransaction` events.
    func append(events range: Range<Int>, leaves: Int, perTransaction: Int) throws {
        var next = range.lowerBound
        while next < range.upperBound {
            let chunk = next..<min(next + perTransaction, range.upperBound)
            try commit(prepare(events: chunk, leaves: leaves))
            next = chunk.upperBound
        }
    }

    func close() { env.close() }
}
