import LMDB

/// Rebuilding views beside the live ones, then swapping them in.
///
/// A rebuild applies the log to *shadow* tables (`rebuild:<name>` and
/// `rebuild:<name>/<table>`) that keep their own checkpoint (`/rebuild/<name>`
/// in the checkpoints table; no projection name starts with `/`). It goes in
/// chunks, each one write transaction with its checkpoint, so:
/// - readers, and writers in this or other processes, keep using the live view
///   meanwhile; LMDB interleaves their transactions with the chunks;
/// - a rebuild that is stopped (killed, crashed, out of space) resumes from
///   its shadow checkpoint the next time one is started;
/// - the transaction that brings the shadow level with the head of the log
///   also copies it over the live tables and moves the live checkpoint, so a
///   reader sees the old view or the new one, never a mix, and no event is
///   applied to one and not the other.
///
/// The swap copies the view (in key order, appending), so it holds the write
/// lock for as long as a copy of the view takes; it is one transaction, so
/// the largest view it can swap is what LMDB lets one transaction dirty.
///
/// A rebuild that is one chunk anyway (the log fits, nothing to resume) skips
/// the shadow and writes the live tables in its one transaction
/// (`ColonyStore.rebuildInPlace`).
enum ViewRebuild {
    /// The checkpoint key of `view`'s shadow tables.
    static func checkpointKey(of view: String) -> [UInt8] { checkpointPrefix + Array(view.utf8) }
    static let checkpointPrefix = Array("/rebuild/".utf8)

    /// The view a shadow checkpoint key belongs to, or `nil` for a live view's key.
    static func view(ofCheckpointKey key: some Collection<UInt8>) -> String? {
        guard key.starts(with: checkpointPrefix) else { return nil }
        return String(decoding: key.dropFirst(checkpointPrefix.count), as: UTF8.self)
    }

    /// The views whose shadow tables hold a rebuild that was not swapped in, and the position
    /// each reached (read from their checkpoints).
    static func unfinished(_ layout: StoreLayout, _ txn: some TransactionReading) throws -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        try txn.scan(layout.checkpoints, prefix: checkpointPrefix) { key, value in
            if let view = view(ofCheckpointKey: key), value.count == 12 { out[view] = Bytes.readUInt64LE(value, at: 0) }
            return true
        }
        return out
    }

    /// Named databases a store needs for `projections` and their shadow tables.
    static func databaseCount(_ projections: [any Projection]) -> Int {
        2 * projections.reduce(0) { $0 + 1 + $1.tables.count }
    }

    /// Opens (creating) the shadow tables of `live`, as a set whose checkpoints are the shadow ones.
    static func openShadows(of live: [ProjectionSet.Entry], env: Environment, log: EventLog) throws -> ProjectionSet {
        let entries = try live.map { entry in
            var extra: [String: Database] = [:]
            for t in entry.projection.tables {
                extra[t] = try env.openDatabase(named: "rebuild:\(entry.name)/\(t)", flags: .create)
            }
            return ProjectionSet.Entry(projection: entry.projection,
                                       main: try env.openDatabase(named: "rebuild:\(entry.name)", flags: .create),
                                       extra: extra, checkpointKey: checkpointKey(of: entry.name))
        }
        return ProjectionSet(entries: entries, log: log)
    }

    /// Keeps each shadow whose checkpoint was made by the projection's current version (an
    /// interrupted rebuild, resumed) and empties the others; returns where each one starts.
    static func prepare(_ shadows: ProjectionSet, _ txn: WriteTransaction) throws -> [String: UInt64] {
        var start: [String: UInt64] = [:]
        for entry in shadows.entries {
            if let cp = try shadows.checkpoint(entry, txn), cp.version == entry.projection.version,
               cp.position <= (try shadows.log.head(txn)) {
                start[entry.name] = cp.position
            } else {
                try shadows.reset(entry, txn)
                start[entry.name] = 0
            }
        }
        return start
    }

    /// Replaces each live view's tables with its shadow's and moves the live checkpoint to the
    /// shadow's, then empties the shadows. Returns the entries copied.
    static func swap(_ shadows: ProjectionSet, into live: [ProjectionSet.Entry], set liveSet: ProjectionSet,
                     _ txn: WriteTransaction) throws -> Int {
        var copied = 0
        for (shadow, target) in zip(shadows.entries, live) {
            guard let cp = try shadows.checkpoint(shadow, txn) else {
                throw StoreError.corruptView(view: "checkpoints", key: "/rebuild/\(shadow.name)", reason: "missing at the swap")
            }
            for (from, to) in zip(shadow.allTables, target.allTables) {
                try txn.clear(to.database)
                // The shadow is read in key order, so every put appends (no page splits in the middle).
                try txn.scan(from.database, prefix: []) { key, value in
                    try txn.put(to.database, key: key, value: value, flags: .append)
                    copied += 1
                    return true
                }
                try txn.clear(from.database)
            }
            try liveSet.setCheckpoint(target, cp, txn)
            try txn.delete(shadows.log.layout.checkpoints, key: shadow.checkpointKey)
        }
        return copied
    }
}
