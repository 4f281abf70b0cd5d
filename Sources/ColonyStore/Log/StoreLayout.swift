import LMDB

/// The named databases of a store and the encodings of their keys and values.
/// docs/storage-format.md describes the same layout for people.
struct StoreLayout: Sendable {
    /// The store format this build writes. A store with a larger number is refused.
    static let formatVersion: UInt32 = 1

    /// position (UInt64 big-endian) → `EventRecord`
    let events: Database
    /// stream name → stream id (UInt64 LE) + head version (UInt64 LE)
    let streams: Database
    /// stream id (UInt64 BE) + version (UInt64 BE) → position (UInt64 LE)
    let streamPositions: Database
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
            let layout = try StoreLayout(
                events: env.openDatabase(named: "events"), streams: env.openDatabase(named: "streams"),
                streamPositions: env.openDatabase(named: "stream-positions"),
                eventIDs: env.openDatabase(named: "event-ids"), checkpoints: env.openDatabase(named: "checkpoints"),
                meta: env.openDatabase(named: "meta"))
            try env.read { txn in try layout.checkFormat(txn) }
            return layout
        }
        return try env.write { txn in
            let layout = try StoreLayout(
                events: txn.openDatabase(named: "events", flags: .create),
                streams: txn.openDatabase(named: "streams", flags: .create),
                streamPositions: txn.openDatabase(named: "stream-positions", flags: .create),
                eventIDs: txn.openDatabase(named: "event-ids", flags: .create),
                checkpoints: txn.openDatabase(named: "checkpoints", flags: .create),
                meta: txn.openDatabase(named: "meta", flags: .create))
            if try txn.get(layout.meta, key: formatKey) == nil {
                try txn.put(layout.meta, key: formatKey, value: Bytes.uint32LE(formatVersion))
            }
            try layout.checkFormat(txn)
            return layout
        }
    }

    func checkFormat(_ txn: some TransactionReading) throws {
        guard let raw = try txn.get(meta, key: StoreLayout.formatKey), raw.count == 4 else {
            throw StoreError.corruptView(view: "meta", key: "format", reason: "missing or malformed format version")
        }
        let found = UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self))
        if found > StoreLayout.formatVersion {
            throw StoreError.unsupportedFormat(found: found, supported: StoreLayout.formatVersion)
        }
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
