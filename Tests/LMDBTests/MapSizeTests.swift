import Foundation
import LMDB
import XCTest

final class MapSizeTests: LMDBTestCase {
    private let valueSize = 4_096

    /// Writes `count` values of `valueSize` bytes, keyed from `start`, in one transaction.
    private func writeValues(_ env: Environment, _ db: Database, start: Int, count: Int) throws {
        try env.write { txn in
            for i in start..<(start + count) {
                try txn.put(db, key: bigEndian(UInt64(i)), value: [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: valueSize))
            }
        }
    }

    func test_writesGrowAFullMapInsteadOfFailing() throws {
        let initial = 1 << 20
        let env = try openEnvironment { $0.mapSizeBytes = initial }
        let db = try env.openDatabase(named: "blobs", flags: .create)
        XCTAssertEqual(env.mapSizeBytes, initial)

        // 20 transactions of 256 values × 4 KiB: about 20 MiB.
        for t in 0..<20 { try writeValues(env, db, start: t * 256, count: 256) }

        XCTAssertGreaterThanOrEqual(env.mapSizeBytes, 20 << 20)
        XCTAssertEqual(try env.read { try $0.count(db) }, 20 * 256)
        let sample = try env.read { try $0.getBytes(db, key: bigEndian(4_000)) }
        XCTAssertEqual(sample, [UInt8](repeating: UInt8(truncatingIfNeeded: 4_000), count: valueSize))
    }

    func test_grownMapIsKeptAcrossReopen() throws {
        let env = try openEnvironment { $0.mapSizeBytes = 1 << 20 }
        let db = try env.openDatabase(named: "blobs", flags: .create)
        try writeValues(env, db, start: 0, count: 1_024)
        env.close()

        let reopened = try openEnvironment { $0.mapSizeBytes = 1 << 20 }
        let db2 = try reopened.openDatabase(named: "blobs")
        XCTAssertGreaterThan(reopened.mapSizeBytes, 4 << 20)
        XCTAssertEqual(try reopened.read { try $0.count(db2) }, 1_024)
    }

    func test_writePastTheMaximumMapSizeFailsWithMapFullAndKeepsEarlierData() throws {
        let env = try openEnvironment {
            $0.mapSizeBytes = 1 << 20
            $0.maxMapSizeBytes = 2 << 20
        }
        let db = try env.openDatabase(named: "blobs", flags: .create)
        try writeValues(env, db, start: 0, count: 32)  // 128 KiB

        let error = assertLMDBError(LMDBError.mapFull) { try writeValues(env, db, start: 32, count: 1_024) }  // 4 MiB

        XCTAssertEqual(error?.isRetryable, true)
        XCTAssertLessThanOrEqual(env.mapSizeBytes, 2 << 20)
        XCTAssertEqual(try env.read { try $0.count(db) }, 32)
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bigEndian(31)) },
                       [UInt8](repeating: 31, count: valueSize))
        XCTAssertNil(try env.read { try $0.getBytes(db, key: bigEndian(32)) }, "nothing of the failed transaction is committed")
    }

    func test_environmentStillWritesAfterHittingTheMaximum() throws {
        let env = try openEnvironment {
            $0.mapSizeBytes = 1 << 20
            $0.maxMapSizeBytes = 2 << 20
        }
        let db = try env.openDatabase(named: "blobs", flags: .create)
        assertLMDBError(LMDBError.mapFull) { try writeValues(env, db, start: 0, count: 1_024) }

        try writeValues(env, db, start: 0, count: 8)

        XCTAssertEqual(try env.read { try $0.count(db) }, 8)
    }
}
