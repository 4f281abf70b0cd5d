import Foundation
import LMDB
import XCTest

/// How the environment keeps the kernel's page cache of `data.mdb` in 4 KB folios
/// (`FileTail`, `MDB_NORDAHEAD`) and warms it (`adviseWillNeed`).
///
/// The write tests count what the kernel really sends to the disk for this process
/// (`write_bytes` in `/proc/self/io`): a durable commit that rewrites one value changes a
/// handful of 4 KB pages, and should cost about that much, not the large folios around them.
/// On a kernel that caches files in 4 KB pages only, they pass either way.
final class PageCacheTests: LMDBTestCase {
    private let valueBytes = 1_000

    private func value(_ i: Int, _ round: Int = 0) -> [UInt8] {
        [UInt8](repeating: UInt8(truncatingIfNeeded: i &+ round), count: valueBytes)
    }

    /// 4,000 values of 1,000 bytes in 40 durable commits: the file grows a little per commit,
    /// as a store does.
    private func fill(_ env: Environment, _ db: Database) throws {
        for t in 0..<40 {
            try env.write { txn in
                for i in (t * 100)..<((t + 1) * 100) { try txn.put(db, key: bigEndian(UInt64(i)), value: value(i)) }
            }
        }
    }

    private func physicalBytesWritten() throws -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("write_bytes:") {
            return Int(line.dropFirst("write_bytes:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Bytes the kernel wrote per durable commit of one rewritten value, over 40 commits.
    private func bytesPerRewrite(_ env: Environment, _ db: Database) throws -> Int? {
        guard let before = try physicalBytesWritten() else { return nil }
        var random = SystemRandomNumberGenerator()
        for round in 1...40 {
            let i = Int.random(in: 0..<4_000, using: &random)
            try env.write { txn in try txn.put(db, key: bigEndian(UInt64(i)), value: value(i, round)) }
        }
        guard let after = try physicalBytesWritten() else { return nil }
        return (after - before) / 40
    }

    /// Flushes the file and drops it from the page cache.
    private func evict(_ dataFile: String) throws {
        let fd = open(dataFile, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        XCTAssertEqual(fsync(fd), 0)
        XCTAssertEqual(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0)
    }

    private func residentFraction(_ dataFile: String) throws -> Double {
        let fd = open(dataFile, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var info = stat()
        XCTAssertEqual(fstat(fd, &info), 0)
        let size = Int(info.st_size), page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            XCTFail("mmap failed: \(errno)")
            return 0
        }
        defer { munmap(map, size) }
        var vector = [UInt8](repeating: 0, count: (size + page - 1) / page)
        XCTAssertEqual(mincore(map, size, &vector), 0)
        return Double(vector.filter { $0 & 1 != 0 }.count) / Double(vector.count)
    }

    func test_theFileIsKeptExtendedPastItsLastPage() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "kv", flags: .create)
        try fill(env, db)
        let info = try env.info()
        let size = try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as! Int
        XCTAssertGreaterThanOrEqual(size, info.usedBytes + 256 * info.pageSizeBytes,
                                    "zero pages kept ready past the last used page")
        env.close()

        // The zeros past the last page change nothing LMDB reads.
        let reopened = try openEnvironment()
        let db2 = try reopened.openDatabase(named: "kv")
        try reopened.read { txn in
            XCTAssertEqual(try txn.count(db2), 4_000)
            for i in stride(from: 0, to: 4_000, by: 7) {
                XCTAssertEqual(try txn.getBytes(db2, key: bigEndian(UInt64(i))), value(i))
            }
        }
    }

    func test_aHugeCommitDoesNotMakeTheNextOneWriteHundredsOfMegabytesOfZeros() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "kv", flags: .create)
        try env.write { txn in  // about 48 MB in one commit, as a rebuild's chunk
            for i in 0..<12_000 { try txn.put(db, key: bigEndian(UInt64(i)), value: [UInt8](repeating: 7, count: 4_000)) }
        }
        try env.write { txn in try txn.put(db, key: bytes("small"), value: bytes("commit")) }
        let info = try env.info()
        let size = try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as! Int
        XCTAssertGreaterThanOrEqual(size, info.usedBytes + 256 * info.pageSizeBytes)
        XCTAssertLessThanOrEqual(size - info.usedBytes, 24 << 20, "zero pages kept past the last used page")
    }

    func test_aCommitWritesThePagesItChangedNotTheirNeighbours() throws {
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "kv", flags: .create)
        try fill(env, db)
        guard let perCommit = try bytesPerRewrite(env, db) else { throw XCTSkip("no /proc/self/io") }
        // A rewrite dirties a leaf, its branch and root, the free list and a meta page:
        // about 24 KB. Pages that LMDB first wrote in runs at the end of the file (one
        // 256 KB folio per 64 pages) would make it several hundred KB.
        XCTAssertLessThan(perCommit, 64 << 10, "bytes written to disk per commit of one value")
    }

    func test_pagesFaultedInOneByOneStaySmallForLaterWrites() throws {
        let first = try openEnvironment()
        try fill(first, try first.openDatabase(named: "kv", flags: .create))
        first.close()  // pages mapped by an open environment would stay cached
        try evict(path + "/data.mdb")
        // tmpfs keeps a file's pages in memory whatever it is told.
        if try residentFraction(path + "/data.mdb") > 0.5 { throw XCTSkip("this file system does not evict pages") }
        let env = try openEnvironment()
        let db = try env.openDatabase(named: "kv")
        // A scan faults every page in, in file order: with read-ahead, in folios of up to 2 MB.
        let total = try env.read { txn in
            try txn.withCursor(db) { cursor -> Int in
                var sum = 0
                var entry = try cursor.first()
                while let e = entry { sum += Int(e.value.first!) + 1; entry = try cursor.next() }
                return sum
            }
        }
        XCTAssertGreaterThan(total, 0)
        guard let perCommit = try bytesPerRewrite(env, db) else { throw XCTSkip("no /proc/self/io") }
        XCTAssertLessThan(perCommit, 64 << 10, "bytes written to disk per commit of one value")
    }

    func test_adviseWillNeedReadsTheFileInTheBackground() throws {
        let first = try openEnvironment()
        try fill(first, try first.openDatabase(named: "kv", flags: .create))
        first.close()
        let dataFile = path + "/data.mdb"
        try evict(dataFile)
        let env = try openEnvironment()
        XCTAssertLessThan(try residentFraction(dataFile), 0.5)
        XCTAssertTrue(try env.adviseWillNeed())
        let deadline = Date().addingTimeInterval(20)
        var fraction = 0.0
        while Date() < deadline {
            fraction = try residentFraction(dataFile)
            if fraction > 0.95 { break }
            usleep(20_000)
        }
        XCTAssertGreaterThan(fraction, 0.95, "share of data.mdb's pages in the page cache")
    }
}
