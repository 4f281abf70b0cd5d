import LMDB

/// The append-only log and its indexes, operated inside a transaction.
///
/// `EventLog` holds no state of its own between transactions: the writer
/// creates an `EventLog.Appender` per write transaction, so a transaction that
/// is retried (after the map grew) starts again from what LMDB holds.
struct EventLog: Sendable {
    let layout: StoreLayout

    /// The position of the last event, 0 for an empty log.
    func head(_ txn: some TransactionReading) throws -> UInt64 {
        try txn.withCursor(layout.events) { cursor in
            guard let last = try cursor.last() else { return 0 }
            return Bytes.readUInt64BE(last.key)
        }
    }

    /// The event at `position`, checksum verified.
    func event(at position: UInt64, _ txn: some TransactionReading) throws -> RecordedEvent? {
        guard let raw = try txn.get(layout.events, key: Bytes.uint64BE(position)) else { return nil }
        return try EventRecord.decode(position: position, record: raw)
    }

    /// Up to `limit` events from `position` (inclusive) in `direction`, calling `body` for each.
    func scan(from position: UInt64, direction: ReadDirection, limit: Int,
              _ txn: some TransactionReading, _ body: (RecordedEvent) throws -> Bool) throws {
        guard limit > 0 else { return }
        try txn.withCursor(layout.events) { cursor in
            var entry: Cursor.Entry?
            switch direction {
            case .forward: entry = try cursor.seek(atOrAfter: Bytes.uint64BE(position))
            case .backward: entry = try cursor.seek(atOrBefore: Bytes.uint64BE(position))
            }
            var n = 0
            while let e = entry, n < limit {
                guard e.key.count == 8 else {
                    throw StoreError.corruptRecord(position: 0, reason: "events key of \(e.key.count) bytes")
                }
                let p = Bytes.readUInt64BE(e.key)
                let event = try EventRecord.decode(position: p, record: e.value)
                n += 1
                if try !body(event) { return }
                entry = direction == .forward ? try cursor.next() : try cursor.previous()
            }
        }
    }

    /// Up to `limit` records from `position` (inclusive) forward, each checked
    /// (`EventRecord.validate`) but not copied: `body` gets the position, the
    /// stored bytes (valid only inside `body`) and their layout.
    func scanRecords(from position: UInt64, limit: Int, _ txn: some TransactionReading,
                     _ body: (UInt64, UnsafeRawBufferPointer, EventRecord.Layout) throws -> Bool) throws {
        guard limit > 0 else { return }
        try txn.withCursor(layout.events) { cursor in
            var entry = try cursor.seek(atOrAfter: Bytes.uint64BE(position))
            var n = 0
            while let e = entry, n < limit {
                guard e.key.count == 8 else {
                    throw StoreError.corruptRecord(position: 0, reason: "events key of \(e.key.count) bytes")
                }
                let p = Bytes.readUInt64BE(e.key)
                let recordLayout = try EventRecord.validate(position: p, record: e.value)
                n += 1
                if try !body(p, e.value, recordLayout) { return }
                entry = try cursor.next()
            }
        }
    }

    /// The stream's id and head version, or `nil` if it has no events.
    func stream(_ name: [UInt8], _ txn: some TransactionReading) throws -> (id: UInt64, version: UInt64)? {
        guard let raw = try txn.get(layout.streams, key: name) else { return nil }
        guard raw.count == 16 else {
            throw StoreError.corruptView(view: "streams", key: String(decoding: name, as: UTF8.self), reason: "value of \(raw.count) bytes")
        }
        return (Bytes.readUInt64LE(raw, at: 0), Bytes.readUInt64LE(raw, at: 8))
    }

