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

    /// What `streams` holds for a stream: its id and head, the head's position when known.
    struct StreamHead: Equatable {
        var id: UInt64
        var version: UInt64
        /// `nil` in a format-1 value: the head is then in `stream-positions`.
        var position: UInt64?
    }

    /// The stream's id and head, or `nil` if it has no events.
    func stream(_ name: [UInt8], _ txn: some TransactionReading) throws -> StreamHead? {
        guard let raw = try txn.get(layout.streams, key: name) else { return nil }
        guard raw.count == 16 || raw.count == 24 else {
            throw StoreError.corruptView(view: "streams", key: String(decoding: name, as: UTF8.self), reason: "value of \(raw.count) bytes")
        }
        return StreamHead(id: Bytes.readUInt64LE(raw, at: 0), version: Bytes.readUInt64LE(raw, at: 8),
                          position: raw.count == 24 ? Bytes.readUInt64LE(raw, at: 16) : nil)
    }

    /// The `stream-positions` entry of exactly `version`, if there is one.
    func indexedPosition(streamID: UInt64, version: UInt64, _ txn: some TransactionReading) throws -> UInt64? {
        guard let raw = try txn.get(layout.streamPositions, key: Bytes.streamPositionKey(streamID: streamID, version: version)) else { return nil }
        guard raw.count == 8 else {
            throw StoreError.corruptView(view: "stream-positions", key: "\(streamID)/\(version)", reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw)
    }

    /// The `stream-links` entry of the event at `position`: where its stream's previous event is
    /// (0 for a stream's first event), or `nil` for an event written before format 2.
    func link(at position: UInt64, _ txn: some TransactionReading) throws -> UInt64? {
        guard let links = layout.streamLinks, let raw = try txn.get(links, key: Bytes.uint64BE(position)) else { return nil }
        guard raw.count == 8 else {
            throw StoreError.corruptView(view: "stream-links", key: "\(position)", reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw)
    }

    /// The position of version `version - 1` of a stream whose version `version` is at `position`:
    /// its link, or (for events written before format 2) its `stream-positions` entry.
    func previous(of position: UInt64, version: UInt64, streamID: UInt64, _ txn: some TransactionReading) throws -> UInt64 {
        precondition(version > 1)
        if let link = try link(at: position, txn), link != 0 { return link }
        if let indexed = try indexedPosition(streamID: streamID, version: version - 1, txn) { return indexed }
        throw StoreError.corruptView(view: "stream-links", key: "\(position)",
                                     reason: "no way back from version \(version) of stream id \(streamID): no link and no stream-positions entry for version \(version - 1)")
    }

    /// The positions of versions `version...w` of a stream, in version order, where `w` is the
    /// first version at or after `version` with a `stream-positions` entry, or the head.
    /// Empty when `version` is past the head. One index seek, then one link per version.
    func positionRun(of head: StreamHead, from version: UInt64, _ txn: some TransactionReading) throws -> [UInt64] {
        guard version >= 1, version <= head.version else { return [] }
        var anchor: (version: UInt64, position: UInt64)?
        try txn.withCursor(layout.streamPositions) { cursor in
            guard let e = try cursor.seek(atOrAfter: Bytes.streamPositionKey(streamID: head.id, version: version)),
                  e.key.count == 16, Bytes.readUInt64BE(e.key, at: 0) == head.id else { return }
            guard e.value.count == 8 else {
                throw StoreError.corruptView(view: "stream-positions", key: "\(head.id)/\(Bytes.readUInt64BE(e.key, at: 8))",
                                             reason: "value of \(e.value.count) bytes")
            }
            let w = Bytes.readUInt64BE(e.key, at: 8)
            if w <= head.version { anchor = (w, Bytes.readUInt64LE(e.value)) }
        }
        if anchor == nil {
            guard let p = head.position else {
                throw StoreError.corruptView(view: "stream-positions", key: "\(head.id)/\(head.version)",
                                             reason: "missing: the head of a stream written before format 2")
            }
            anchor = (head.version, p)
        }
        var (v, p) = anchor!
        var run = [UInt64](repeating: 0, count: Int(v - version + 1))
        run[Int(v - version)] = p
        while v > version {
            p = try previous(of: p, version: v, streamID: head.id, txn)
            v -= 1
            run[Int(v - version)] = p
        }
        return run
    }

    /// The position an event id was appended at.
    func position(of id: EventID, _ txn: some TransactionReading) throws -> UInt64? {
        guard let raw = try id.withUnsafeBytes({ try txn.get(layout.eventIDs, key: $0) }) else { return nil }
        guard raw.count == 8 else {
            throw StoreError.corruptView(view: "event-ids", key: id.description, reason: "value of \(raw.count) bytes")
        }
        return Bytes.readUInt64LE(raw)
    }

    /// A stream name as a dictionary key, hashed in one pass over its bytes: `[UInt8]` feeds
    /// its hasher a byte at a time, and the appender looks each event's stream up four times
    /// (`Hasher` was 3% of the writer thread in a bulk append, perf).
    struct StreamName: Hashable {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }

    /// Appends batches inside one write transaction.
    struct Appender {
        let log: EventLog
        let txn: WriteTransaction
        private let links: Database
        private(set) var nextPosition: UInt64
        /// The streams this transaction read or wrote: their heads (nil: no such stream yet), and
        /// whether `finish` must write them. One dictionary: an event's write looks its stream up and
        /// stores it back, with no set of dirty streams to insert into as well (callgrind's bulk
        /// gate workload).
        private var streamCache: [StreamName: CachedStream] = [:]
        private var nextStreamID: UInt64?
        /// Every event written by this transaction, in order, for the projections.
        private(set) var appended: [RecordedEvent] = []

        init(log: EventLog, txn: WriteTransaction) throws {
            guard let links = log.layout.streamLinks else { throw StoreError.invalidArgument("the store was opened read-only") }
            self.log = log
            self.txn = txn
            self.links = links
            self.nextPosition = try log.head(txn) + 1
        }

        struct CachedStream {
            var head: StreamHead?
            var dirty = false
        }

        /// The stream's head, with its position filled in (from `stream-positions` for a
        /// format-1 value), so the next event can link to it. A stream that does not exist is
        /// remembered as such: this transaction is the only writer.
        private mutating func streamState(_ name: [UInt8]) throws -> StreamHead? {
            if let cached = streamCache[StreamName(name)] { return cached.head }
            guard var state = try log.stream(name, txn) else {
                streamCache[StreamName(name)] = CachedStream(head: nil)
                return nil
            }
            if state.position == nil {
                guard let p = try log.indexedPosition(streamID: state.id, version: state.version, txn) else {
                    throw StoreError.corruptView(view: "stream-positions", key: "\(state.id)/\(state.version)",
                                                 reason: "missing: the head of stream \(String(decoding: name, as: UTF8.self)), written before format 2")
                }
                state.position = p
            }
            streamCache[StreamName(name)] = CachedStream(head: state)
            return state
        }

        /// Validates and appends one caller's batch. Either every new event of
        /// the batch is written, or the call throws having written nothing.
        mutating func append(_ batch: [NewEvent], expected: ExpectedVersion) throws -> AppendResult {
            // 1. Read-only checks: idempotency and optimistic concurrency.
            var positions = [UInt64](repeating: 0, count: batch.count)
            var isNew = [Bool](repeating: true, count: batch.count)
            var seenInBatch: [EventID: Int] = [:]
            if batch.count > 1 { seenInBatch.reserveCapacity(batch.count) }
            streamCache.reserveCapacity(streamCache.count + batch.count)
            var duplicates = 0
            for (i, event) in batch.enumerated() {
                // One hash for a new id: its index is stored, and a duplicate's returned. (The
                // `default:` subscript did that too, but boxed its autoclosure: a malloc per event.)
                if batch.count > 1, let earlier = seenInBatch.updateValue(i, forKey: event.id) {
                    seenInBatch[event.id] = earlier  // the first event's index stays
                    guard EventLog.sameContent(batch[earlier], event) else { throw StoreError.duplicateEventIDInBatch(id: event.id) }
                    isNew[i] = false
                    duplicates += 1
                    continue
                }
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
                let key = StreamName(streamName)
                var cached = streamCache[key]!  // loaded above
                var state = try cached.head ?? StreamHead(id: try allocateStreamID(), version: 0, position: 0)
                let previous = state.position ?? 0
                state.version += 1
                state.position = nextPosition
                version = state.version
                let position = nextPosition
                let record = EventRecord.encode(event, position: position, streamVersion: state.version)
                // Keys and values on the stack: arrays for them were a third of a bulk append's mallocs.
                try record.withUnsafeBytes { r in
                    try Bytes.withUInt64BE(position) { k in try txn.put(log.layout.events, key: k, value: r, flags: .append) }
                }
                try Self.putLink(txn, links, position: position, previous: previous)
                if StoreLayout.indexesVersion(state.version, ofStream: state.id) {
                    try Bytes.withUInt64LE(position) { v in
                        try Bytes.streamPositionKey(streamID: state.id, version: state.version).withUnsafeBytes { k in
                            try txn.put(log.layout.streamPositions, key: k, value: v)
                        }
                    }
                }
                try event.id.withUnsafeBytes { k in
                    try Bytes.withUInt64LE(position) { v in try txn.put(log.layout.eventIDs, key: k, value: v, flags: .noOverwrite) }
                }
                cached.head = state
                cached.dirty = true
                streamCache[key] = cached
                positions[i] = position
                nextPosition += 1
                let layout = EventRecord.Layout(kindLength: event.kind.utf8.count, streamLength: streamName.count,
                                                metadataLength: event.metadata.count, payloadLength: event.payload.count)
                appended.append(RecordedEvent(position: position, storage: record, layout: layout))
            }
            for i in batch.indices where positions[i] == 0 { positions[i] = positions[seenInBatch[batch[i].id]!] }
            if let state = streamCache[StreamName(lastStream)]?.head { version = state.version }
            return AppendResult(positions: positions, duplicates: duplicates, streamVersion: version)
        }

        /// `position → previous`, appended (positions only grow), without allocating.
        @inline(__always)
        private static func putLink(_ txn: WriteTransaction, _ links: Database, position: UInt64, previous: UInt64) throws {
            var key = position.bigEndian
            var value = previous.littleEndian
            try withUnsafeBytes(of: &key) { k in
                try withUnsafeBytes(of: &value) { v in try txn.put(links, key: k, value: v, flags: .append) }
            }
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

        /// Writes stream heads and the stream id counter. Call once, before commit.
        mutating func finish() throws {
            for (name, cached) in streamCache where cached.dirty {
                let state = cached.head!
                let value = (state.id.littleEndian, state.version.littleEndian, state.position!.littleEndian)
                try name.bytes.withUnsafeBytes { k in
                    try withUnsafeBytes(of: value) { v in try txn.put(log.layout.streams, key: k, value: v) }
                }
            }
            streamCache.removeAll()
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
