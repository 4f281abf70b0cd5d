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
            shadows, env: env, log: log, chunk: chunkEvents ?? options.writer.rebuildChunkEvents,
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

    /// Views with a rebuild that was started and not swapped in (it stopped part-way), and
    /// the position each one's shadow tables reached. `rebuild` resumes them.
    public func unfinishedRebuilds() throws -> [String: UInt64] {
        try read { try ViewRebuild.unfinished(layout, $0) }
    }
}
