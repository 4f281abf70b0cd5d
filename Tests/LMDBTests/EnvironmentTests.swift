import Foundation
import LMDB
import XCTest

final class EnvironmentTests: LMDBTestCase {
    func test_openCreatesTheDirectoryAndItsFiles() throws {
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        _ = try openEnvironment()
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/data.mdb"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/lock.mdb"))
    }

    /// Opening a store under directories that do not exist yet makes them all, and flushes
    /// each new name in its parent (`DirectoryEntries`; Tests/e2e/test_power_loss.py checks
    /// the flushes happen before the first acknowledgement): none of those flushes may fail.
    func test_openCreatesMissingIntermediateDirectoriesAndAStoreInThemWorks() throws {
        let nested = path + "/a/b/store"
        let env = try openEnvironment(at: nested)
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested + "/data.mdb"))
        XCTAssertEqual(try env.read { txn in try txn.get(db, key: bytes("k")).map(Array.init) }, bytes("v"))
    }

    /// A store holds what agents wrote: only its owner may read it, whatever the umask.
    func test_openCreatesTheDirectory0700AndItsFiles0600EvenUnderAPermissiveUmask() throws {
        let previous = umask(0)
        defer { umask(previous) }
        _ = try openEnvironment()
        func mode(_ p: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        XCTAssertEqual(try mode(path), 0o700)
        XCTAssertEqual(try mode(path + "/data.mdb"), 0o600)
        XCTAssertEqual(try mode(path + "/lock.mdb"), 0o600)
    }

    func test_openingTheSamePathTwiceInOneProcessIsRefused() throws {
        _ = try openEnvironment()
        let error = assertLMDBError(LMDBError.alreadyOpenInProcess) { try openEnvironment() }
        XCTAssertEqual(error?.isRetryable, false)
    }

    func test_anEquivalentSpellingOfTheSamePathIsRefusedToo() throws {
        _ = try openEnvironment()
        assertLMDBError(LMDBError.alreadyOpenInProcess) { try openEnvironment(at: path + "/./") }
    }

    func test_aClosedEnvironmentCanBeReopened() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
        env.close()

        let reopened = try openEnvironment()
        let db2 = try reopened.openDatabase(named: "things")
        XCTAssertEqual(try reopened.read { try $0.getBytes(db2, key: bytes("k")) }, bytes("v"))
    }

    func test_closeIsIdempotent() throws {
        let env = try openEnvironment()
        env.close()
        env.close()
        _ = try openEnvironment()
    }

    func test_readOnAClosedEnvironmentThrowsClosed() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        env.close()
        assertLMDBError(LMDBError.closed) { try env.read { try $0.getBytes(db, key: bytes("k")) } }
    }

    func test_readOnlyOpenOfAMissingDirectoryFailsWithoutCreatingIt() throws {
        let error = assertLMDBError(ENOENT) { try openEnvironment { $0.readOnly = true } }
        XCTAssertTrue(error?.description.contains(path) ?? false, "the error names the path: \(String(describing: error))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func test_openOfAPathThatIsAFileFails() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("plain-file").path
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        assertLMDBError(ENOTDIR) { try openEnvironment(at: file) }
    }

    func test_readOnlyEnvironmentReadsWhatAWriterCommitted() throws {
        let writer = try openEnvironment()
        let db = try writer.openDatabase(named: "things", flags: .create)
        try writer.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
        writer.close()

        let reader = try openEnvironment { $0.readOnly = true }
        let db2 = try reader.openDatabase(named: "things")
        XCTAssertEqual(try reader.read { try $0.getBytes(db2, key: bytes("k")) }, bytes("v"))
    }

    func test_aWriteWaitsForTheWriterFlockOnTheDataFileAndReadsDoNot() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        // Another open file description, as another process would hold.
        let fd = open(path + "/data.mdb", O_RDONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(flock(fd, LOCK_EX), 0)
        let committed = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
            committed.signal()
        }
        XCTAssertEqual(committed.wait(timeout: .now() + 0.3), .timedOut, "the write did not wait for the flock")
        XCTAssertNil(try env.read { try $0.getBytes(db, key: bytes("k")) })
        XCTAssertEqual(flock(fd, LOCK_UN), 0)
        XCTAssertEqual(committed.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(try env.read { try $0.getBytes(db, key: bytes("k")) }, bytes("v"))
    }

    func test_readTransactionsAreReusedSoManyReadsDoNotExhaustReaderSlots() throws {
        let env = try openEnvironment { $0.maxReaders = 8 }
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }

        var hits = 0
        for _ in 0..<10_000 {
            if try env.read({ try $0.get(db, key: bytes("k")) != nil }) { hits += 1 }
        }

        XCTAssertEqual(hits, 10_000)
        XCTAssertEqual(try env.info().readersInUse, 1, "one pooled read transaction served every read")
    }

    func test_concurrentReadsFromSeveralThreadsShareTheReaderSlots() throws {
        let env = try openEnvironment { $0.maxReaders = 8 }
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }

        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<2_500 {
                let ok = (try? env.read { try $0.getBytes(db, key: bytes("k")) }) == bytes("v")
                if !ok { failures.increment() }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }

    func test_infoReportsPageSizeAndTransactionIDs() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        let before = try env.info().lastTransactionID
        try env.write { txn in try txn.put(db, key: bytes("k"), value: bytes("v")) }
        let info = try env.info()

        XCTAssertEqual(info.lastTransactionID, before + 1)
        XCTAssertGreaterThan(info.pageSizeBytes, 0)
        XCTAssertEqual(info.usedBytes, (info.lastPageNumber + 1) * info.pageSizeBytes)
    }

    func test_copyWritesAnEnvironmentThatOpensWithTheSameData() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "things", flags: .create)
        try env.write { txn in for i in 0..<100 { try txn.put(db, key: bigEndian(UInt64(i)), value: bytes("v\(i)")) } }
        let destination = directory.appendingPathComponent("copy").path
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)

        try env.copy(to: destination)

        let copy = try openEnvironment(at: destination)
        let copyDB = try copy.openDatabase(named: "things")
        XCTAssertEqual(try copy.read { try $0.count(copyDB) }, 100)
        XCTAssertEqual(try copy.read { try $0.getBytes(copyDB, key: bigEndian(42)) }, bytes("v42"))
    }
}

/// A counter safe to bump from several threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
