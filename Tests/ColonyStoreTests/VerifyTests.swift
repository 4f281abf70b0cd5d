import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

/// A view whose values are text derived from the events (so a test can find them in
/// data.mdb): `label:<stream>#<count>` per stream, and `kind:<kind>@<position>` per kind.
struct LabelProjection: Projection {
    let name = "labels"
    let version: UInt32 = 1
    var tables: [String] { ["by-kind"] }

    func apply(_ events: [RecordedEvent], to view: ViewWriter) throws {
        for e in events {
            let key = Array(e.streamBytes)
            let count = try view.get(key).flatMap { String(decoding: $0, as: UTF8.self).split(separator: "#").last.flatMap { Int($0) } } ?? 0
            try view.put(key, Array("label:\(e.stream)#\(count + 1)".utf8))
            try view.put(Array(e.kindBytes), Array("kind:\(e.kind)@\(e.position)".utf8), table: "by-kind")
        }
    }
}

final class VerifyTests: StoreTestCase {
    private let marker = "MARK\(UInt32.random(in: 100_000...999_999))"
    private var markerStream: String { "stream-\(marker)" }
    /// Stream ids are given in order of first append: "a" is 1, the marker's stream 2.
    private let markerStreamID: UInt64 = 2
    private let markerTime: Int64 = 0x0123_4567_89AB_CDEF
    private var markerID = EventID()

