import ColonyStore
import Foundation
import LMDB

/// The events every benchmark writes, and the scopes they go to.
///
/// Event `i` of a store with `leaves` leaf scopes goes to leaf `i % leaves`,
/// named `o{j % 10}/p{j % 100}/s{j}`: three levels, so each event updates the
/// context of its leaf, its project and its organisation. The payload is a
/// 256-byte JSON object `{"text":"…"}`, so a stored record is about 320 bytes.
enum Workload {
    /// Leaf scopes of the large store (1,000,000 events: 100 per leaf).
    static let leafScopes = 10_000
    /// Size of every payload, in bytes.
    static let payloadSizeBytes = 256
    /// Size of the value the raw LMDB baselines write per event to stand for a view update.
    static let rawViewValueSizeBytes = 1_024

    static func scope(leaf j: Int) -> String { "o\(j % 10)/p\(j % 100)/s\(j)" }

    static func scope(event i: Int, leaves: Int) -> String { scope(leaf: i % leaves) }

    /// `{"text":"…"}`, exactly `payloadSizeBytes` long.
    static let payload: [UInt8] = {
        let prefix = #"{"text":""#
        let suffix = #""}"#
        let sentence = "the agent ran the test suite, found one flaky case in the writer and logged what it saw. "
        let textLength = payloadSizeBytes - prefix.utf8.count - suffix.utf8.count
        let text = String(String(repeating: sentence, count: textLength / sentence.utf8.count + 1).prefix(textLength))
        let bytes = Array((prefix + text + suffix).utf8)
        precondition(bytes.count == payloadSizeBytes)
        return bytes
    }()

    static func event(_ i: Int, leaves: Int) -> NewEvent {
        NewEvent(stream: scope(event: i, leaves: leaves), kind: "event", payload: payload)
    }

    static func batch(_ range: Range<Int>, leaves: Int) -> [NewEvent] {
        range.map { event($0, leaves: leaves) }
    }

    /// A byte string the size of the record `ColonyStore` stores for event `i`
    /// (50-byte header, kind, stream, payload), for the raw LMDB baselines.
    /// The lengths sit where `EventRecord` keeps them: kind at 38 (u16), stream at 40 (u16),
    /// payload at 46 (u32), so the rebuild baseline finds the scope as Colony does.
    static func rawRecord(_ i: Int, leaves: Int) -> [UInt8] {
        let kind = Array("event".utf8)
        let stream = Array(scope(event: i, leaves: leaves).utf8)
        var record = [UInt8](repeating: 0, count: rawHeaderSizeBytes)
        record[0] = 1
        record.withUnsafeMutableBytes { r in
            r.storeBytes(of: UInt64(i).littleEndian, toByteOffset: 6, as: UInt64.self)
            r.storeBytes(of: UInt16(kind.count).littleEndian, toByteOffset: 38, as: UInt16.self)
            r.storeBytes(of: UInt16(stream.count).littleEndian, toByteOffset: 40, as: UInt16.self)
            r.storeBytes(of: UInt32(payload.count).littleEndian, toByteOffset: 46, as: UInt32.self)
        }
        record.append(contentsOf: kind)
        record.append(contentsOf: stream)
        record.append(contentsOf: payload)
        return record
    }

    static let rawHeaderSizeBytes = 50

    /// The stream (scope) bytes of a raw record.
    static func rawRecordStream(_ record: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let kindLength = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 38, as: UInt16.self)))
        let streamLength = Int(UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 40, as: UInt16.self)))
        let start = rawHeaderSizeBytes + kindLength
        return UnsafeRawBufferPointer(rebasing: record[start..<(start + streamLength)])
    }

    /// The `rawViewValueSizeBytes`-long value the raw baselines write per event.
    static let rawViewValue: [UInt8] = (0..<rawViewValueSizeBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }

    /// `count` leaf indices in `0..<leaves`, drawn with a fixed seed so every run reads the same scopes.
    static func randomLeaves(_ count: Int, leaves: Int, seed: UInt64 = 0x5eed_c010_1e5) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int(rng.next() % UInt64(leaves)) }
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014), so runs are repeatable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Big-endian bytes of a log position, as `ColonyStore` keys its `events` database.
func positionKey(_ position: UInt64) -> [UInt8] {
    withUnsafeBytes(of: position.bigEndian) { Array($0) }
}

extension WriteTransaction {
    /// Appends `record` under `position` (big-endian key, `MDB_APPEND`) without allocating.
    @inline(__always)
    func append(_ db: Database, position: UInt64, record: [UInt8]) throws {
        var key = position.bigEndian
        try withUnsafeBytes(of: &key) { k in
            try record.withUnsafeBytes { v in try put(db, key: k, value: v, flags: .append) }
        }
    }
}
