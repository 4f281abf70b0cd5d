import LMDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A materialized view kept up to date with the log.
///
/// The store calls `apply(_:to:)` inside the same write transaction that
/// appends the events, so a reader never sees an event without its effect on
/// the view, and a crash never leaves them apart. Everything a projection
/// writes goes through the `ViewWriter` it is given.
///
/// Rules a projection must keep:
/// - **Deterministic.** The view bytes must depend only on the events, not on
///   how they were split into batches, the clock, or randomness: a rebuild
///   from the log must give exactly the bytes the live updates gave.
/// - **O(1) per event** in the size of the log.
/// - **No state outside the transaction.** A transaction may run twice (when
///   the map grows), so caches live in local variables of `apply`.
///
/// Bump `version` whenever the view's meaning or encoding changes: the store
/// then rebuilds the view from the log when it opens.
///
/// ```swift
/// struct CountByKind: Projection {
///     let name = "count-by-kind"
///     let version: UInt32 = 1
///     func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
///         for e in events {
///             let key = Array(e.kindBytes)
///             let n = try view.get(key).map { $0.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } } ?? 0
///             try view.put(key, withUnsafeBytes(of: n + 1) { Array($0) })
///         }
///     }
/// }
/// let store = try ColonyStore.open(at: path, projections: [CountByKind()])
/// ```
public protocol Projection: Sendable {
    /// Unique within a store; names the view's databases (`view:<name>`).
    var name: String { get }
    /// The view's format; changing it rebuilds the view from the log.
    var version: UInt32 { get }
    /// Extra tables the projection keeps beside its main one (`view:<name>/<table>`).
    var tables: [String] { get }
    /// Applies committed events, in log order, inside the write transaction.
    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws
    /// A session that applies several runs of events in one transaction.
    ///
    /// A catch-up or rebuild feeds a long stretch of the log in runs; a
    /// projection that caches view state can keep it across the runs and write
    /// each key once in `finish()`. The default applies each run with `apply`.
    func makeSession(_ view: ViewWriter) -> any ProjectionSession
}

extension Projection {
    public var tables: [String] { [] }
    public func makeSession(_ view: ViewWriter) -> any ProjectionSession { EachRunSession(projection: self, view: view) }
}

/// Applies runs of events to a view within one write transaction; see `Projection.makeSession(_:)`.
public protocol ProjectionSession {
    /// Applies the next run of committed events, in log order.
    mutating func apply(_ events: [RecordedEvent]) throws
    /// Writes whatever the session kept back. Called once, after the last run.
    mutating func finish() throws
}

/// The default session: each run goes straight to `Projection.apply`.
struct EachRunSession<P: Projection>: ProjectionSession {
    let projection: P
    let view: ViewWriter
    mutating func apply(_ events: [RecordedEvent]) throws { try projection.apply(events, to: view) }
    mutating func finish() throws {}
}

/// A projection's write access to its own tables during `Projection.apply`.
public struct ViewWriter {
    let txn: WriteTransaction
    let main: Database
    let extra: [String: Database]

    /// The value under `key` in the main table (or `table`), copied.
    public func get(_ key: [UInt8], table: String? = nil) throws -> [UInt8]? {
        try txn.getBytes(database(table), key: key)
    }

    /// Runs `body` with the stored bytes under `key`, without copying.
    public func withValue<T>(_ key: [UInt8], table: String? = nil, _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        try body(txn.get(database(table), key: key))
    }

    /// Stores `value` under `key`.
    public func put(_ key: [UInt8], _ value: [UInt8], table: String? = nil) throws {
        try txn.put(database(table), key: key, value: value)
    }

    /// Removes `key`.
    public func delete(_ key: [UInt8], table: String? = nil) throws {
        try txn.delete(database(table), key: key)
    }

    /// `withValue(_:table:_:)` with the key's bytes in place (on the stack, in a record),
    /// where making an array of them would allocate.
    ///
    /// ```swift
    /// let count = try withUnsafeBytes(of: id.bigEndian) { key in try view.withValue(key) { $0?.count ?? 0 } }
    /// ```
    public func withValue<T>(_ key: UnsafeRawBufferPointer, table: String? = nil, _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        try body(txn.get(database(table), key: key))
    }

