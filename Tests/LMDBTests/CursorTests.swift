import Foundation
import LMDB
import XCTest

final class CursorTests: LMDBTestCase {
    /// A database holding keys 10, 20, 30, 40 (UInt64 big-endian) with values "v10"…
    private func openNumbers() throws -> (Environment, Database) {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "numbers", flags: .create)
        try env.write { txn in
            // Inserted out of order: the cursor must still walk them sorted.
            for n: UInt64 in [30, 10, 40, 20] { try txn.put(db, key: bigEndian(n), value: bytes("v\(n)")) }
        }
        return (env, db)
    }

    func test_cursorWalksKeysInAscendingByteOrder() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "words", flags: .create)
        try env.write { txn in
            for w in ["b", "ab", "a", "ba", "B"] { try txn.put(db, key: bytes(w), value: bytes(w.uppercased())) }
        }

        let keys = try env.read { txn in
            try txn.withCursor(db) { cursor -> [String] in
                var out: [String] = []
                var entry = try cursor.first()
                while let e = entry {
                    out.append(String(decoding: e.key, as: UTF8.self))
                    entry = try cursor.next()
                }
                return out
            }
        }
        XCTAssertEqual(keys, ["B", "a", "ab", "b", "ba"])
    }

    func test_cursorWalksBackwardFromLast() throws {
        let (env, db) = try openNumbers()
        let values = try env.read { txn in
            try txn.withCursor(db) { cursor -> [String] in
                var out: [String] = []
                var entry = try cursor.last()
                while let e = entry {
                    out.append(String(decoding: e.value, as: UTF8.self))
                    entry = try cursor.previous()
                }
                return out
            }
        }
        XCTAssertEqual(values, ["v40", "v30", "v20", "v10"])
    }

    func test_firstAndLastAreTheSmallestAndLargestKeys() throws {
        let (env, db) = try openNumbers()
        let (first, last) = try env.read { txn in
            try txn.withCursor(db) { c in (copied(try c.first()), copied(try c.last())) }
        }
        XCTAssertEqual(first?.key, bigEndian(10))
        XCTAssertEqual(first?.value, bytes("v10"))
        XCTAssertEqual(last?.key, bigEndian(40))
        XCTAssertEqual(last?.value, bytes("v40"))
    }

    func test_firstAndLastOfAnEmptyDatabaseAreNil() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "empty", flags: .create)
        let (first, last) = try env.read { txn in
            try txn.withCursor(db) { c in (copied(try c.first()), copied(try c.last())) }
        }
        XCTAssertNil(first)
        XCTAssertNil(last)
    }

    func test_seekAtOrAfterFindsTheExactKeyOrTheNextOne() throws {
        let (env, db) = try openNumbers()
        let found = try env.read { txn in
            try txn.withCursor(db) { c in
                [UInt64(0), 10, 15, 40].map { n in copied(try? c.seek(atOrAfter: bigEndian(n)))?.key }
            }
        }
        XCTAssertEqual(found, [bigEndian(10), bigEndian(10), bigEndian(20), bigEndian(40)])
    }

    func test_seekAtOrAfterPastTheLastKeyIsNil() throws {
        let (env, db) = try openNumbers()
        let found = try env.read { txn in try txn.withCursor(db) { c in copied(try c.seek(atOrAfter: bigEndian(41))) } }
        XCTAssertNil(found)
    }

    func test_seekAtOrAfterAnEmptyKeyIsTheFirstEntry() throws {
        let (env, db) = try openNumbers()
        let (after, before) = try env.read { txn in
            try txn.withCursor(db) { c in (copied(try c.seek(atOrAfter: [])), copied(try c.seek(atOrBefore: []))) }
        }
        XCTAssertEqual(after?.key, bigEndian(10))
        XCTAssertNil(before)
    }

    func test_seekAtOrBeforeFindsTheExactKeyOrThePreviousOne() throws {
        let (env, db) = try openNumbers()
        let found = try env.read { txn in
            try txn.withCursor(db) { c in
                [UInt64(10), 25, 30, 41, .max].map { n in copied(try? c.seek(atOrBefore: bigEndian(n)))?.key }
            }
        }
        XCTAssertEqual(found, [bigEndian(10), bigEndian(20), bigEndian(30), bigEndian(40), bigEndian(40)])
    }

    func test_seekAtOrBeforeTheFirstKeyIsNil() throws {
        let (env, db) = try openNumbers()
        let found = try env.read { txn in try txn.withCursor(db) { c in copied(try c.seek(atOrBefore: bigEndian(9))) } }
        XCTAssertNil(found)
    }

    func test_seekExactlyFindsOnlyThatKey() throws {
        let (env, db) = try openNumbers()
        let (hit, miss) = try env.read { txn in
            try txn.withCursor(db) { c in (copied(try c.seek(exactly: bigEndian(20))), copied(try c.seek(exactly: bigEndian(21)))) }
        }
        XCTAssertEqual(hit?.value, bytes("v20"))
        XCTAssertNil(miss)
    }

    func test_nextAfterSeekContinuesInOrder() throws {
        let (env, db) = try openNumbers()
        let keys = try env.read { txn in
            try txn.withCursor(db) { c -> [[UInt8]] in
                var out: [[UInt8]] = []
                var entry = try c.seek(atOrAfter: bigEndian(11))
                while let e = entry { out.append(Array(e.key)); entry = try c.next() }
                return out
            }
        }
        XCTAssertEqual(keys, [bigEndian(20), bigEndian(30), bigEndian(40)])
    }

    func test_appendFlagRefusesAKeyThatDoesNotSortLast() throws {
        let (env, db) = try openNumbers()
        try env.write { txn in try txn.put(db, key: bigEndian(50), value: bytes("v50"), flags: .append) }

        assertLMDBError(LMDBError.keyExists) {
            try env.write { txn in try txn.put(db, key: bigEndian(45), value: bytes("v45"), flags: .append) }
        }
        XCTAssertEqual(try env.read { try $0.count(db) }, 5)
    }

    func test_cursorPutAndDeleteCurrentChangeTheDatabase() throws {
        let (env, db) = try openNumbers()
        try env.write { txn in
            try txn.withCursor(db) { c in
                let key = bigEndian(25), value = bytes("v25")
                try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try c.put(key: k, value: v) } }
                _ = try c.seek(exactly: bigEndian(10))
                try c.deleteCurrent()
            }
        }
        let keys = try env.read { txn in
            try txn.withCursor(db) { c -> [[UInt8]] in
                var out: [[UInt8]] = []
                var entry = try c.first()
                while let e = entry { out.append(Array(e.key)); entry = try c.next() }
                return out
            }
        }
        XCTAssertEqual(keys, [bigEndian(20), bigEndian(25), bigEndian(30), bigEndian(40)])
    }
}
