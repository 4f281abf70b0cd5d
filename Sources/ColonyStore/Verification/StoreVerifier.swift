import Foundation
import LMDB

extension ColonyStore {
    /// Checks the whole store against itself, in one read snapshot, writing nothing:
    ///
    /// - every record's structure and checksum, and that positions are dense from 1 to the head;
    /// - each stream's versions are dense from 1 in log order and its head in `streams`;
    /// - the `stream-positions`, `stream-links` and `event-ids` indexes against the log, both
    ///   ways: every entry points at a record that matches, every event id is indexed, and
    ///   every version of a stream can be reached (through its `stream-positions` entry, or by
    ///   the link of the next version or the head position in `streams`);
    /// - `meta` (format, the stream id counter) and every checkpoint;
    /// - each registered view against a rebuild from the log, up to the view's checkpoint, into
    ///   a scratch environment: key by key and byte by byte (`VerifyOptions.checkViews`).
    ///
    /// LMDB keeps no checksums of its own, so this is what catches a flipped byte in a value or
    /// key. Findings name the position or key; views of projections not registered with this
    /// store are listed with a note and not compared.
    ///
    /// The snapshot is a read transaction held for the whole verify: other processes keep
    /// appending meanwhile, but LMDB cannot reuse pages they free until it ends.
    ///
    /// ```swift
    /// let report = try store.verify()
    /// print(report.isClean ? "ok" : report.findings.map(\.description).joined(separator: "\n"))
    /// ```
    public func verify(_ options: VerifyOptions = VerifyOptions(),
                       progress: ((_ phase: String, _ done: UInt64, _ total: UInt64) -> Void)? = nil) throws -> VerifyReport {
        let started = Date()
        warmPageCache()
        var verifier = StoreVerifier(store: self, options: options, progress: progress)
        try read { txn in try verifier.run(txn) }
        var report = verifier.report
        report.durationSeconds = Date().timeIntervalSince(started)
        return report
    }
}

/// The checks of `ColonyStore.verify`, over one read transaction.
struct StoreVerifier {
    let store: ColonyStore
    let options: VerifyOptions
    let progress: ((String, UInt64, UInt64) -> Void)?
    private(set) var report: VerifyReport

    private var layout: StoreLayout { store.layout }

    /// What the log says of one stream.
    private struct StreamTally {
        var id: UInt64?
        var lastVersion: UInt64 = 0
        var lastPosition: UInt64 = 0
        /// Whether the last version has a `stream-positions` entry (if not, the next version's
        /// link or the head position in `streams` is the only way to it).
        var lastIndexed = true
        var events: UInt64 = 0
    }

    private var streams: [[UInt8]: StreamTally] = [:]
    private var corruptPositions: Set<UInt64> = []
    /// The same positions in log order, to count those between two positions.
    private var corruptInOrder: [UInt64] = []
    private var streamPositionsMatched = 0
    private var streamLinksMatched = 0
    private var reportedLinkPositions: Set<UInt64> = []
    private var eventIDsMatched = 0
    /// Index keys already reported by the log pass, so the reverse pass does not repeat them.
    private var reportedStreamPositionKeys: Set<[UInt8]> = []
    private var reportedEventIDKeys: Set<[UInt8]> = []

    init(store: ColonyStore, options: VerifyOptions, progress: ((String, UInt64, UInt64) -> Void)?) {
        self.store = store
        self.options = options
        self.progress = progress
        report = VerifyReport(path: store.path, headPosition: 0, eventsChecked: 0, streamsChecked: 0, views: [],
                              findings: [], findingsOmitted: 0, notes: [], durationSeconds: 0)
    }

    mutating func run(_ txn: ReadTransaction) throws {
        let head = try store.log.head(txn)
        report.headPosition = head
        try checkLog(txn, head: head)
        let idToName = try checkStreams(txn)
        try checkStreamPositions(txn, head: head, idToName: idToName)
        try checkStreamLinks(txn, head: head)
        try checkEventIDs(txn, head: head)
        try checkMeta(txn, maxStreamID: idToName.keys.max() ?? 0)
        try checkViews(txn, head: head)
    }

