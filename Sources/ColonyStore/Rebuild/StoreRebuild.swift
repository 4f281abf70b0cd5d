import LMDB

extension ColonyStore {
    /// Rebuilds one view (or every registered view, for `nil`) from the log beside the live
    /// one, then swaps it in atomically.
    ///
    /// Readers and writers, in this process or others, keep using the live view until the
    /// swap: the rebuild applies the log to shadow tables in chunks of
    /// `StoreOptions.Writer.rebuildChunkEvents` events, each one transaction with its own
    /// checkpoint, and the transaction that catches the shadow up with the head of the log
    /// copies it over the live tables. A rebuild that was stopped part-way resumes from its
    /// last chunk when this is called again (`RebuildReport.resumedFrom`). See `ViewRebuild`.
    ///
    /// When the whole log fits in one chunk and there is no interrupted rebuild to resume, the
    /// rebuild is that one transaction, and it writes the live tables directly: emptied, then
    /// rebuilt, committed together. Readers see the same as with the swap (the old view until
    /// the commit, then the new one), for half the writing and no copy.
    ///
    /// `chunkEvents` (default `StoreOptions.Writer.rebuildChunkEvents`) bounds how long each
    /// chunk holds the write lock, and so how long appends wait behind it; larger chunks
    /// rebuild faster.
    ///
    /// ```swift
    /// let report = try store.rebuild(view: "context") { p in
    ///     print("\(p.view): \(p.eventsApplied) of \(p.eventsTotal)")
    /// }
    /// print("swapped in at position \(report.position)")
    /// ```
    @discardableResult
    public func rebuild(view name: String? = nil, chunkEvents: Int? = nil,
                        progress: ((RebuildProgress) -> Void)? = nil) throws -> RebuildReport {
        guard !options.readOnly else { throw StoreError.invalidArgument("the store was opened read-only") }
        if isClosed { throw StoreError.closed }  // env.write on a closed environment would use a freed handle
        let live = try name.map { n in
            guard let e = projections.entry(named: n) else { throw StoreError.unknownView(n) }
            return [e]
        } ?? projections.entries
        guard !live.isEmpty else {
            return RebuildReport(views: [], resumedFrom: [:], eventsApplied: 0, logEvents: 0, position: try headPosition(), entriesSwapped: 0)
        }
        warmPageCache()
        let shadows = try StoreError.wrap { try ViewRebuild.openShadows(of: live, env: env, log: log) }
        let chunk = chunkEvents ?? options.writer.rebuildChunkEvents
        if let report = try rebuildInPlace(live, shadows: shadows, chunk: chunk, progress: progress) { return report }
        let start = try StoreError.wrap { try env.write { try ViewRebuild.prepare(shadows, $0) } }

        var reached = start
        var applied: UInt64 { reached.reduce(0) { $0 + $1.value - start[$1.key]! } }
        var swapped = 0
        var position: UInt64 = 0
        let earliest = start.values.min() ?? 0
        let views = UInt64(live.count)
        func report(_ phase: RebuildProgress.Phase, _ view: String, head: UInt64) {
            let total = max(start.values.reduce(0) { $0 + (head > $1 ? head - $1 : 0) }, applied)
            progress?(RebuildProgress(phase: phase, view: view, position: reached[view] ?? 0, head: head,
                                      eventsApplied: applied, eventsTotal: total,
                                      logEventsApplied: applied / views, logEventsTotal: max(head > earliest ? head - earliest : 0, applied / views)))
        }
        try ColonyStore.catchUp(
            shadows, env: env, log: log, chunk: chunk,
            onRun: { entry, at, head in
                reached[entry.name] = at
                report(.applying, entry.name, head: head)
            },
            whenCurrent: { txn in
                position = try self.log.head(txn)
                for entry in shadows.entries { reached[entry.name] = position }
                report(.swapping, live[0].name, head: position)
                swapped = try ViewRebuild.swap(shadows, into: live, set: self.projections, txn)
            })
        return RebuildReport(views: live.map(\.name), resumedFrom: start, eventsApplied: applied,
                             logEvents: position > earliest ? position - earliest : 0, position: position, entriesSwapped: swapped)
    }

    /// The rebuild when it is one transaction: the log fits in one chunk and no shadow holds an
    /// interrupted rebuild to resume. The live tables are then emptied and the whole log applied
    /// to them in that transaction, which readers see as they see the swap (the old view until it
    /// commits, then the new one), and which writes the view once instead of into the shadow and
    /// again into the live tables, without the copy: the copy and the second write were a quarter
    /// of a rebuild of 1,000,000 events (docs/PERFORMANCE.md). Returns nil, having changed
    /// nothing, when the rebuild needs more than one transaction (`ViewRebuild`).
    private func rebuildInPlace(_ live: [ProjectionSet.Entry], shadows: ProjectionSet, chunk: Int,
                                progress: ((RebuildProgress) -> Void)?) throws -> RebuildReport? {
        let target = ProjectionSet(entries: live, log: log)
        let views = UInt64(live.count)
        do {
            return try StoreError.wrap {
                try env.write { txn -> RebuildReport? in
                    let head = try log.head(txn)
                    guard head <= UInt64(max(chunk, 1)) else { return nil }
                    for shadow in shadows.entries {
                        if let cp = try shadows.checkpoint(shadow, txn), cp.version == shadow.projection.version,
                           cp.position > 0, cp.position <= head { return nil }  // resumed by the chunked path
                    }
                    var reached: [String: UInt64] = [:]
                    func report(_ phase: RebuildProgress.Phase, _ view: String) {
                        let applied = reached.values.reduce(0, +)
                        progress?(RebuildProgress(phase: phase, view: view, position: reached[view] ?? 0, head: head,
                                                  eventsApplied: applied, eventsTotal: head * views,
                                                  logEventsApplied: applied / views, logEventsTotal: head))
                    }
                    for shadow in shadows.entries {
                        for table in shadow.allTables { try txn.clear(table.database) }
                        try txn.delete(log.layout.checkpoints, key: shadow.checkpointKey)
                    }
                    for entry in target.entries { try target.reset(entry, txn) }
                    let current = try target.advance(txn, headBefore: head, newEvents: [], catchUpBudget: max(chunk, 1)) { entry, at in
                        reached[entry.name] = at
                        report(.applying, entry.name)
                    }
                    guard current else { throw StoreError.invalidArgument("a rebuild in one transaction did not reach the head \(head)") }
                    for entry in target.entries { reached[entry.name] = head }
                    report(.swapping, live[0].name)
                    let entries = try target.entries.reduce(0) { n, e in try e.allTables.reduce(n) { try $0 + txn.count($1.database) } }
                    return RebuildReport(views: live.map(\.name), resumedFrom: Dictionary(uniqueKeysWithValues: live.map { ($0.name, 0) }),
                                         eventsApplied: head * views, logEvents: head, position: head, entriesSwapped: entries)
                }
            }
        } catch StoreError.storage(let e) where e.code == LMDBError.transactionFull {
            return nil  // too much for one transaction: in chunks, beside the live view
        }
    }

    /// Views with a rebuild that was started and not swapped in (it stopped part-way), and
    /// the position each one's shadow tables reached. `rebuild` resumes them.
    public func unfinishedRebuilds() throws -> [String: UInt64] {
        try read { try ViewRebuild.unfinished(layout, $0) }
    }
}
