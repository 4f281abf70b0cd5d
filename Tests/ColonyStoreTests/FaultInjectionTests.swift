import ColonyStore
import ColonyTestSupport
import Foundation
import LMDB
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Faults injected into real stores: a full disk, a reader process killed inside its
/// read transaction, the store's directory deleted under an open store. Each test
/// states what the store guarantees when that happens. (SIGKILL of writers under
/// multi-process load is `CrashRecoveryTests`; flipped bytes are `CorruptRecordTests`
/// and `VerifyTests`.)
final class FaultInjectionTests: StoreTestCase {
    // MARK: Disk full

    /// The size cap stands in for a full disk: an append that needs more room fails
    /// at once with a retryable error, reads go on, nothing is corrupted, and the
    /// same append succeeds once there is room (the store reopened with a larger cap).
    func test_appendPastTheSizeCapFailsRetryablyWithin100msAndWritesResumeWithRoom() async throws {
        let capBytes = 2 << 20
        var store = try openStore(projections: [StreamSummaryProjection()]) {
            $0.mapSizeBytes = 1 << 20
            $0.maxMapSizeBytes = capBytes
            $0.durability = .buffered(syncIntervalMilliseconds: 5)
        }
        let payload = #"{"fill":""# + String(repeating: "x", count: 16_000) + #""}"#
        var acknowledged = 0
        var failure: StoreError?
        var failedAfterMilliseconds = 0.0
        for _ in 0..<1_000 {
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try await store.append(event("fill", payload))
                acknowledged += 1
            } catch let error as StoreError {
                failedAfterMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                failure = error
                break
            }
        }
        let error = try XCTUnwrap(failure, "2 MB cannot hold 1,000 events of 16 kB")
        XCTAssertGreaterThan(acknowledged, 10, "the store took events until it was full")
        XCTAssertTrue(error.isRetryable, "a full store is a retryable condition: \(error)")
        XCTAssertTrue(error.description.contains("size limit"), "the error names the cause: \(error)")
        XCTAssertLessThan(failedAfterMilliseconds, 100, "a full store fails the append at once")

        // Reads go on, and see every acknowledged event and nothing else.
        XCTAssertEqual(try store.headPosition(), UInt64(acknowledged))
        XCTAssertEqual(try store.event(at: 1)?.stream, "fill")
        XCTAssertEqual(try store.summary(of: "fill")?.count, UInt64(acknowledged))
        // The next append fails the same way: the store did not half-write the first.
        let again = await thrownError { try await store.append(event("fill", payload)) }
        XCTAssertEqual((again as? StoreError)?.isRetryable, true)

