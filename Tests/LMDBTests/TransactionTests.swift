import Foundation
import LMDB
import XCTest

final class TransactionTests: LMDBTestCase {
    func test_putThenGetReturnsTheStoredValue() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("red")) }

        let value = try env.read { txn in try txn.getBytes(db, key: bytes("apple")) }
        XCTAssertEqual(value, bytes("red"))
    }

    func test_getOfMissingKeyReturnsNil() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("red")) }

        XCTAssertNil(try env.read { txn in try txn.getBytes(db, key: bytes("pear")) })
    }

    func test_putOverwritesAnExistingValue() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("red")) }
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("green")) }

        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("apple")) }, bytes("green"))
        XCTAssertEqual(try env.read { try $0.count(db) }, 1)
    }

    func test_putWithNoOverwriteRefusesAnExistingKey() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("red")) }

        assertLMDBError(LMDBError.keyExists) {
            try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("green"), flags: .noOverwrite) }
        }
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("apple")) }, bytes("red"))
    }

    func test_deleteRemovesTheKeyAndReportsWhetherItExisted() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in
            try txn.put(db, key: bytes("apple"), value: bytes("red"))
            try txn.put(db, key: bytes("pear"), value: bytes("yellow"))
        }

        let deleted = try env.write { txn in try txn.delete(db, key: bytes("apple")) }
        let deletedAgain = try env.write { txn in try txn.delete(db, key: bytes("apple")) }

        XCTAssertTrue(deleted)
        XCTAssertFalse(deletedAgain)
        XCTAssertNil(try env.read { try $0.getBytes(db, key: bytes("apple")) })
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("pear")) }, bytes("yellow"))
    }

    func test_clearEmptiesTheDatabaseButKeepsIt() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in
            for i in 0..<10 { try txn.put(db, key: bigEndian(UInt64(i)), value: bytes("v")) }
        }

        try env.write { txn in try txn.clear(db) }

        XCTAssertEqual(try env.read { try $0.count(db) }, 0)
        try env.write { txn in try txn.put(db, key: bytes("again"), value: bytes("v")) }
        XCTAssertEqual(try env.read { try $0.count(db) }, 1)
    }

    func test_writeClosureThatThrowsCommitsNothing() throws {
        struct Abort: Error {}
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("kept"), value: bytes("1")) }

        XCTAssertThrowsError(try env.write { txn in
            try txn.put(db, key: bytes("lost"), value: bytes("2"))
            try txn.put(db, key: bytes("kept"), value: bytes("overwritten"))
            throw Abort()
        }) { error in XCTAssertTrue(error is Abort, "the closure's own error is rethrown, got \(error)") }

        XCTAssertNil(try env.read { try $0.getBytes(db, key: bytes("lost")) })
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("kept")) }, bytes("1"))
        XCTAssertEqual(try env.read { try $0.count(db) }, 1)
    }

    func test_readTransactionSeesASnapshotOfTheLastCommit() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("before")) }

        let seen = try env.read { txn -> [UInt8]? in
            try env.write { w in try w.put(db, key: bytes("k"), value: bytes("after")) }
            return try txn.getBytes(db, key: bytes("k"))
        }

        XCTAssertEqual(seen, bytes("before"))
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("k")) }, bytes("after"))
    }

    func test_namedDatabasesAreSeparateKeySpaces() throws {
        let env = try openEnvironment()
        let a = try env.openDatabase(named: "a", flags: .create)
        let b = try env.openDatabase(named: "b", flags: .create)
        try env.write { txn in
            try txn.put(a, key: bytes("k"), value: bytes("in a"))
            try txn.put(b, key: bytes("k"), value: bytes("in b"))
        }

        XCTAssertEqual(try env.read { try $0.getBytes(a, key: bytes("k")) }, bytes("in a"))
        XCTAssertEqual(try env.read { try $0.getBytes(b, key: bytes("k")) }, bytes("in b"))
    }

    func test_dataSurvivesCloseAndReopen() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("apple"), value: bytes("red")) }
        env.close()

        let reopened = try openEnvironment()
        let db2 = try reopened.openDatabase(named: "things")
        XCTAssertEqual(try reopened.read { try $0.getBytes(db2, key: bytes("apple")) }, bytes("red"))
    }
}
