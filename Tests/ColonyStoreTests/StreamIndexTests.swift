@testable import ColonyStore
import Foundation
import LMDB
import XCTest

/// Reading a stream through its sparse `stream-positions` index and its `stream-links`
/// (store format 2), and opening stores written in format 1, where every version is indexed
/// and there are no links.
final class StreamIndexTests: StoreTestCase {
    /// 300 events of "s" and some of "t" (two or three per batch), interleaved, in batches of 3 to 16 events, so
    /// "s" has `stream-positions` entries at versions 64, 128, 192 and 256 and links between.
    private func appendInterleaved(_ store: ColonyStore, sCount: Int = 300, from start: Int = 0) async throws {
        var n = start
        var batchSize = 1
        while n < start + sCount {
            let count = min(batchSize, start + sCount - n)
            var batch = events("s", count: count, from: n)
            batch.insert(event("t", #"{"before":\#(n)}"#), at: 0)
            batch.insert(event("t", #"{"middle":\#(n)}"#), at: batch.count / 2)
            if n % 2 == 0 { batch.append(event("t", #"{"after":\#(n)}"#)) }
            try await store.append(batch)
            n += count
            batchSize = batchSize % 13 + 1
        }
    }

    /// Every read of `stream` from every version, both ways, with several limits, against the log.
    private func assertEveryReadMatchesTheLog(_ store: ColonyStore, _ stream: String,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        let all = try store.read(from: 1, limit: .max).filter { $0.stream == stream }
        XCTAssertEqual(all.map(\.streamVersion), (0..<all.count).map { UInt64($0 + 1) }, file: file, line: line)
        XCTAssertEqual(try store.readStream(stream, limit: .max).map(\.position), all.map(\.position), file: file, line: line)
        for v in 1...all.count {
            for limit in [1, 3, 70] {
                let forward = try store.readStream(stream, from: UInt64(v), limit: limit)
                XCTAssertEqual(forward.map(\.position), all[(v - 1)..<min(v - 1 + limit, all.count)].map(\.position),
                               "forward from \(v), limit \(limit)", file: file, line: line)
                let backward = try store.readStream(stream, from: UInt64(v), direction: .backward, limit: limit)
                XCTAssertEqual(backward.map(\.position), all[max(0, v - limit)..<v].reversed().map(\.position),
                               "backward from \(v), limit \(limit)", file: file, line: line)
            }
        }
        XCTAssertEqual(try store.readStream(stream, from: UInt64(all.count + 1)).count, 0, file: file, line: line)
    }

    func test_readsFromEveryVersionMatchTheLog() async throws {
        let store = try openStore()
        try await appendInterleaved(store)
        try assertEveryReadMatchesTheLog(store, "s")
        try assertEveryReadMatchesTheLog(store, "t")
        let tables = try store.statistics().tables
        let tCount = try store.streamVersion("t")!
        XCTAssertGreaterThan(tCount, 64)
        // "t" has stream id 1 (each batch starts with it), "s" 2: version v is indexed when v + id is a multiple of 64.
        XCTAssertEqual(tables.first { $0.name == "stream-positions" }?.entries, 4 + Int((tCount + 1) / 64), "s: 62, 126, 190, 254; t: 63, 127…")
        XCTAssertEqual(tables.first { $0.name == "stream-links" }?.entries, Int(try store.headPosition()), "one link per event")
        XCTAssertTrue(try store.verify().isClean)
    }

    /// Rewrites the store in this test's directory as format 1 wrote it: every version in
    /// `stream-positions`, no `stream-links`, 16-byte `streams` values, `meta/format` 1.
    private func downgradeToFormat1() throws {
        let env = try Environment(path: path)
        defer { env.close() }
        try env.write { txn in
            let events = try txn.openDatabase(named: "events")
            let streams = try txn.openDatabase(named: "streams")
            let positions = try txn.openDatabase(named: "stream-positions")
            let meta = try txn.openDatabase(named: "meta")
            var ids: [[UInt8]: UInt64] = [:]
            var entries: [([UInt8], [UInt8])] = []
            try txn.scan(streams, prefix: []) { key, value in
                XCTAssertEqual(value.count, 24)
                ids[Array(key)] = value.loadUnaligned(as: UInt64.self)
                entries.append((Array(key), Array(value[0..<16])))
                return true
            }
            for (key, value) in entries { try txn.put(streams, key: key, value: value) }
            var records: [(position: UInt64, stream: [UInt8], version: UInt64)] = []
            try txn.scan(events, prefix: []) { key, value in
                let position = UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
                let kindLength = Int(UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 38, as: UInt16.self)))
                let streamLength = Int(UInt16(littleEndian: value.loadUnaligned(fromByteOffset: 40, as: UInt16.self)))
                let version = UInt64(littleEndian: value.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
                records.append((position, Array(value[(50 + kindLength)..<(50 + kindLength + streamLength)]), version))
                return true
            }
            for r in records {
                let key = withUnsafeBytes(of: ids[r.stream]!.bigEndian) { Array($0) } + withUnsafeBytes(of: r.version.bigEndian) { Array($0) }
                try txn.put(positions, key: key, value: withUnsafeBytes(of: r.position.littleEndian) { Array($0) })
            }
            try txn.drop(try txn.openDatabase(named: "stream-links"))
            try txn.put(meta, key: Array("format".utf8), value: withUnsafeBytes(of: UInt32(1).littleEndian) { Array($0) })
        }
    }

    func test_aFormat1StoreIsReadAsItIsAndUpgradedByAWriter() async throws {
        let first = try openStore()
        try await appendInterleaved(first, sCount: 150)
        first.close()
        try downgradeToFormat1()

        // Read-only: format 1 as it is, every version found through stream-positions.
        let reader = try openStore { $0.readOnly = true }
        XCTAssertEqual(try reader.statistics().format, 1)
        XCTAssertFalse(try reader.statistics().tables.contains { $0.name == "stream-links" })
        try assertEveryReadMatchesTheLog(reader, "s")
        let oldReport = try reader.verify()
        XCTAssertTrue(oldReport.isClean, oldReport.findings.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(oldReport.notes.contains { $0.contains("store format 1") }, "\(oldReport.notes)")
        reader.close()

        // A writer upgrades it, and the streams continue across the boundary.
        let writer = try openStore()
        XCTAssertEqual(try writer.statistics().format, 2)
        try await appendInterleaved(writer, sCount: 150, from: 150)
        try assertEveryReadMatchesTheLog(writer, "s")
        try assertEveryReadMatchesTheLog(writer, "t")
        let report = try writer.verify()
        XCTAssertTrue(report.isClean, report.findings.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(try writer.streamVersion("s"), 300)
        let appended = try await writer.append(event("s"), expectedVersion: .exact(300))
        XCTAssertEqual(appended.streamVersion, 301)
    }

    func test_aStoreOfANewerFormatIsRefused() async throws {
        try openStore().close()
        let env = try Environment(path: path)
        try env.write { txn in
            try txn.put(try txn.openDatabase(named: "meta"), key: Array("format".utf8), value: withUnsafeBytes(of: UInt32(3).littleEndian) { Array($0) })
        }
        env.close()
        XCTAssertThrowsError(try openStore()) { error in
            XCTAssertTrue("\(error)".contains("format 3"), "\(error)")
        }
    }

    /// What a format-1 writer that opened the store before the upgrade would append: the record,
    /// a `stream-positions` entry for its version, its event id, and a 16-byte `streams` value.
    private func appendAsFormat1(_ event: NewEvent, streamID: UInt64) throws {
        let env = try Environment(path: path)
        defer { env.close() }
        try env.write { txn in
            let events = try txn.openDatabase(named: "events")
            let head = try txn.withCursor(events) { try $0.last().map { UInt64(bigEndian: $0.key.loadUnaligned(as: UInt64.self)) } } ?? 0
            let streams = try txn.openDatabase(named: "streams")
            let version = try txn.get(streams, key: Array(event.stream.utf8)).map { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) } ?? 0
            let position = head + 1
            func le(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
            func be(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
            try txn.put(events, key: be(position), value: EventRecord.encode(event, position: position, streamVersion: version + 1), flags: .append)
            try txn.put(try txn.openDatabase(named: "stream-positions"), key: be(streamID) + be(version + 1), value: le(position))
            try txn.put(try txn.openDatabase(named: "event-ids"), key: event.id.bytes, value: le(position))
            try txn.put(streams, key: Array(event.stream.utf8), value: le(streamID) + le(version + 1))
        }
    }

    func test_anOlderWritersEventAmongLinkedOnesIsReportedByVerify() async throws {
        let store = try openStore()
        try await store.append(events("s", count: 3))  // versions 1-3, linked, not indexed
        store.close()
        try appendAsFormat1(event("s"), streamID: 1)    // version 4: indexed, no link
        let writer = try openStore()
        try await writer.append(event("s"))              // version 5 links back to 4
        XCTAssertEqual(try writer.readStream("s", from: 4).map(\.streamVersion), [4, 5])
        XCTAssertThrowsError(try writer.readStream("s"), "version 3 is reached by neither the index nor a link")
        let report = try writer.verify()
        XCTAssertTrue(report.findings.contains { $0.area == .streamLinks && $0.position == 4 && $0.message.contains("missing: version 3") },
                      report.findings.map(\.description).joined(separator: "\n"))
    }
}
