import Foundation
import LMDB
import Synchronization

/// An event-sourced store: an append-only log in LMDB and the materialized
/// views that projections keep from it, updated in the same transaction.
///
/// ```swift
/// let store = try ColonyStore.open(at: "/var/lib/colony")
/// let result = try await store.append(NewEvent(stream: "orders/42", kind: "created",
///                                              payload: Array(#"{"total":12}"#.utf8)))
/// let events = try store.read(from: 1, limit: 100)
/// for try await e in store.subscribe(after: result.lastPosition) { ... }
/// store.close()
/// ```
///
/// One `ColonyStore` per store directory per process; several processes may
/// open the same directory, and LMDB serialises their writes.
public final class ColonyStore: Sendable {
    /// The options the store was opened with.
    public let options: StoreOptions
    /// The store's directory.
    public var path: String { env.path }

    let env: Environment
    let layout: StoreLayout
    let log: EventLog
    let projections: ProjectionSet
    let writer: GroupCommitWriter?
    let headWatcher: HeadWatcher
    /// Process-local state that modules built on the store keep per store handle.
    package let attachments = StoreAttachments()
    private let state = ClosedFlag()

    /// Opens (creating if needed) the store in directory `path`.
    ///
    /// Views whose projection version changed, or that are behind the log, are
    /// brought up to date before this returns. A store opened for writing starts its
    /// writer thread here; if the process cannot have one (its or its container's thread
    /// limit), this throws `StoreError.storage` with the system's `errno` (`EAGAIN`).
    public static func open(at path: String, options: StoreOptions = StoreOptions(),
                            projections: [any Projection] = []) throws -> ColonyStore {
        try ColonyStore(path: path, options: options, projections: projections)
    }

    private init(path: String, options: StoreOptions, projections: [any Projection]) throws {
        guard !path.isEmpty else { throw StoreError.invalidArgument("the store path is empty") }
        self.options = options
        var envOptions = Environment.Options()
        envOptions.mapSizeBytes = options.mapSizeBytes
        envOptions.maxMapSizeBytes = max(options.maxMapSizeBytes, options.mapSizeBytes)
        envOptions.maxDatabases = 16 + UInt32(ViewRebuild.databaseCount(projections))
        envOptions.readOnly = options.readOnly
        envOptions.durability = options.durability == .durable ? .durable : .noSync
        if options.readOnly { try ColonyStore.checkIsStore(path) }
        let env: Environment
        do {
            env = try Environment(path: path, options: envOptions)
        } catch let e as LMDBError where e.code == LMDBError.invalid {
            throw StoreError.notAStore(path: path, reason: "data.mdb is not an LMDB file")
        } catch let e as LMDBError {
            throw StoreError.storage(e)
        }
        do {
            let layout: StoreLayout
            do {
                layout = try StoreError.wrap { try StoreLayout.open(env) }
            } catch StoreError.storage(let e) where options.readOnly && e.code == LMDBError.notFound {
                throw StoreError.notAStore(path: path, reason: "an LMDB environment without Colony's databases")
            }
            let log = EventLog(layout: layout)
            let set = try StoreError.wrap { try ProjectionSet.open(projections, env: env, log: log) }
            if !options.readOnly {
                // Rebuild or catch up views before serving anything.
                try ColonyStore.catchUp(set, env: env, log: log, chunk: options.writer.rebuildChunkEvents)
            }
            let head = try StoreError.wrap { try env.read { try log.head($0) } }
            self.env = env
            self.layout = layout
            self.log = log
            self.projections = set
            let watcher = HeadWatcher(head: head, pollIntervalMilliseconds: options.subscriptionPollIntervalMilliseconds) {
                try? env.read { try log.head($0) }
            }
            self.headWatcher = watcher
            self.writer = options.readOnly ? nil : try StoreError.wrap { try GroupCommitWriter(
                env: env, log: log, projections: set, options: options.writer,
                durability: options.durability, onCommit: { watcher.advanced(to: $0) }) }
        } catch {
            env.close()
            throw error
        }
    }

