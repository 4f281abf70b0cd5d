import Foundation
import LMDB
import XCTest

final class InspectionTests: LMDBTestCase {
    func test_namedDatabasesGiveWhatMdbStatGivesForEach() throws {
        let env = try openEnvironment()
        let small = try env.openDatabase(named: "small", flags: .create)
        let large = try env.openDatabase(named: "large", flags: .create)
        try env.write { txn in
            try txn.put(small, key: bytes("k"), value: bytes("v"))
            for i in 0..<2_000 { try txn.put(large, key: bigEndian(UInt64(i)), value: [UInt8](repeating: 7, count: 100 + i % 3_000)) }
            try txn.put(large, key: bytes("huge"), value: [UInt8](repeating: 1, count: 20_000))  // overflow pages
        }

        let named = try env.namedDatabases()

        XCTAssertEqual(named.map(\.name), ["large", "small"])
        for (name, db) in [("small", small), ("large", large)] {
            let expected = try env.read { try $0.statistics(db) }
            XCTAssertEqual(named.first { $0.name == name }?.statistics, expected, name)
        }
        XCTAssertEqual(named.first { $0.name == "large" }?.statistics.entries, 2_001)
        XCTAssertGreaterThan(named.first { $0.name == "large" }?.statistics.overflowPages ?? 0, 0)
        XCTAssertEqual(named.first { $0.name == "small" }?.statistics.sizeBytes, try env.info().pageSizeBytes)
    }

    func test_readersListsThisProcessAndWhetherItIsReading() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "d", flags: .create)
        try env.write { try $0.put(db, key: bytes("k"), value: bytes("v")) }

        let inside = try env.read { _ in try env.readers() }
        let after = try env.readers()

        let me = ProcessInfo.processInfo.processIdentifier
        XCTAssertTrue(inside.contains { $0.processID == me && $0.transactionID != nil }, "\(inside)")
        XCTAssertTrue(after.allSatisfy { $0.processID == me && $0.transactionID == nil }, "a pooled, reset transaction holds its slot: \(after)")
        XCTAssertFalse(after.isEmpty)
    }
}
