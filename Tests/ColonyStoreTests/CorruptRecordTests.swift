import ColonyStore
import Foundation
import XCTest

final class CorruptRecordTests: StoreTestCase {
    private let marker = "CORRUPT-ME-\(UUID().uuidString)"

    /// Appends 5 events (the 3rd carries `marker`), closes the store, flips one
    /// byte of the marker wherever it appears in data.mdb, and reopens.
    /// Copy-on-write may leave stale copies of the record on free pages, so
    /// every copy is flipped: the live one must be among them.
    private func openStoreWithCorruptThirdEvent() async throws -> ColonyStore {
        let store = try openStore()
        try await store.append([event("s", #"{"n":1}"#), event("s", #"{"n":2}"#),
                                event("s", #"{"marker":"\#(marker)"}"#),
                                event("s", #"{"n":4}"#), event("s", #"{"n":5}"#)])
        store.close()

        let file = directory.appendingPathComponent("data.mdb")
        var data = [UInt8](try Data(contentsOf: file))
        let needle = Array(marker.utf8)
        let hits = occurrences(of: needle, in: data)
        XCTAssertFalse(hits.isEmpty, "the marker is stored verbatim in data.mdb")
        for offset in hits { data[offset] ^= 0x01 }  // "C" becomes "B": still valid JSON, wrong checksum
        try Data(data).write(to: file)

        return try openStore()
    }

    func test_flippedByteInAStoredRecordIsReportedAsCorruptAtItsPosition() async throws {
        let store = try await openStoreWithCorruptThirdEvent()

        let error = thrownError { try store.event(at: 3) }

        guard case StoreError.corruptRecord(let position, let reason)? = error as? StoreError else {
            return XCTFail("expected corruptRecord, got \(String(describing: error))")
        }
        XCTAssertEqual(position, 3)
        XCTAssertTrue(reason.contains("checksum"), reason)
    }

    func test_readThroughACorruptRecordThrowsNamingItsPosition() async throws {
        let store = try await openStoreWithCorruptThirdEvent()

        let forward = thrownError { try store.read(from: 1) }
        let backward = thrownError { try store.read(from: 5, direction: .backward) }
        let byStream = thrownError { try store.readStream("s") }

        for error in [forward, backward, byStream] {
            guard case StoreError.corruptRecord(let position, _)? = error as? StoreError else {
                XCTFail("expected corruptRecord, got \(String(describing: error))")
                continue
            }
            XCTAssertEqual(position, 3)
        }
    }

    func test_eventsBesideACorruptRecordStillRead() async throws {
        let store = try await openStoreWithCorruptThirdEvent()

        XCTAssertEqual(try store.event(at: 2).map { text($0.payload) }, #"{"n":2}"#)
        XCTAssertEqual(try store.event(at: 4).map { text($0.payload) }, #"{"n":4}"#)
        XCTAssertEqual(try store.read(from: 1, limit: 2).map(\.position), [1, 2])
        XCTAssertEqual(try store.read(from: 4).map(\.position), [4, 5])
        XCTAssertEqual(try store.headPosition(), 5)
    }

    func test_storeWithACorruptRecordStillAppends() async throws {
        let store = try await openStoreWithCorruptThirdEvent()
        let result = try await store.append(event("s"))
        XCTAssertEqual(result.positions, [6])
        XCTAssertEqual(result.streamVersion, 6)
    }
}

/// Offsets at which `needle` starts in `haystack`.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
    var out: [Int] = []
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { out.append(i) }
        i += 1
    }
    return out
}