        store.close()
        store = try openStore(projections: [StreamSummaryProjection()]) { $0.maxMapSizeBytes = 64 << 20 }
        XCTAssertTrue(try store.verify().isClean, "nothing was corrupted by the failed appends")
        let result = try await store.append(event("fill", payload))
        XCTAssertEqual(result.lastPosition, UInt64(acknowledged) + 1, "with room, appends resume right after the last acknowledged one")
        XCTAssertTrue(try store.verify().isClean)
    }

    /// A real full file system (a 4 MB tmpfs, when this process may mount one): the
    /// commit that cannot write its pages fails with a retryable error, reads go on,
    /// and once a file is removed to make room the next append succeeds.
    func test_appendOnAFullFileSystemFailsRetryablyAndSucceedsOnceSpaceIsFreed() async throws {
        let mountPoint = directory.appendingPathComponent("tmpfs")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard mount("tmpfs", mountPoint.path, "tmpfs", 0, "size=4m") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (\(String(cString: strerror(errno)))); the size-cap test covers a full store")
        }
        defer { umount2(mountPoint.path, Int32(MNT_DETACH)) }
        let storePath = mountPoint.appendingPathComponent("store").path
        var options = StoreOptions()
        options.durability = .buffered(syncIntervalMilliseconds: 5)
        var store = try ColonyStore.open(at: storePath, options: options, projections: [StreamSummaryProjection()])
        defer { store.close() }
        _ = try await store.append(events("s", count: 10))

        // Fill the file system with another file, leaving the store no room to grow.
        let filler = mountPoint.appendingPathComponent("filler").path
        let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0xAB, count: 64 << 10)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)

        let payload = #"{"fill":""# + String(repeating: "y", count: 16_000) + #""}"#
        var failure: StoreError?
        var failedAfterMilliseconds = 0.0
        // The store keeps a few MB of zero pages past its last page (FileTail), which the
        // first appends fill before a commit needs a new block.
        for _ in 0..<1_000 {
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                _ = try await store.append(event("s", payload))
            } catch let error as StoreError {
                failedAfterMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
                failure = error
                break
            }
        }
        let error = try XCTUnwrap(failure, "a full file system must fail an append")
        XCTAssertTrue(error.isRetryable, "ENOSPC is retryable: \(error)")
        XCTAssertLessThan(failedAfterMilliseconds, 100)
        let head = try store.headPosition()
        XCTAssertEqual(try store.summary(of: "s")?.count, head, "reads go on and agree with the log")

        unlink(filler)
        let result = try await store.append(event("s"))
        XCTAssertEqual(result.lastPosition, head + 1, "with space freed, the next append succeeds")
        store.close()
        store = try ColonyStore.open(at: storePath, options: options, projections: [StreamSummaryProjection()])
        XCTAssertTrue(try store.verify().isClean, "the full file system corrupted nothing")
    }

    // MARK: A read-only file system

    /// A store whose file system is read-only: opening it for writing fails with a
    /// store error naming the cause (no crash, nothing written), a read-only open reads
    /// it, and Linux will not make the file system read-only while a store on it is open
    /// for writing (so "read-only under a running store" cannot happen here).
    func test_aStoreOnAReadOnlyFileSystemOpensReadOnlyAndRefusesWritingClearly() async throws {
        let mountPoint = directory.appendingPathComponent("tmpfs")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        guard mount("tmpfs", mountPoint.path, "tmpfs", 0, "size=16m") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (\(String(cString: strerror(errno))))")
        }
        defer { umount2(mountPoint.path, Int32(MNT_DETACH)) }
        let storePath = mountPoint.appendingPathComponent("store").path
        var store = try ColonyStore.open(at: storePath, projections: [StreamSummaryProjection()])
        _ = try await store.append(events("s", count: 3))

        let remountWhileOpen = mount("tmpfs", mountPoint.path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), "size=16m")
        let remountError = errno
        store.close()
        if remountWhileOpen == 0 {
            XCTFail("the kernel made the file system read-only under an open store")
        } else {
            XCTAssertEqual(remountError, EBUSY, "a file system with a file open for writing cannot become read-only")
        }
        guard mount("tmpfs", mountPoint.path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), "size=16m") == 0 else {
            return XCTFail("remount read-only after close: \(String(cString: strerror(errno)))")
        }

        let error = thrownError { try ColonyStore.open(at: storePath, projections: [StreamSummaryProjection()]) }
        XCTAssertNotNil(error as? StoreError, "a clear store error: \(String(describing: error))")
        XCTAssertTrue("\(String(describing: error))".lowercased().contains("read-only"), "names the cause: \(String(describing: error))")

        var readOnly = StoreOptions()
        readOnly.readOnly = true
        store = try ColonyStore.open(at: storePath, options: readOnly, projections: [StreamSummaryProjection()])
        defer { store.close() }
        XCTAssertEqual(try store.headPosition(), 3, "a read-only open reads the store")
        XCTAssertEqual(try store.summary(of: "s")?.count, 3)
    }

    // MARK: A reader killed inside its read transaction

    /// A process killed while it reads holds its reader slot, and the slot pins the
    /// snapshot it was reading: without clearing it, no page freed after that
    /// snapshot is reused and the file grows with every commit while this store stays
    /// open. The writer clears slots of dead processes every 64 commits, so the file
    /// stays small however long the writing goes on.
    func test_aReaderKilledInsideItsTransactionIsReclaimedAndTheFileStopsGrowing() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()]) {
            $0.durability = .buffered(syncIntervalMilliseconds: 50)
        }
        _ = try await store.append(events("s", count: 100))

        let holder = Process()
        holder.executableURL = try CrashWriterProcess.executable()
        holder.arguments = [path, "--hold-read"]
        let pipe = Pipe()
        holder.standardOutput = pipe
        try holder.run()
        let said = String(decoding: pipe.fileHandleForReading.readData(ofLength: 8), as: UTF8.self)
        XCTAssertEqual(said, "holding\n", "the holder is inside a read transaction")
        XCTAssertTrue(try store.statistics().readerProcessIDs.contains(holder.processIdentifier), "its slot is in the reader table")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()

        // Each of these commits rewrites the same view key and index pages; with the dead
        // reader's snapshot pinned, every commit's old pages would stay allocated (~40 kB each).
        let sizeBefore = try fileSize()
        for i in 0..<3_000 { _ = try await store.append(event("s", #"{"n":\#(i)}"#)) }
        let growth = try fileSize() - sizeBefore
        XCTAssertLessThan(growth, 8 << 20, "3,000 small commits grew the file by \(growth) bytes: a dead reader still pins old pages")
        XCTAssertFalse(try store.statistics().readerProcessIDs.contains(holder.processIdentifier), "the dead reader's slot was freed")
        XCTAssertEqual(try store.summary(of: "s")?.count, 3_100)
    }

    private func fileSize() throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int ?? 0
    }

    // MARK: The store directory deleted under an open store

    /// LMDB keeps working on an unlinked file, so a store whose directory is deleted
    /// would go on acknowledging appends that vanish at close. The writer checks that
    /// its file is still linked before each commit and refuses with a clear error;
    /// reads serve what was committed; opening the path again says there is no store.
    func test_deletingTheStoreDirectoryUnderAnOpenStoreRefusesAppendsAndKeepsReads() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        _ = try await store.append(events("s", count: 5))
        try FileManager.default.removeItem(at: directory)

        let error = await thrownError { try await store.append(event("s")) }
        guard case .storeFileRemoved(let removed)? = error as? StoreError else {
            return XCTFail("expected storeFileRemoved, got \(String(describing: error))")
        }
        XCTAssertTrue(removed.hasSuffix(directory.lastPathComponent), removed)
        XCTAssertFalse((error as? StoreError)?.isRetryable ?? true, "retrying cannot help")
        XCTAssertEqual(try store.headPosition(), 5, "reads still serve what was committed")
        XCTAssertEqual(try store.summary(of: "s")?.count, 5)

        var readOnly = StoreOptions()
        readOnly.readOnly = true
        let reopen = thrownError { try ColonyStore.open(at: path, options: readOnly) }
        XCTAssertNotNil(reopen as? StoreError, "opening the deleted path is a store error, not a crash: \(String(describing: reopen))")
    }
    // MARK: No thread for the writer

    /// A store whose writer thread cannot be started (a process or container at its
    /// thread limit) refuses to open with the system's error, instead of opening and
    /// leaving every append waiting for a writer that never runs; it opens once
    /// threads can be had, with nothing lost.
    func test_aStoreWhoseWriterThreadCannotStartRefusesToOpenAndOpensLater() async throws {
        var store: ColonyStore? = try openStore(projections: [StreamSummaryProjection()])
        _ = try await store!.append(events("s", count: 3))
        store!.close()
        store = nil

        DetachedThread.injectedFailures.withLock { $0["colony-writer"] = EAGAIN }
        let error = thrownError { try ColonyStore.open(at: path, projections: [StreamSummaryProjection()]) }
        DetachedThread.injectedFailures.withLock { $0["colony-writer"] = nil }
        guard case .storage(let cause)? = error as? StoreError else {
            return XCTFail("expected a storage error, got \(String(describing: error))")
        }
        XCTAssertEqual(cause.code, EAGAIN)
        XCTAssertTrue("\(error!)".contains("pthread_create colony-writer"), "\(error!)")

        // The failed open released the environment: the same process opens the store again.
        let reopened = try openStore(projections: [StreamSummaryProjection()])
        XCTAssertEqual(try reopened.headPosition(), 3)
        _ = try await reopened.append(event("s"))
        XCTAssertEqual(try reopened.summary(of: "s")?.count, 4)
    }
}
