import LMDB

/// The projections registered with a store, their tables and checkpoints.
///
/// Each projection's checkpoint (the last position applied, and the projection
/// version that applied it) is written in the same transaction as its view
/// changes. A projection that is behind the log (a new projection, a changed
/// version, another process that appended without it, an interrupted rebuild)
/// catches up from its checkpoint in bounded chunks, each its own
/// transaction, so catching up resumes wherever it was stopped.
final class ProjectionSet: Sendable {
    struct Entry: Sendable {
        let projection: any Projection
        let main: Database
        let extra: [String: Database]
        /// The key of the entry's checkpoint: the projection's name, or for a rebuild's
        /// shadow tables `ViewRebuild.checkpointKey(of:)`.
        let checkpointKey: [UInt8]
        var name: String { projection.name }

        init(projection: any Projection, main: Database, extra: [String: Database], checkpointKey: [UInt8]? = nil) {
            self.projection = projection
            self.main = main
            self.extra = extra
            self.checkpointKey = checkpointKey ?? Array(projection.name.utf8)
        }

        /// Every table of the entry: the main one and the extra ones in name order.
        var allTables: [(table: String?, database: Database)] {
            [(nil, main)] + extra.keys.sorted().map { ($0, extra[$0]!) }
        }
    }

    struct Checkpoint: Equatable, Sendable {
        var position: UInt64
        var version: UInt32
    }

    let entries: [Entry]
    let log: EventLog
    /// Projections left out of a read-only open because their view does not exist in the store.
    let absent: [String]

    init(entries: [Entry], log: EventLog, absent: [String] = []) {
        self.entries = entries
        self.log = log
        self.absent = absent
    }

    /// Opens (creating) each projection's tables.
    static func open(_ projections: [any Projection], env: Environment, log: EventLog) throws -> ProjectionSet {
        var seen = Set<String>()
        for p in projections {
            guard !p.name.isEmpty, !p.name.contains("/"), p.name.utf8.count <= 100 else {
                throw StoreError.invalidArgument("projection name \"\(p.name)\" must be 1-100 bytes without '/'")
            }
            guard seen.insert(p.name).inserted else { throw StoreError.invalidArgument("two projections are named \(p.name)") }
        }
        let open: (String) throws -> Database = { name in
            try env.openDatabase(named: name, flags: env.options.readOnly ? [] : .create)
        }
        var entries: [Entry] = []
        var absent: [String] = []
        for p in projections {
            do {
                var extra: [String: Database] = [:]
                for t in p.tables { extra[t] = try open("view:\(p.name)/\(t)") }
                entries.append(Entry(projection: p, main: try open("view:\(p.name)"), extra: extra))
            } catch let e as LMDBError where e.code == LMDBError.notFound && env.options.readOnly {
                // A read-only open cannot create a view no writer has made yet; leave it out.
                absent.append(p.name)
            }
        }
        return ProjectionSet(entries: entries, log: log, absent: absent)
    }

    func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    func checkpoint(_ entry: Entry, _ txn: some TransactionReading) throws -> Checkpoint? {
        guard let raw = try txn.get(log.layout.checkpoints, key: entry.checkpointKey) else { return nil }
        guard raw.count == 12 else {
            throw StoreError.corruptView(view: "checkpoints", key: entry.name, reason: "value of \(raw.count) bytes")
        }
        return Checkpoint(position: Bytes.readUInt64LE(raw, at: 0), version: Bytes.readUInt32LE(raw, at: 8))
    }

    func setCheckpoint(_ entry: Entry, _ cp: Checkpoint, _ txn: WriteTransaction) throws {
        try txn.put(log.layout.checkpoints, key: entry.checkpointKey,
                    value: Bytes.uint64LE(cp.position) + Bytes.uint32LE(cp.version))
    }