    /// 6 events over three streams; the 3rd (position 3) is version 1 of the marker's stream,
    /// with a payload and a time that occur nowhere else. The 5th is version 2 of it.
    private func makeStore() async throws -> ColonyStore {
        let store = try openStore(projections: [LabelProjection(), StreamSummaryProjection()])
        try await store.append([event("a"), event("a", kind: "second")])
        try await store.append(NewEvent(id: markerID, stream: markerStream, kind: "marked",
                                        payload: Array(#"{"text":"payload-\#(marker)"}"#.utf8), timeMicroseconds: markerTime))
        try await store.append([event("b"), event(markerStream, kind: "marked"), event("a")])
        return store
    }

    /// Closes the store, XORs one byte of every occurrence of `needle` in data.mdb (at
    /// `offset` into it) that `where` accepts, and reopens read-only. Copy-on-write leaves
    /// stale copies of pages in the file, so every copy is flipped: the live one is among them.
    private func flip(_ store: ColonyStore, _ needle: [UInt8], at offset: Int, mask: UInt8 = 0x01,
                      where accept: ([UInt8], Int) -> Bool = { _, _ in true },
                      file: StaticString = #filePath, line: UInt = #line) throws -> ColonyStore {
        store.close()
        let url = directory.appendingPathComponent("data.mdb")
        var data = [UInt8](try Data(contentsOf: url))
        let hits = occurrences(of: needle, in: data).filter { accept(data, $0) }
        XCTAssertFalse(hits.isEmpty, "the bytes to flip are in data.mdb", file: file, line: line)
        for start in hits { data[start + offset] ^= mask }
        try Data(data).write(to: url)
        return try openStore(projections: [LabelProjection(), StreamSummaryProjection()]) { $0.readOnly = true }
    }

    private func le(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private func be(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    private func assertFinding(_ report: VerifyReport, _ area: VerifyReport.Finding.Area, position: UInt64? = nil,
                               key: String? = nil, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(report.isClean, "verify found nothing", file: file, line: line)
        let match = report.findings.contains { f in
            f.area == area && (position == nil || f.position == position) && (key == nil || f.key == key) && f.message.contains(text)
        }
        XCTAssertTrue(match, "no \(area) finding at \(position.map(String.init) ?? "-") key \(key ?? "-") containing \"\(text)\" in:\n"
                      + report.findings.map(\.description).joined(separator: "\n"), file: file, line: line)
    }

    // MARK: A sound store

    func test_aSoundStoreVerifiesClean() async throws {
        let store = try await makeStore()
        try await store.append(events("bulk", count: 3_000))

        let report = try store.verify()

        XCTAssertTrue(report.isClean, report.findings.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(report.headPosition, 3_006)
        XCTAssertEqual(report.eventsChecked, 3_006)
        XCTAssertEqual(report.streamsChecked, 4)
        XCTAssertEqual(report.views.map(\.name), ["labels", "stream-summary"])
        XCTAssertEqual(report.views.map(\.outcome), [.equal, .equal])
        XCTAssertEqual(report.views.first?.entriesCompared, 4 + 3, "4 streams, 3 kinds")
    }

    func test_anEmptyStoreVerifiesClean() throws {
        let store = try openStore(projections: [LabelProjection()])
        let report = try store.verify()
        XCTAssertTrue(report.isClean, "\(report.findings)")
        XCTAssertEqual(report.headPosition, 0)
    }

    func test_viewsOfProjectionsNotRegisteredAreListedButNotCompared() async throws {
        let store = try await makeStore()
        store.close()
        let plain = try openStore { $0.readOnly = true }
        let report = try plain.verify()
        XCTAssertTrue(report.isClean, "\(report.findings)")
        XCTAssertEqual(report.views.map(\.name), ["labels", "stream-summary"])
        XCTAssertEqual(report.views.map(\.outcome), [.skipped, .skipped])
        XCTAssertTrue(report.notes.contains { $0.contains("labels") && $0.contains("not registered") }, "\(report.notes)")
    }

    func test_aViewBehindTheLogIsComparedAtItsCheckpoint() async throws {
        let store = try await makeStore()
        store.close()
        let other = try openStore(projections: [StreamSummaryProjection()])  // appends without the labels view
        try await other.append(events("late", count: 5))
        other.close()
        let reader = try openStore(projections: [LabelProjection(), StreamSummaryProjection()]) { $0.readOnly = true }

        let report = try reader.verify()

        XCTAssertTrue(report.isClean, "\(report.findings)")
        XCTAssertEqual(report.views.first { $0.name == "labels" }?.checkpoint, 6)
        XCTAssertEqual(report.views.first { $0.name == "labels" }?.lagEvents, 5)
        XCTAssertEqual(report.views.first { $0.name == "labels" }?.outcome, .equal)
    }

    // MARK: One flipped byte, wherever it is

    func test_aFlippedByteInARecordPayloadIsFoundAtItsPosition() async throws {
        let store = try flip(try await makeStore(), Array("payload-\(marker)".utf8), at: 9)
        let report = try store.verify()
        assertFinding(report, .record, position: 3, containing: "checksum mismatch")
        XCTAssertEqual(report.findings.filter { $0.area == .record }.count, 1)
    }

    func test_aFlippedByteInARecordHeaderIsFoundAtItsPosition() async throws {
        let store = try flip(try await makeStore(), le(UInt64(bitPattern: markerTime)), at: 3, mask: 0x80)
        assertFinding(try store.verify(), .record, position: 3, containing: "checksum mismatch")
    }

    func test_aFlippedByteInAnEventIDIndexValueIsFound() async throws {
        let id = markerID.bytes
        let store = try flip(try await makeStore(), id + le(3), at: 16)  // the position 3 becomes 2
        let report = try store.verify()
        assertFinding(report, .eventIDs, position: 3, key: markerID.description, containing: "points at position 2")
    }

    func test_aFlippedByteInAnEventIDIndexKeyIsFound() async throws {
        let id = markerID.bytes
        let store = try flip(try await makeStore(), id + le(3), at: 15)  // only the index entry has the position right after the id
        let report = try store.verify()
        assertFinding(report, .eventIDs, position: 3, key: markerID.description, containing: "missing")
        assertFinding(report, .eventIDs, position: 3, containing: "points at the record of event \(markerID)")
    }

    /// The store of `makeStore` with 62 more events of the marker's stream (positions 7...68),
    /// so its version 62 (62 + its id 2 is a multiple of 64), at position 66, has a
    /// `stream-positions` entry.
    private func makeStoreWithAnIndexedVersion() async throws -> ColonyStore {
        let store = try await makeStore()
        try await store.append((0..<62).map { _ in event(markerStream) })
        return store
    }

    func test_aFlippedByteInAStreamPositionsEntryIsFound() async throws {
        let entry = be(markerStreamID) + be(62) + le(66)  // (stream 2, version 62) → position 66
        let store = try flip(try await makeStoreWithAnIndexedVersion(), entry, at: 16, mask: 0x02)  // → position 64
        let report = try store.verify()
        assertFinding(report, .streamPositions, position: 66, key: "\(markerStreamID)/62", containing: "points at position 64")
    }

    func test_aFlippedByteInAStreamPositionsKeyIsFound() async throws {
        let entry = be(markerStreamID) + be(62) + le(66)
        let store = try flip(try await makeStoreWithAnIndexedVersion(), entry, at: 15, mask: 0x40)  // key (2, 126): a version the stream does not have
        let report = try store.verify()
        assertFinding(report, .streamPositions, position: 66, key: "\(markerStreamID)/126", containing: "points at version 62")
    }

    func test_aFlippedByteInAStreamLinkIsFound() async throws {
        let entry = be(5) + le(3)  // position 5 (the marker stream's version 2) → position 3 (its version 1)
        let store = try flip(try await makeStore(), entry, at: 8, mask: 0x06)  // → position 5
        let report = try store.verify()
        assertFinding(report, .streamLinks, position: 5, key: "5", containing: "points at position 5, but version 1")
        XCTAssertThrowsError(try store.readStream(markerStream), "a read must not follow a wrong link") { error in
            XCTAssertTrue("\(error)".contains("stream-links"), "\(error)")
        }
    }

    func test_aLinkThatIsTheOnlyWayToAVersionIsRequired() async throws {
        let entry = be(5) + le(3)
        let store = try flip(try await makeStore(), entry, at: 7, mask: 0x10)  // key 5 → 21: past the head
        let report = try store.verify()
        assertFinding(report, .streamLinks, position: 5, containing: "missing: version 1 of stream \(markerStream)")
        assertFinding(report, .streamLinks, position: 21, containing: "a link from a position the log does not have")
    }

    func test_aFlippedByteInAStreamsEntryIsFound() async throws {
        let entry = Array(markerStream.utf8) + le(markerStreamID) + le(2)
        let store = try flip(try await makeStore(), entry, at: markerStream.utf8.count + 8, mask: 0x01)  // head version 2 → 3
        let report = try store.verify()
        assertFinding(report, .streams, key: markerStream, containing: "head version 3")
    }

    func test_aFlippedByteInAViewValueIsFoundByItsKey() async throws {
        let store = try flip(try await makeStore(), Array("label:\(markerStream)#".utf8), at: 8)
        let report = try store.verify()
        assertFinding(report, .view, key: markerStream, containing: "differs from a rebuild from the log at byte 8")
        XCTAssertEqual(report.views.first { $0.name == "labels" }?.outcome, .differs)
        XCTAssertEqual(report.views.first { $0.name == "stream-summary" }?.outcome, .equal)
    }

    func test_aFlippedByteInAViewTableValueIsFoundByItsKey() async throws {
        let store = try flip(try await makeStore(), Array("kind:marked@5".utf8), at: 12, mask: 0x02)
        let report = try store.verify()
        assertFinding(report, .view, key: "marked", containing: "differs from a rebuild")
        XCTAssertEqual(report.findings.first?.table, "view:labels/by-kind")
    }

    func test_aFlippedByteInAViewKeyIsFoundBothWays() async throws {
        let store = try flip(try await makeStore(), Array(markerStream.utf8) + Array("label:".utf8), at: 0, mask: 0x20)
        let report = try store.verify()
        assertFinding(report, .view, key: "S" + markerStream.dropFirst(), containing: "not in a rebuild")
        assertFinding(report, .view, key: markerStream, containing: "missing: a rebuild from the log has it")
    }

    func test_aCheckpointPastTheHeadIsFound() async throws {
        let store = try flip(try await makeStore(), Array("labels".utf8) + le(6), at: 6, mask: 0x40)  // 6 → 70
        assertFinding(try store.verify(), .checkpoints, key: "labels", containing: "past the head")
    }

    func test_findingsBeyondTheLimitAreCounted() async throws {
        let store = try flip(try await makeStore(), Array("label:".utf8), at: 0, mask: 0x20)  // every labels value
        var options = VerifyOptions()
        options.maxFindings = 1
        let report = try store.verify(options)
        XCTAssertEqual(report.findings.count, 1)
        XCTAssertEqual(report.findingsOmitted, 2, "three streams' labels differ")
    }
}