    private mutating func find(_ area: VerifyReport.Finding.Area, table: String? = nil, position: UInt64? = nil,
                               key: String? = nil, _ message: String) {
        if report.findings.count < options.maxFindings {
            report.findings.append(.init(area: area, table: table, position: position, key: key, message: message))
        } else {
            report.findingsOmitted += 1
        }
    }

    // MARK: The log

    /// Walks every record in key order: positions, checksums, stream versions, and both indexes from the log's side.
    private mutating func checkLog(_ txn: ReadTransaction, head: UInt64) throws {
        var expected: UInt64 = 1
        var indexKey = [UInt8](repeating: 0, count: 16)
        try txn.scan(layout.events, prefix: []) { key, value in
            let e = (key: key, value: value)
            guard e.key.count == 8 else {
                find(.positions, key: KeyText.render(e.key), "an events key of \(e.key.count) bytes (positions are 8)")
                return true
            }
            let position = Bytes.readUInt64BE(e.key)
            if position > expected {
                find(.positions, position: expected,
                     position == expected + 1 ? "missing from the log" : "positions \(expected)...\(position - 1) are missing from the log")
            } else if position < expected {
                find(.positions, position: position, "out of order in the log (after position \(expected - 1))")
            }
            expected = max(expected, position + 1)
            if report.eventsChecked % 65_536 == 0 { progress?("log", position, head) }
            let recordLayout: EventRecord.Layout
            do {
                recordLayout = try EventRecord.validate(position: position, record: e.value)
            } catch StoreError.corruptRecord(_, let reason) {
                find(.record, position: position, reason)
                corruptPositions.insert(position)
                corruptInOrder.append(position)
                return true
            }
            report.eventsChecked += 1
            try checkIndexes(of: e.value, at: position, layout: recordLayout, txn, key: &indexKey)
            return true
        }
        report.streamsChecked = streams.count
        progress?("log", head, head)
    }