    /// Empties a projection's tables and sets its checkpoint to the start of the log.
    func reset(_ entry: Entry, _ txn: WriteTransaction) throws {
        try txn.clear(entry.main)
        for db in entry.extra.values { try txn.clear(db) }
        try setCheckpoint(entry, Checkpoint(position: 0, version: entry.projection.version), txn)
    }

    /// Brings every projection up to date with the events of this transaction.
    ///
    /// `headBefore` is the log's head before `newEvents` were appended. A
    /// projection at `headBefore` applies `newEvents`; one further behind first
    /// catches up by at most `catchUpBudget` events and applies the new events
    /// only if that brought it level (otherwise a later transaction does).
    /// Returns whether every projection is now at the head. `onRun` hears each
    /// projection's position after each run of catch-up events it applied.
    @discardableResult
    func advance(_ txn: WriteTransaction, headBefore: UInt64, newEvents: [RecordedEvent], catchUpBudget: Int,
                 onRun: ((Entry, UInt64) -> Void)? = nil) throws -> Bool {
        var allCurrent = true
        for entry in entries {
            var cp = try checkpoint(entry, txn) ?? Checkpoint(position: 0, version: entry.projection.version)
            if cp.version != entry.projection.version {
                try reset(entry, txn)
                cp = Checkpoint(position: 0, version: entry.projection.version)
            }
            let writer = ViewWriter(txn: txn, main: entry.main, extra: entry.extra)
            var session = entry.projection.makeSession(writer)
            let start = cp
            if cp.position < headBefore {
                let target = min(headBefore, cp.position + UInt64(max(catchUpBudget, 1)))
                // Stream the missed events in runs so memory stays bounded however far behind the view is.
                var run: [RecordedEvent] = []
                run.reserveCapacity(ProjectionSet.runLength)
                var last = cp.position
                try log.scan(from: cp.position + 1, direction: .forward, limit: Int(target - cp.position), txn) { e in
                    run.append(e)
                    last = e.position
                    if run.count == ProjectionSet.runLength {
                        try applyOrFail(entry, run, &session)
                        run.removeAll(keepingCapacity: true)
                        onRun?(entry, last)
                    }
                    return true
                }
                if !run.isEmpty {
                    try applyOrFail(entry, run, &session)
                    onRun?(entry, last)
                }
                guard last == target else {
                    throw StoreError.corruptRecord(position: last + 1, reason: "missing from the log during catch-up")
                }
                cp.position = target
            }
            if cp.position == headBefore, let lastNew = newEvents.last {
                try applyOrFail(entry, newEvents, &session)
                cp.position = lastNew.position
            }
            try finishOrFail(entry, &session)
            if cp != start { try setCheckpoint(entry, cp, txn) }
            if cp.position < (newEvents.last?.position ?? headBefore) { allCurrent = false }
        }
        return allCurrent
    }

    /// Events handed to a projection session at a time during catch-up.
    static let runLength = 4_096

    private func finishOrFail(_ entry: Entry, _ session: inout any ProjectionSession) throws {
        do {
            try session.finish()
        } catch let error as StoreError {
            throw error
        } catch let error as LMDBError {
            throw error
        } catch {
            throw StoreError.projectionFailed(name: entry.name, reason: "\(error)")
        }
    }

    private func applyOrFail(_ entry: Entry, _ events: [RecordedEvent], _ session: inout any ProjectionSession) throws {
        do {
            try session.apply(events)
        } catch let error as StoreError {
            throw error
        } catch let error as LMDBError {
            throw error  // map full and the like: the writer retries the transaction
        } catch {
            throw StoreError.projectionFailed(name: entry.name, reason: "\(error)")
        }
    }

    /// The lag of each projection behind `head`.
    func lags(_ txn: some TransactionReading, head: UInt64) throws -> [(name: String, version: UInt32, position: UInt64, stale: Bool)] {
        try entries.map { e in
            let cp = try checkpoint(e, txn)
            return (e.name, e.projection.version, cp?.position ?? 0, cp == nil || cp!.version != e.projection.version)
        }
    }
}