    deinit { close() }

    /// Refuses, before LMDB creates anything, a path that holds no store: a read-only
    /// open must not leave a `lock.mdb` in a directory that is not a store.
    static func checkIsStore(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StoreError.notAStore(path: path, reason: "no such directory")
        }
        guard isDirectory.boolValue else { throw StoreError.notAStore(path: path, reason: "not a directory") }
        var info = stat()
        guard stat(path + "/data.mdb", &info) == 0 else {
            throw StoreError.notAStore(path: path, reason: "the directory has no data.mdb")
        }
        // LMDB reports an empty data.mdb opened read-only as EBADF ("Bad file descriptor").
        if info.st_size == 0 {
            throw StoreError.notAStore(path: path, reason: """
                data.mdb is empty: the store was never completely created (a crash or power cut while \
                it was being made); the first write to it (colony log, colony serve) creates it
                """)
        }
    }

    /// Whether `close()` was called.
    public var isClosed: Bool { state.isSet }

    /// Commits what is queued, stops the writer, ends subscriptions and closes the files.
    public func close() {
        guard state.set() else { return }
        writer?.stop()
        headWatcher.close()
        env.close()
    }

    // MARK: Appending

    /// Appends a batch of events atomically: all are committed or none.
    ///
    /// - `expectedVersion` is checked against the stream of the batch's last
    ///   event (all events must share one stream unless it is `.any`).
    /// - Events whose id is already in the log are not written again; their
    ///   original positions are returned. A batch wholly made of such events
    ///   succeeds without checking `expectedVersion` (it is a retry).
    /// - Returns once the batch is committed with the store's durability.
    ///
    /// Throws `StoreError`: bad input (nothing queued), `wrongExpectedVersion`,
    /// `eventIDConflict`, `overloaded` or `shed` (retryable), `closed`.
    @discardableResult
    public func append(_ events: [NewEvent], expectedVersion: ExpectedVersion = .any) async throws -> AppendResult {
        let writer = try checkAppend(events, expectedVersion: expectedVersion)
        return try await writer.submit(events, expected: expectedVersion)
    }

    /// Appends a batch, as `append(_:expectedVersion:)` does, and hands the outcome to
    /// `completion` instead of to an awaiting task: for callers that are not async, and for
    /// servers that answer a request from the writer's thread itself, without a hop to
    /// another thread.
    ///
    /// `completion` is called exactly once: for a bad batch, before this returns; for a
    /// low-priority one `shed`, on the thread of the append that shed it (this one, or a
    /// later one that needed its room); for one refused as `overloaded` (its wait
    /// for room in the queue ran out), on a timer task's; once the batch is committed
    /// (durably, in durable mode) or failed in its transaction, on the writer's thread. Keep
    /// it short and never wait in it for another append of this store: the writer commits
    /// nothing while it runs.
    ///
    /// ```swift
    /// store.append([event]) { result in
    ///     if case .success(let appended) = result { print("at", appended.lastPosition) }
    /// }
    /// ```
    public func append(_ events: [NewEvent], expectedVersion: ExpectedVersion = .any,
                       completion: @escaping @Sendable (Result<AppendResult, Error>) -> Void) {
        let writer: GroupCommitWriter
        do {
            writer = try checkAppend(events, expectedVersion: expectedVersion)
        } catch {
            completion(.failure(error))
            return
        }
        writer.submit(events, expected: expectedVersion, completion: completion)
    }

    /// The writer, once the batch passed the checks every append makes before it is queued.
    private func checkAppend(_ events: [NewEvent], expectedVersion: ExpectedVersion) throws -> GroupCommitWriter {
        guard let writer else { throw StoreError.invalidArgument("the store was opened read-only") }
        guard !events.isEmpty else { throw StoreError.invalidArgument("an append needs at least one event") }
        if isClosed { throw StoreError.closed }
        for e in events { try EventValidation.check(e, options: options) }
        if expectedVersion != .any, let first = events.first?.stream, events.contains(where: { $0.stream != first }) {
            throw StoreError.invalidArgument("an expected version needs every event of the batch in one stream")
        }
        return writer
    }

    /// Appends one event. See `append(_:expectedVersion:)`.
    @discardableResult
    public func append(_ event: NewEvent, expectedVersion: ExpectedVersion = .any) async throws -> AppendResult {
        try await append([event], expectedVersion: expectedVersion)
    }

    // MARK: Reading

    /// The position of the last committed event; 0 when the log is empty.
    public func headPosition() throws -> UInt64 {
        try read { try log.head($0) }
    }

    /// The event at `position`, or `nil` if there is none.
    public func event(at position: UInt64) throws -> RecordedEvent? {
        try read { try log.event(at: position, $0) }
    }

    /// Up to `limit` events from `position` (inclusive) forward or backward by global position.
    public func read(from position: UInt64, direction: ReadDirection = .forward, limit: Int = 1_000) throws -> [RecordedEvent] {
        try read { txn in
            var out: [RecordedEvent] = []
            try log.scan(from: position, direction: direction, limit: limit, txn) { out.append($0); return true }
            return out
        }
    }

    /// Up to `limit` events of `stream` from `version` (inclusive), forward or backward.
    /// Without `version`, forward reads start at the first event and backward reads at the last.
    public func readStream(_ stream: String, from version: UInt64? = nil, direction: ReadDirection = .forward,
                           limit: Int = 1_000) throws -> [RecordedEvent] {
        try read { txn in
            let name = Array(stream.utf8)
            guard let s = try log.stream(name, txn), limit > 0 else { return [] }
            var out: [RecordedEvent] = []
            out.reserveCapacity(min(limit, 1_024))
            func event(_ p: UInt64, version v: UInt64) throws -> RecordedEvent {
                guard let e = try log.event(at: p, txn) else {
                    throw StoreError.corruptView(view: "stream-positions", key: "\(stream)@\(v)", reason: "points at missing position \(p)")
                }
                guard e.streamVersion == v, e.streamBytes.elementsEqual(name) else {
                    throw StoreError.corruptView(view: "stream-links", key: "\(stream)@\(v)",
                                                 reason: "leads to position \(p), version \(e.streamVersion) of stream \(e.stream)")
                }
                return e
            }
            switch direction {
            case .forward:
                // Run by run: each ends at a stream-positions entry or at the head.
                var v = max(version ?? 1, 1)
                while out.count < limit && v <= s.version {
                    let run = try log.positionRun(of: s, from: v, txn)
                    for p in run.prefix(limit - out.count) {
                        out.append(try event(p, version: v))
                        v += 1
                    }
                }
            case .backward:
                var v = min(version ?? s.version, s.version)
                guard v >= 1 else { return [] }
                var p = try log.positionRun(of: s, from: v, txn)[0]
                while true {
                    out.append(try event(p, version: v))
                    guard out.count < limit, v > 1 else { break }
                    p = try log.previous(of: p, version: v, streamID: s.id, txn)
                    v -= 1
                }
            }
            return out
        }
    }

    /// The version of the stream's last event, or `nil` if the stream has none.
    public func streamVersion(_ stream: String) throws -> UInt64? {
        try read { try log.stream(Array(stream.utf8), $0)?.version }
    }

    /// The position an event id was committed at, or `nil`.
    public func position(of id: EventID) throws -> UInt64? {
        try read { try log.position(of: id, $0) }
    }

    /// Committed events after `position`: the log's, then live ones. See `EventSubscription`.
    public func subscribe(after position: UInt64 = 0) -> EventSubscription {
        EventSubscription(store: self, after: position, chunk: 512)
    }

    /// Returns once the log's head is past `position` (a commit by this or any
    /// other process on the store), the task is cancelled, or the store closes.
    /// Other processes' commits are noticed within `subscriptionPollIntervalMilliseconds`.
    public func waitForCommit(after position: UInt64) async {
        await headWatcher.wait(after: position)
    }

    /// Asks the kernel to read the store's file into memory in the background, unless it
    /// is larger than half the machine's memory; returns whether it asked. Pages are
    /// otherwise read one at a time as they are first touched (the map is opened without
    /// read-ahead, so the page cache keeps the file in 4 KB pieces and a commit writes only
    /// the pages it changed). A program about to read most of the store, or to serve it
    /// for long, calls this first; export, verify, rebuild and backup do.
    ///
    /// ```swift
    /// let store = try Colony.open(at: "/var/lib/colony")
    /// store.warmPageCache()
    /// ```
    @discardableResult
    public func warmPageCache() -> Bool {
        (try? env.adviseWillNeed()) ?? false
    }

    // MARK: Views

    /// Runs `body` with read access to a projection's view, in one read transaction.
    ///
    /// This is the O(1) read path: `withValue` hands out the stored bytes without copying.
    public func withView<T>(_ name: String, _ body: (ViewReader) throws -> T) throws -> T {
        guard let entry = projections.entry(named: name) else { throw StoreError.unknownView(name) }
        return try read { txn in try body(ViewReader(txn: txn, main: entry.main, extra: entry.extra)) }
    }

    /// `withView`, with the log readable in the same read transaction: the view's applied
    /// position and the events after it, for a process-local cache of the view.
    package func withViewAndLog<T>(_ name: String, _ body: (ViewReader, ViewLog) throws -> T) throws -> T {
        guard let entry = projections.entry(named: name) else { throw StoreError.unknownView(name) }
        return try read { txn in
            try body(ViewReader(txn: txn, main: entry.main, extra: entry.extra),
                     ViewLog(txn: txn, log: log, checkpointKey: entry.checkpointKey))
        }
    }

    // MARK: Internals

    /// Brings `set` level with the log in chunks of at most `chunk` events, each one
    /// transaction with its checkpoints; halves the chunk when LMDB finds a transaction
    /// too large. `onRun` hears each projection's position after each run it applied
    /// (with the head); `whenCurrent` runs inside the transaction that brings the set
    /// level with the head, before it commits.
    static func catchUp(_ set: ProjectionSet, env: Environment, log: EventLog, chunk: Int,
                        onRun: ((ProjectionSet.Entry, UInt64, UInt64) -> Void)? = nil,
                        whenCurrent: ((WriteTransaction) throws -> Void)? = nil) throws {
        guard !set.entries.isEmpty else { return }
        var budget = max(chunk, 1)
        var current = false
        while !current {
            do {
                current = try StoreError.wrap {
                    try env.write { txn in
                        let head = try log.head(txn)
                        let done = try set.advance(txn, headBefore: head, newEvents: [], catchUpBudget: budget,
                                                   onRun: onRun.map { f in { f($0, $1, head) } })
                        if done { try whenCurrent?(txn) }
                        return done
                    }
                }
            } catch StoreError.storage(let e) where e.code == LMDBError.transactionFull && budget > 1 {
                budget /= 2
            }
        }
    }

    func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        if isClosed { throw StoreError.closed }
        return try StoreError.wrap { try env.read(body) }
    }
}

/// Process-local objects kept per store handle, one per type, made on first use: how a module
/// built on the store (ColonySwarm's roster cache) keeps state with the handle it serves,
/// and drops it with the handle.
package final class StoreAttachments: Sendable {
    private let objects = Mutex<[ObjectIdentifier: any Sendable]>([:])

    package init() {}

    /// The handle's object of type `T`, made by `make` the first time.
    package func object<T: AnyObject & Sendable>(_ type: T.Type = T.self, _ make: () -> T) -> T {
        objects.withLock { objects in
            if let existing = objects[ObjectIdentifier(T.self)] as? T { return existing }
            let made = make()
            objects[ObjectIdentifier(T.self)] = made
            return made
        }
    }
}

/// A flag set once, safely from any thread.
final class ClosedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    /// Sets the flag; returns false if it was set already.
    func set() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if value { return false }
        value = true
        return true
    }
}