    private mutating func checkIndexes(of record: UnsafeRawBufferPointer, at position: UInt64, layout recordLayout: EventRecord.Layout,
                                       _ txn: ReadTransaction, key: inout [UInt8]) throws {
        let name = Array(UnsafeRawBufferPointer(rebasing: record[recordLayout.streamRange]))
        let version = UInt64(littleEndian: record.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        var tally: StreamTally
        if let known = streams[name] {
            tally = known
        } else {
            tally = StreamTally()
            if let raw = try txn.get(layout.streams, key: name), raw.count == 16 || raw.count == 24 {
                tally.id = Bytes.readUInt64LE(raw, at: 0)
            } else {
                find(.streams, position: position, key: KeyText.render(name), "the stream of this record has no valid entry in streams")
            }
        }
        var skipped: UInt64 = 0
        if version != tally.lastVersion + 1 {
            // Versions skipped over corrupt records are those records' versions: they are reported already.
            skipped = version > tally.lastVersion ? version - tally.lastVersion - 1 : .max
            if skipped > corruptCount(after: tally.lastPosition, before: position) {
                find(.record, position: position, key: KeyText.render(name),
                     "stream version \(version) follows version \(tally.lastVersion) of its stream (versions must be dense from 1)")
            }
        }
        let previous = tally
        tally.lastVersion = version
        tally.lastPosition = position
        tally.events += 1
        tally.lastIndexed = false

        if let id = tally.id {
            key.withUnsafeMutableBytes {
                $0.storeBytes(of: id.bigEndian, toByteOffset: 0, as: UInt64.self)
                $0.storeBytes(of: version.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            let indexKey = "\(id)/\(version)"
            switch try txn.get(layout.streamPositions, key: key) {
            case nil:
                break  // format 2 indexes every 64th version; the links reach the others
            case let raw? where raw.count != 8:
                find(.streamPositions, position: position, key: indexKey, "a value of \(raw.count) bytes (positions are 8)")
                reportedStreamPositionKeys.insert(key)
            case let raw?:
                let indexed = Bytes.readUInt64LE(raw)
                if indexed == position {
                    streamPositionsMatched += 1
                    tally.lastIndexed = true
                } else {
                    find(.streamPositions, position: position, key: indexKey, "points at position \(indexed), not at this record")
                    reportedStreamPositionKeys.insert(key)
                }
            }
        }
        streams[name] = tally

        // The link back to the stream's previous event; required when that event has no index entry.
        let expectedLink = version == 1 ? 0 : previous.lastPosition
        let linkText = "\(position)"
        if let links = layout.streamLinks, let raw = try txn.get(links, key: Bytes.uint64BE(position)) {
            if raw.count != 8 {
                find(.streamLinks, position: position, key: linkText, "a value of \(raw.count) bytes (positions are 8)")
                reportedLinkPositions.insert(position)
            } else if skipped == 0 && Bytes.readUInt64LE(raw) != expectedLink {
                find(.streamLinks, position: position, key: linkText,
                     "points at position \(Bytes.readUInt64LE(raw)), but version \(version - 1) of stream \(KeyText.render(name)) is at \(expectedLink)")
                reportedLinkPositions.insert(position)
            } else {
                streamLinksMatched += 1
            }
        } else if version > 1 && skipped == 0 && !previous.lastIndexed {
            find(.streamLinks, position: position, key: linkText,
                 "missing: version \(version - 1) of stream \(KeyText.render(name)) (position \(expectedLink)) has no stream-positions entry, so only this record's link leads to it")
        }

        let idBytes = UnsafeRawBufferPointer(rebasing: record[22..<38])
        var idText: String { EventID(bytes: idBytes).description }  // made only for a finding
        switch try txn.get(layout.eventIDs, key: idBytes) {
        case nil:
            find(.eventIDs, position: position, key: idText, "missing: the record at this position has this id")
            reportedEventIDKeys.insert(Array(idBytes))
        case let raw? where raw.count != 8:
            find(.eventIDs, position: position, key: idText, "a value of \(raw.count) bytes (positions are 8)")
            reportedEventIDKeys.insert(Array(idBytes))
        case let raw?:
            let indexed = Bytes.readUInt64LE(raw)
            if indexed == position {
                eventIDsMatched += 1
            } else {
                find(.eventIDs, position: position, key: idText, "points at position \(indexed); the record with this id is here")
                reportedEventIDKeys.insert(Array(idBytes))
            }
        }
    }

    /// How many corrupt records lie strictly between two positions.
    private func corruptCount(after low: UInt64, before high: UInt64) -> UInt64 {
        guard !corruptInOrder.isEmpty, high > low + 1 else { return 0 }
        func firstIndex(atLeast p: UInt64) -> Int {
            var lo = 0, hi = corruptInOrder.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if corruptInOrder[mid] < p { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        return UInt64(firstIndex(atLeast: high) - firstIndex(atLeast: low + 1))
    }

    // MARK: Indexes, from their side

    /// Every `streams` entry against the log; returns stream id → name.
    private mutating func checkStreams(_ txn: ReadTransaction) throws -> [UInt64: [UInt8]] {
        var idToName: [UInt64: [UInt8]] = [:]
        let logIsWhole = corruptPositions.isEmpty
        try txn.scan(layout.streams, prefix: []) { key, value in
            let e = (key: key, value: value)
            let name = Array(e.key)
            guard e.value.count == 16 || e.value.count == 24 else {
                find(.streams, key: KeyText.render(name), "a value of \(e.value.count) bytes (24 expected, or 16 before format 2)")
                return true
            }
            let id = Bytes.readUInt64LE(e.value, at: 0)
            let version = Bytes.readUInt64LE(e.value, at: 8)
            if let other = idToName.updateValue(name, forKey: id) {
                find(.streams, key: KeyText.render(name), "stream id \(id) is also the id of \(KeyText.render(other))")
            }
            guard let tally = streams[name] else {
                if logIsWhole { find(.streams, key: KeyText.render(name), "head version \(version), but the log has no event of this stream") }
                return true
            }
            if tally.id != id {
                find(.streams, key: KeyText.render(name), "stream id \(id) differs from the id \(tally.id.map(String.init) ?? "none") read for the log's records")
            }
            if version != tally.lastVersion && logIsWhole {
                find(.streams, key: KeyText.render(name), "head version \(version), but the stream's last event in the log is version \(tally.lastVersion)")
            } else if e.value.count == 24 {
                let headPosition = Bytes.readUInt64LE(e.value, at: 16)
                if headPosition != tally.lastPosition && logIsWhole {
                    find(.streams, key: KeyText.render(name), "head position \(headPosition), but the stream's last event is at \(tally.lastPosition)")
                }
            } else if !tally.lastIndexed && logIsWhole {
                find(.streams, key: KeyText.render(name),
                     "no head position (a value written before format 2), and the head, version \(version), has no stream-positions entry")
            }
            return true
        }
        return idToName
    }

    /// `stream-positions` entries the log pass did not account for: each must point at the record it names.
    private mutating func checkStreamPositions(_ txn: ReadTransaction, head: UInt64, idToName: [UInt64: [UInt8]]) throws {
        guard try txn.count(layout.streamPositions) != streamPositionsMatched else { return }
        try txn.scan(layout.streamPositions, prefix: []) { key, value in
            let e = (key: key, value: value)
            let key = Array(e.key)
            guard key.count == 16 else {
                find(.streamPositions, key: KeyText.render(key), "a key of \(key.count) bytes (16 expected)")
                return true
            }
            if reportedStreamPositionKeys.contains(key) { return true }
            let id = Bytes.readUInt64BE(e.key, at: 0)
            let version = Bytes.readUInt64BE(e.key, at: 8)
            let keyText = "\(id)/\(version)"
            guard e.value.count == 8 else {
                find(.streamPositions, key: keyText, "a value of \(e.value.count) bytes (positions are 8)")
                return true
            }
            let position = Bytes.readUInt64LE(e.value)
            if corruptPositions.contains(position) { return true }  // reported as a corrupt record
            guard let raw = try txn.get(layout.events, key: Bytes.uint64BE(position)) else {
                find(.streamPositions, position: position, key: keyText, "points at a position the log does not have (head \(head))")
                return true
            }
            let recordLayout = try EventRecord.validate(position: position, record: raw)
            let name = Array(UnsafeRawBufferPointer(rebasing: raw[recordLayout.streamRange]))
            let recordVersion = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
            if idToName[id] != name || recordVersion != version {
                find(.streamPositions, position: position, key: keyText,
                     "points at version \(recordVersion) of stream \(KeyText.render(name)), not version \(version) of stream id \(id) (\(idToName[id].map(KeyText.render) ?? "no such stream"))")
            } else if try txn.get(layout.streamPositions, key: key).map({ Bytes.readUInt64LE($0) }) != position {
                // Found by the cursor but not by a lookup: the B-tree's key order is broken here.
                find(.streamPositions, position: position, key: keyText, "an entry a lookup by key cannot find (keys out of order)")
            }
            return true
        }
    }

    /// `stream-links` entries the log pass did not account for: each must be keyed by a position of the log.
    private mutating func checkStreamLinks(_ txn: ReadTransaction, head: UInt64) throws {
        guard let links = layout.streamLinks, try txn.count(links) != streamLinksMatched else { return }
        try txn.scan(links, prefix: []) { key, value in
            guard key.count == 8 else {
                find(.streamLinks, key: KeyText.render(key), "a key of \(key.count) bytes (positions are 8)")
                return true
            }
            let position = Bytes.readUInt64BE(key)
            if reportedLinkPositions.contains(position) || corruptPositions.contains(position) { return true }
            if try txn.get(layout.events, key: Bytes.uint64BE(position)) == nil {
                find(.streamLinks, position: position, key: "\(position)", "a link from a position the log does not have (head \(head))")
            }
            return true
        }
    }

    /// `event-ids` entries the log pass did not account for: each must point at a record with its id.
    private mutating func checkEventIDs(_ txn: ReadTransaction, head: UInt64) throws {
        guard try txn.count(layout.eventIDs) != eventIDsMatched else { return }
        try txn.scan(layout.eventIDs, prefix: []) { key, value in
            let e = (key: key, value: value)
            let key = Array(e.key)
            guard key.count == 16 else {
                find(.eventIDs, key: KeyText.render(key), "a key of \(key.count) bytes (event ids are 16)")
                return true
            }
            if reportedEventIDKeys.contains(key) { return true }
            let id = EventID(bytes: e.key)
            guard e.value.count == 8 else {
                find(.eventIDs, key: id.description, "a value of \(e.value.count) bytes (positions are 8)")
                return true
            }
            let position = Bytes.readUInt64LE(e.value)
            if corruptPositions.contains(position) { return true }
            guard let raw = try txn.get(layout.events, key: Bytes.uint64BE(position)) else {
                find(.eventIDs, position: position, key: id.description, "points at a position the log does not have (head \(head))")
                return true
            }
            _ = try EventRecord.validate(position: position, record: raw)
            let recordID = EventID(bytes: UnsafeRawBufferPointer(rebasing: raw[22..<38]))
            if recordID != id {
                find(.eventIDs, position: position, key: id.description, "points at the record of event \(recordID)")
            } else if try txn.get(layout.eventIDs, key: key).map({ Bytes.readUInt64LE($0) }) != position {
                find(.eventIDs, position: position, key: id.description, "an entry a lookup by key cannot find (keys out of order)")
            }
            return true
        }
    }

    // MARK: Meta and checkpoints

    private mutating func checkMeta(_ txn: ReadTransaction, maxStreamID: UInt64) throws {
        if let raw = try txn.get(layout.meta, key: StoreLayout.formatKey), raw.count == 4 {
            let format = Bytes.readUInt32LE(raw)
            if format < StoreLayout.formatVersion {
                report.notes.append("store format \(format): the next writable open upgrades it to \(StoreLayout.formatVersion)")
            } else if format != StoreLayout.formatVersion {
                find(.meta, key: "format", "format \(format), but this build writes \(StoreLayout.formatVersion)")
            }
        } else {
            find(.meta, key: "format", "missing or not 4 bytes")
        }
        let next = try txn.get(layout.meta, key: StoreLayout.nextStreamIDKey)
        if let next, next.count != 8 {
            find(.meta, key: "next-stream-id", "a value of \(next.count) bytes (8 expected)")
        } else if maxStreamID > 0 {
            let value = next.map { Bytes.readUInt64LE($0) } ?? 0
            if value <= maxStreamID {
                find(.meta, key: "next-stream-id", "\(value), but stream id \(maxStreamID) is in use: the next new stream would share an id")
            }
        }
    }

    // MARK: Views

    private mutating func checkViews(_ txn: ReadTransaction, head: UInt64) throws {
        var checkpoints: [String: ProjectionSet.Checkpoint?] = [:]
        try txn.scan(layout.checkpoints, prefix: []) { key, value in
            let e = (key: key, value: value)
            let name = String(decoding: e.key, as: UTF8.self)
            guard e.value.count == 12 else {
                find(.checkpoints, key: KeyText.render(e.key), "a value of \(e.value.count) bytes (12 expected)")
                checkpoints[name] = .some(nil)
                return true
            }
            let cp = ProjectionSet.Checkpoint(position: Bytes.readUInt64LE(e.value, at: 0), version: Bytes.readUInt32LE(e.value, at: 8))
            if cp.position > head {
                find(.checkpoints, key: name, "position \(cp.position) is past the head of the log (\(head))")
            }
            checkpoints[name] = cp
            return true
        }
        let registered = Set(store.projections.entries.map(\.name))
        for entry in store.projections.entries {
            let cp = checkpoints[entry.name] ?? nil
            try checkView(entry, checkpoint: cp, hasCheckpointEntry: checkpoints[entry.name] != nil, txn, head: head)
        }
        for name in store.projections.absent {
            if let cp = checkpoints[name] {
                find(.checkpoints, key: name, "the view has a checkpoint (\(cp.map { "position \($0.position)" } ?? "malformed")) but no database")
            } else {
                report.notes.append("view \(name): not in this store yet (no writer with the projection has opened it)")
            }
            report.views.append(.init(name: name, version: 0, checkpoint: 0, lagEvents: head, entriesCompared: 0,
                                      outcome: .skipped, note: "no view database"))
        }
        for (name, cp) in checkpoints.sorted(by: { $0.key < $1.key })
        where !registered.contains(name) && !store.projections.absent.contains(name) {
            if let view = ViewRebuild.view(ofCheckpointKey: name.utf8) {
                report.notes.append("view \(view): a rebuild stopped at position \(cp?.position ?? 0) and was not swapped in; `colony rebuild` resumes it (the live view is what was checked)")
                continue
            }
            let position = cp?.position ?? 0
            report.views.append(.init(name: name, version: 0, checkpoint: position, lagEvents: head > position ? head - position : 0,
                                      entriesCompared: 0, outcome: .skipped, note: "its projection is not registered with this store"))
            report.notes.append("view \(name): not compared (its projection is not registered with the store that verified it)")
        }
    }

    private mutating func checkView(_ entry: ProjectionSet.Entry, checkpoint cp: ProjectionSet.Checkpoint?, hasCheckpointEntry: Bool,
                                    _ txn: ReadTransaction, head: UInt64) throws {
        let projection = entry.projection
        let position = cp?.position ?? 0
        var check = VerifyReport.ViewCheck(name: entry.name, version: projection.version, checkpoint: position,
                                           lagEvents: head > position ? head - position : 0, entriesCompared: 0, outcome: .skipped)
        defer { report.views.append(check) }
        if position < head { report.notes.append("view \(entry.name): \(head - position) events behind the log (it catches up when a writer opens the store)") }
        if let cp, cp.version != projection.version {
            check.note = "the view was built by projection version \(cp.version), this program's is \(projection.version); a writer rebuilds it when it opens the store"
            report.notes.append("view \(entry.name): not compared: \(check.note!)")
            return
        }
        guard options.checkViews else { check.note = "view checks were turned off"; return }
        guard corruptPositions.isEmpty else {
            check.note = "the log has corrupt records, so it cannot be rebuilt"
            return
        }
        guard position <= head else { check.note = "its checkpoint is past the head"; return }
        if !hasCheckpointEntry && position == 0 {
            // Never applied: the view must be empty.
            if try txn.count(entry.main) > 0 {
                find(.checkpoints, key: entry.name, "the view has entries but no checkpoint")
            }
        }

        let scratchParent = options.scratchDirectory ?? FileManager.default.temporaryDirectory.path
        let scratchPath = scratchParent + "/colony-verify-\(UUID().uuidString)"
        var envOptions = Environment.Options()
        envOptions.durability = .noSync
        envOptions.maxDatabases = UInt32(2 + entry.extra.count)
        let scratch: Environment
        do {
            scratch = try Environment(path: scratchPath, options: envOptions)
        } catch let e as LMDBError {
            throw StoreError.storage(e)
        }
        defer {
            scratch.close()
            try? FileManager.default.removeItem(atPath: scratchPath)
        }
        let tables = entry.extra.keys.sorted()
        let scratchMain = try StoreError.wrap { try scratch.openDatabase(named: "view", flags: .create) }
        var scratchExtra: [String: Database] = [:]
        for t in tables { scratchExtra[t] = try StoreError.wrap { try scratch.openDatabase(named: "view/\(t)", flags: .create) } }

        do {
            try rebuild(projection, upTo: position, from: txn, into: scratch, main: scratchMain, extra: scratchExtra)
        } catch let error as StoreError {
            if case .storage = error { throw error }
            find(.view, table: "view:\(entry.name)", "a rebuild from the log failed: \(error)")
            check.outcome = .differs
            return
        }

        let before = report.findings.count + report.findingsOmitted
        check.entriesCompared = try StoreError.wrap {
            try scratch.read { rebuilt in
                var compared = try compare(live: entry.main, rebuilt: scratchMain, table: "view:\(entry.name)", txn, rebuilt)
                for t in tables {
                    compared += try compare(live: entry.extra[t]!, rebuilt: scratchExtra[t]!, table: "view:\(entry.name)/\(t)", txn, rebuilt)
                }
                return compared
            }
        }
        check.outcome = report.findings.count + report.findingsOmitted == before ? .equal : .differs
    }

    /// Applies events 1...`target` of the snapshot to `projection` in `scratch`, in chunks, as a rebuild would.
    private func rebuild(_ projection: any Projection, upTo target: UInt64, from txn: ReadTransaction, into scratch: Environment,
                         main: Database, extra: [String: Database]) throws {
        var chunk = UInt64(max(store.options.writer.rebuildChunkEvents, 1))
        var next: UInt64 = 1
        while next <= target {
            let end = min(target, next + chunk - 1)
            do {
                try StoreError.wrap {
                    try scratch.write { w in
                        var session = projection.makeSession(ViewWriter(txn: w, main: main, extra: extra))
                        var run: [RecordedEvent] = []
                        run.reserveCapacity(ProjectionSet.runLength)
                        var last = next - 1
                        try store.log.scan(from: next, direction: .forward, limit: Int(end - next + 1), txn) { e in
                            guard e.position == last + 1 else {
                                throw StoreError.corruptRecord(position: last + 1, reason: "missing from the log during the rebuild")
                            }
                            last = e.position
                            run.append(e)
                            if run.count == ProjectionSet.runLength {
                                try apply(run, &session, projection)
                                run.removeAll(keepingCapacity: true)
                            }
                            return true
                        }
                        if !run.isEmpty { try apply(run, &session, projection) }
                        try finish(&session, projection)
                    }
                }
            } catch StoreError.storage(let e) where e.code == LMDBError.transactionFull && chunk > 1 {
                chunk /= 2
                continue
            }
            progress?("view \(projection.name)", end, target)
            next = end + 1
        }
    }

    private func apply(_ events: [RecordedEvent], _ session: inout any ProjectionSession, _ projection: any Projection) throws {
        do { try session.apply(events) } catch let e as StoreError { throw e } catch let e as LMDBError { throw e } catch {
            throw StoreError.projectionFailed(name: projection.name, reason: "\(error)")
        }
    }

    private func finish(_ session: inout any ProjectionSession, _ projection: any Projection) throws {
        do { try session.finish() } catch let e as StoreError { throw e } catch let e as LMDBError { throw e } catch {
            throw StoreError.projectionFailed(name: projection.name, reason: "\(error)")
        }
    }

    /// Compares a live table with its rebuild: every live entry must be in the rebuild with the
    /// same bytes, and (when the counts differ) every rebuilt entry must be live. Returns entries compared.
    private mutating func compare(live: Database, rebuilt: Database, table: String,
                                  _ liveTxn: ReadTransaction, _ rebuiltTxn: ReadTransaction) throws -> Int {
        var matched = 0
        var compared = 0
        var reported: Set<[UInt8]> = []
        try liveTxn.scan(live, prefix: []) { key, value in
            let e = (key: key, value: value)
            compared += 1
            guard let expected = try rebuiltTxn.get(rebuilt, key: e.key) else {
                find(.view, table: table, key: KeyText.render(e.key), "not in a rebuild from the log")
                reported.insert(Array(e.key))
                return true
            }
            if expected.elementsEqual(e.value) {
                matched += 1
            } else {
                let at = zip(expected, e.value).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.count, e.value.count)
                find(.view, table: table, key: KeyText.render(e.key),
                     "differs from a rebuild from the log at byte \(at) (\(e.value.count) bytes live, \(expected.count) rebuilt)")
                reported.insert(Array(e.key))
            }
            return true
        }
        let rebuiltCount = try rebuiltTxn.count(rebuilt)
        guard matched != rebuiltCount || compared != rebuiltCount else { return compared }
        try rebuiltTxn.scan(rebuilt, prefix: []) { key, value in
            let e = (key: key, value: value)
            if reported.contains(Array(e.key)) { return true }
            if try liveTxn.get(live, key: e.key) == nil {
                find(.view, table: table, key: KeyText.render(e.key), "missing: a rebuild from the log has it")
            }
            return true
        }
        return compared
    }
}

/// Keys shown to people: printable UTF-8 as is, other bytes as `\xNN`.
enum KeyText {
    static func render(_ bytes: some Collection<UInt8>) -> String {
        var out = ""
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            if let s = String(validating: run, as: UTF8.self) {
                out += s
            } else {
                for b in run { out += b < 0x80 ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16, uppercase: true).leftPadded(2) }
            }
            run.removeAll()
        }
        for b in bytes.prefix(300) {
            if b < 0x20 || b == 0x7F || b == UInt8(ascii: "\\") || b == UInt8(ascii: "\"") {
                flush()
                out += b == UInt8(ascii: "\\") ? "\\\\" : b == UInt8(ascii: "\"") ? "\\\"" : "\\x" + String(b, radix: 16, uppercase: true).leftPadded(2)
            } else {
                run.append(b)
            }
        }
        flush()
        if bytes.count > 300 { out += "…" }
        return out
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