    /// `put(_:_:table:)` with the key's and the value's bytes in place. LMDB copies them.
    ///
    /// ```swift
    /// try withUnsafeBytes(of: id.bigEndian) { key in try scratch.withUnsafeBytes { try view.put(key, $0) } }
    /// ```
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, table: String? = nil) throws {
        try txn.put(database(table), key: key, value: value)
    }

    /// `delete(_:table:)` with the key's bytes in place.
    public func delete(_ key: UnsafeRawBufferPointer, table: String? = nil) throws {
        try txn.delete(database(table), key: key)
    }

    /// Calls `body` for each entry whose key starts with `prefix`, in key order, until it returns false.
    /// The buffers are valid only inside `body`, and only until the next write.
    public func scan(prefix: [UInt8], table: String? = nil, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try txn.scan(database(table), prefix: prefix, body)
    }

    private func database(_ table: String?) throws -> Database {
        guard let table else { return main }
        guard let db = extra[table] else { throw StoreError.invalidArgument("projection has no table named \(table)") }
        return db
    }
}

/// Read access to a view, for `ColonyStore.withView(_:_:)`.
public struct ViewReader {
    @usableFromInline let txn: ReadTransaction
    @usableFromInline let main: Database
    @usableFromInline let extra: [String: Database]

    init(txn: ReadTransaction, main: Database, extra: [String: Database]) {
        self.txn = txn
        self.main = main
        self.extra = extra
    }

    /// Runs `body` with the stored bytes under `key`, without copying; the
    /// buffer is valid only inside `body`.
    @inlinable
    public func withValue<T>(_ key: [UInt8], table: String? = nil, _ body: (UnsafeRawBufferPointer?) throws -> T) throws -> T {
        try body(txn.get(database(table), key: key))
    }

    /// Runs `body` with the value under `key` (`nil` if absent) and the entry after it in
    /// key order (`nil` at the end): one B-tree descent and one cursor step, nothing copied.
    /// A view that stores a key's companion under the key plus a suffix reads both this way.
    /// Both values are prefetched before `body` runs (see `MapMemory.prefetch`): a caller
    /// that wants less than both whole values should use `withValue`.
    /// The buffers are valid only inside `body`.
    public func withValueAndNext<T>(_ key: [UInt8], table: String? = nil,
                                    _ body: (UnsafeRawBufferPointer?, (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?) throws -> T) throws -> T {
        try txn.withCursor(database(table)) { cursor in
            guard let found = try cursor.seek(atOrAfter: key) else { return try body(nil, nil) }
            let same = found.key.count == key.count && key.withUnsafeBytes { memcmp($0.baseAddress!, found.key.baseAddress!, key.count) == 0 }
            guard same else { return try body(nil, found) }
            let next = try cursor.next()
            MapMemory.prefetch(found.value)
            if let next { MapMemory.prefetch(next.value) }
            return try body(found.value, next)
        }
    }

    /// The value under `key`, copied.
    public func get(_ key: [UInt8], table: String? = nil) throws -> [UInt8]? {
        try txn.getBytes(database(table), key: key)
    }

    /// Calls `body` for each entry whose key starts with `prefix`, in key order, until it returns false.
    public func scan(prefix: [UInt8], table: String? = nil, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try txn.scan(database(table), prefix: prefix, body)
    }

    @usableFromInline
    func database(_ table: String?) throws -> Database {
        guard let table else { return main }
        guard let db = extra[table] else { throw StoreError.invalidArgument("view has no table named \(table)") }
        return db
    }
}

/// The log as seen by a view's read transaction, beside the `ViewReader`: see
/// `ColonyStore.withViewAndLog(_:_:)`. Kept apart from `ViewReader` so that `withView`, the
/// context's hot read path, carries nothing more.
package struct ViewLog {
    let txn: ReadTransaction
    let log: EventLog
    let checkpointKey: [UInt8]

    /// The log position up to which the view reflects the log, in this read transaction: the
    /// view's checkpoint (0 before anything was applied). Every event at or before it is in the
    /// view, none after it. A process-local cache of the view (ColonySwarm's roster) keys on it.
    package func appliedPosition() throws -> UInt64 {
        guard let raw = try txn.get(log.layout.checkpoints, key: checkpointKey) else { return 0 }
        guard raw.count == 12 else {
            throw StoreError.corruptView(view: "checkpoints", key: String(decoding: checkpointKey, as: UTF8.self),
                                         reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw, at: 0)
    }

    /// Up to `limit` committed events from `position` (inclusive) forward, in this read
    /// transaction, calling `body` for each until it returns false.
    package func scan(from position: UInt64, limit: Int, _ body: (RecordedEvent) throws -> Bool) throws {
        try log.scan(from: position, direction: .forward, limit: limit, txn, body)
    }

    /// The event at `position`, in this read transaction.
    package func event(at position: UInt64) throws -> RecordedEvent? {
        try log.event(at: position, txn)
    }
}