    /// The global position of `version` of a stream.
    func position(streamID: UInt64, version: UInt64, _ txn: some TransactionReading) throws -> UInt64? {
        guard let raw = try txn.get(layout.streamPositions, key: Bytes.streamPositionKey(streamID: streamID, version: version)) else { return nil }
        guard raw.count == 8 else {
            throw StoreError.corruptView(view: "stream-positions", key: "\(streamID)/\(version)", reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw)
    }

    /// The position an event id was appended at.
    func position(of id: EventID, _ txn: some TransactionReading) throws -> UInt64? {
        guard let raw = try txn.get(layout.eventIDs, key: id.bytes) else { return nil }
        guard raw.count == 8 else {
            throw StoreError.corruptView(view: "event-ids", key: id.description, reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw)
    }

    /// Appends batches inside one write transaction.
    struct Appender {
        let log: EventLog
        let txn: WriteTransaction
        private(set) var nextPosition: UInt64
        private var streamCache: [[UInt8]: (id: UInt64, version: UInt64)] = [:]
        private var dirtyStreams: Set<[UInt8]> = []
        private var nextStreamID: UInt64?
        /// Every event written by this transaction, in order, for the projections.
        private(set) var appended: [RecordedEvent] = []

        init(log: EventLog, txn: WriteTransaction) throws {
            self.log = log
            self.txn = txn
            self.nextPosition = try log.head(txn) + 1
        }

        private mutating func streamState(_ name: [UInt8]) throws -> (id: UInt64, version: UInt64)? {
            if let cached = streamCache[name] { return cached }
            let state = try log.stream(name, txn)
            if let state { streamCache[name] = state }
            return state
        }

        /// Validates and appends one caller's batch. Either every new event of
        /// the batch is written, or the call throws having written nothing.
        mutating func append(_ batch: [NewEvent], expected: ExpectedVersion) throws -> AppendResult {
            // 1. Read-only checks: idempotency and optimistic concurrency.
            var positions = [UInt64](repeating: 0, count: batch.count)
            var isNew = [Bool](repeating: true, count: batch.count)
            var seenInBatch: [EventID: Int] = [:]
            var duplicates = 0
            for (i, event) in batch.enumerated() {
                if let earlier = seenInBatch[event.id] {
                    guard EventLog.sameContent(batch[earlier], event) else { throw StoreError.duplicateEventIDInBatch(id: event.id) }
                    isNew[i] = false
                    duplicates += 1
                    continue
                }
                seenInBatch[event.id] = i
                if let existing = try log.position(of: event.id, txn) {
                    guard let stored = try log.event(at: existing, txn) else {
                        throw StoreError.corruptView(view: "event-ids", key: event.id.description, reason: "points at missing position \(existing)")
                    }
                    guard EventLog.sameContent(stored.asNewEvent, event) else {
                        throw StoreError.eventIDConflict(id: event.id, existingPosition: existing)
                    }
                    positions[i] = existing
                    isNew[i] = false
                    duplicates += 1
                }
            }
            let streamNames = batch.map { Array($0.stream.utf8) }
            let lastStream = streamNames.last ?? []
            if duplicates == batch.count {
                // A retry of a batch that is already committed: answer as the first time.
                let version = try streamState(lastStream)?.version ?? 0
                for i in batch.indices where positions[i] == 0 { positions[i] = positions[seenInBatch[batch[i].id]!] }
                return AppendResult(positions: positions, duplicates: duplicates, streamVersion: version)
            }
            // Load every stream the batch writes to now, so the write phase cannot fail on a read.
            for i in batch.indices where isNew[i] { _ = try streamState(streamNames[i]) }
            if expected != .any {
                let actual = try streamState(lastStream)?.version
                if !expected.admits(actual) {
                    throw StoreError.wrongExpectedVersion(stream: batch.last!.stream, expected: expected, actual: actual)
                }
            }
            // 2. Writes.
            var version: UInt64 = 0
            for (i, event) in batch.enumerated() where isNew[i] {
                let streamName = streamNames[i]
                var state = try streamState(streamName) ?? (id: try allocateStreamID(), version: 0)
                state.version += 1
                version = state.version
                let position = nextPosition
                let record = EventRecord.encode(event, position: position, streamVersion: state.version)
                try record.withUnsafeBytes { r in
                    try Bytes.uint64BE(position).withUnsafeBytes { k in try txn.put(log.layout.events, key: k, value: r, flags: .append) }
                }
                try txn.put(log.layout.streamPositions, key: Bytes.streamPositionKey(streamID: state.id, version: state.version),
                            value: Bytes.uint64LE(position))
                try txn.put(log.layout.eventIDs, key: event.id.bytes, value: Bytes.uint64LE(position), flags: .noOverwrite)
                streamCache[streamName] = state
                dirtyStreams.insert(streamName)
                positions[i] = position
                nextPosition += 1
                let layout = EventRecord.Layout(kindLength: event.kind.utf8.count, streamLength: streamName.count,
                                                metadataLength: event.metadata.count, payloadLength: event.payload.count)
                appended.append(RecordedEvent(position: position, storage: record, layout: layout))
            }
            for i in batch.indices where positions[i] == 0 { positions[i] = positions[seenInBatch[batch[i].id]!] }
            if let state = streamCache[lastStream] { version = state.version }
            return AppendResult(positions: positions, duplicates: duplicates, streamVersion: version)
        }

        private mutating func allocateStreamID() throws -> UInt64 {
            if nextStreamID == nil {
                if let raw = try txn.get(log.layout.meta, key: StoreLayout.nextStreamIDKey), raw.count == 8 {
                    nextStreamID = Bytes.readUInt64LE(raw)
                } else {
                    nextStreamID = 1
                }
            }
            let id = nextStreamID!
            nextStreamID = id + 1
            return id
        }

        /// Writes stream heads and the stream id counter. Call once before commit.
        mutating func finish() throws {
            for name in dirtyStreams {
                let state = streamCache[name]!
                try txn.put(log.layout.streams, key: name, value: Bytes.uint64LE(state.id) + Bytes.uint64LE(state.version))
            }
            dirtyStreams.removeAll()
            if let next = nextStreamID {
                try txn.put(log.layout.meta, key: StoreLayout.nextStreamIDKey, value: Bytes.uint64LE(next))
            }
        }
    }

    /// Whether two events carry the same content (time and priority aside: a retry may differ in both).
    static func sameContent(_ a: NewEvent, _ b: NewEvent) -> Bool {
        a.id == b.id && a.stream == b.stream && a.kind == b.kind && a.payload == b.payload && a.metadata == b.metadata
    }
}

/// Which way a read walks the log.
public enum ReadDirection: Sendable {
    case forward
    case backward
}
