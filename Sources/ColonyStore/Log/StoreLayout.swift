import LMDB

/// The named databases of a store and the encodings of their keys and values.
/// docs/storage-format.md describes the same layout for people.
struct StoreLayout: Sendable {
    /// The store format this build writes. A store with a larger number is refused; a
    /// writable open of a format-1 store upgrades it in place (format 2 only adds
    /// `stream-links` and makes `stream-positions` sparse, which format-1 data satisfies).
    static let formatVersion: UInt32 = 2

    /// Format 2 writes a `stream-positions` entry for one version in this many (and
    /// `stream-links` for every event): the entry that costs a random B-tree page per event
    /// is written once per this many events of a stream. Readers do not depend on the
    /// number: they walk back from the next entry, or from the stream's head.
    static let streamIndexInterval: UInt64 = 64

    /// Whether format 2 writes the `stream-positions` entry of `version`: one version in
    /// `streamIndexInterval`, offset by the stream id, so streams that advance in step (a
    /// batch touching many streams once each) do not all write their entries in the same batch.
    @inline(__always)
    static func indexesVersion(_ version: UInt64, ofStream id: UInt64) -> Bool {
        (version &+ id) % streamIndexInterval == 0
    }

    /// position (UInt64 big-endian) → `EventRecord`
    let events: Database
    /// stream name → stream id (UInt64 LE) + head version (UInt64 LE) + head position (UInt64 LE);
    /// format-1 values stop after the head version
    let streams: Database
    /// stream id (UInt64 BE) + version (UInt64 BE) → position (UInt64 LE): every version
    /// written by format 1, every `streamIndexInterval`-th version from format 2 on
    let streamPositions: Database
    /// position (UInt64 big-endian, appended in log order) → position of the previous event
    /// of the same stream (UInt64 LE, 0 for a stream's first event). `nil` when a format-1
    /// store is opened read-only, which has none (its `stream-positions` is complete).
    let streamLinks: Database?
    /// event id (16 bytes) → position (UInt64 LE)
    let eventIDs: Database
    /// projection name → applied position (UInt64 LE) + projection version (UInt32 LE)
    let checkpoints: Database
    /// "format" → UInt32 LE; "next-stream-id" → UInt64 LE
    let meta: Database

    static let formatKey = Array("format".utf8)
    static let nextStreamIDKey = Array("next-stream-id".utf8)

    /// Opens (creating in a writable store) every database and checks the format.
    static func open(_ env: Environment) throws -> StoreLayout {
        if env.options.readOnly {
            // Absent only in a format-1 store (checked below); any other failure is reported.
            let streamLinks: Database?
            do { streamLinks = try env.openDatabase(named: "stream-links") } catch let e as LMDBError where e.code == LMDBError.notFound {
                streamLinks = nil
            }
            let layout = try StoreLayout(
                events: env.openDatabase(named: "events"), streams: env.openDatabase(named: "streams"),
                streamPositions: env.openDatabase(named: "stream-positions"),
                streamLinks: streamLinks,
                eventIDs: env.openDatabase(named: "event-ids"), checkpoints: env.openDatabase(named: "checkpoints"),
                meta: env.openDatabase(named: "meta"))
            let format = try env.read { txn in try layout.checkFormat(txn) }
            if layout.streamLinks == nil && format >= 2 {
                throw StoreError.corruptView(view: "stream-links", key: "", reason: "missing from a format-\(format) store")
            }
            return layout
        }
        return try env.write { txn in
            let layout = try StoreLayout(
                events: txn.openDatabase(named: "events", flags: .create),
                streams: txn.openDatabase(named: "streams", flags: .create),
                streamPositions: txn.openDatabase(named: "stream-positions", flags: .create),
                streamLinks: txn.openDatabase(named: "stream-links", flags: .create),
                eventIDs: txn.openDatabase(named: "event-ids", flags: .create),
                checkpoints: txn.openDatabase(named: "checkpoints", flags: .create),
                meta: txn.openDatabase(named: "meta", flags: .create))
            if try txn.get(layout.meta, key: formatKey) == nil {
                try txn.put(layout.meta, key: formatKey, value: Bytes.uint32LE(formatVersion))
            }
            if try layout.checkFormat(txn) < formatVersion {
                // Format 1 → 2: a complete `stream-positions` is a valid sparse one, and
                // `stream-links` starts empty. Stamping 2 makes older builds refuse the store
                // from now on, since they would read the sparse index as missing entries.
                try txn.put(layout.meta, key: formatKey, value: Bytes.uint32LE(formatVersion))
            }
            return layout
        }
    }

    /// The store's format; throws if it is missing or newer than this build.
    @discardableResult
    func checkFormat(_ txn: some TransactionReading) throws -> UInt32 {
        guard let raw = try txn.get(meta, key: StoreLayout.formatKey), raw.count == 4 else {
            throw StoreError.corruptView(view: "meta", key: "format", reason: "missing or malformed format version")
        }
        let found = UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
        if found > StoreLayout.formatVersion {
            throw StoreError.unsupportedFormat(found: found, supported: StoreLayout.formatVersion)
        }
        return found
    }
}

/// Fixed-width integer encodings used in keys and values.
enum Bytes {
    @inline(__always) static func uint64BE(_ v: UInt64) -> [UInt8] {
        withUnsafeBytes(of: v.bigEndian) { Array($0) }
    }
    @inline(__always) static func uint64LE(_ v: UInt64) -> [UInt8] {
        withUnsafeBytes(of: v.littleEndian) { Array($0) }
    }
    @inline(__always) static func uint32LE(_ v: UInt32) -> [UInt8] {
        withUnsafeBytes(of: v.littleEndian) { Array($0) }
    }
    /// `body` with the 8 big-endian bytes of `v`, on the stack.
    @inline(__always) static func withUInt64BE<R>(_ v: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: v.bigEndian, body)
    }
    /// `body` with the 8 little-endian bytes of `v`, on the stack.
    @inline(__always) static func withUInt64LE<R>(_ v: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: v.littleEndian, body)
    }
    @inline(__always) static func readUInt64BE(_ raw: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) static func readUInt64LE(_ raw: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt64 {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
    @inline(__always) static func readUInt32LE(_ raw: UnsafeRawBufferPointer, at offset: Int = 0) -> UInt32 {
        UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    static func streamPositionKey(streamID: UInt64, version: UInt64) -> [UInt8] {
        uint64BE(streamID) + uint64BE(version)
    }
}
