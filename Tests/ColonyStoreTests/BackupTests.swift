import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

final class BackupTests: StoreTestCase {
    private func backupPath(_ name: String = "backup") -> String {
        directory.appendingPathComponent(name).path
    }

    /// Opens a backup as a store with the projections the source had; the caller closes it.
    private func openBackup(_ path: String, projections: [any Projection]) throws -> ColonyStore {
        var options = StoreOptions()
        options.readOnly = true
        return try ColonyStore.open(at: path, options: options, projections: projections)
    }

    func test_aBackupOpensAsAStoreWithTheSameEventsAndVerifies() async throws {
        let store = try openStore(projections: [LabelProjection(), StreamSummaryProjection()])
        try await store.append(events("a", count: 500))
        try await store.append(events("b", count: 500))

        let result = try store.backup(to: backupPath())

        XCTAssertEqual(result.headPosition, 1_000)
        XCTAssertEqual(result.path, backupPath())
        XCTAssertGreaterThan(result.sizeBytes, 0)
        let copy = try openBackup(backupPath(), projections: [LabelProjection(), StreamSummaryProjection()])
        defer { copy.close() }
        let report = try copy.verify()
        XCTAssertTrue(report.isClean, report.findings.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(report.views.map(\.outcome), [.equal, .equal])
        XCTAssertEqual(try copy.allEvents().map(\.storage), try store.allEvents().map(\.storage))
        let attributes = try FileManager.default.attributesOfItem(atPath: backupPath() + "/data.mdb")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func test_aBackupIsCompacted() async throws {
        let store = try openStore(projections: [StreamSummaryProjection()])
        for i in 0..<50 { try await store.append(events("s\(i % 5)", count: 40)) }  // many commits leave free pages
        let result = try store.backup(to: backupPath())
        let original = try store.statistics().fileSizeBytes
        XCTAssertLessThan(result.sizeBytes, original, "the compacted copy leaves out free pages")
    }

    func test_aBackupRefusesADestinationThatIsNotEmpty() async throws {
        let store = try openStore()
        try await store.append(event("s"))
        try FileManager.default.createDirectory(atPath: backupPath(), withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: backupPath() + "/notes.txt"))
        try Data("file".utf8).write(to: URL(fileURLWithPath: backupPath("a-file")))

        XCTAssertEqual(thrownError { try store.backup(to: self.backupPath()) } as? StoreError, .destinationExists(path: backupPath()))
        XCTAssertEqual(thrownError { try store.backup(to: self.backupPath("a-file")) } as? StoreError,
                       .destinationExists(path: backupPath("a-file")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: backupPath()), ["notes.txt"])
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: path).contains { $0.contains(".partial-") },
                       "no partial backup is left behind")
    }

    func test_aBackupRefusesADestinationThatIsASymbolicLink() async throws {
        let store = try openStore()
        try await store.append(event("s"))
        let elsewhere = backupPath("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: backupPath(), withDestinationPath: elsewhere)

        let error = thrownError { try store.backup(to: self.backupPath()) }
        XCTAssertTrue("\(String(describing: error))".contains("symbolic link"), "a clear refusal: \(String(describing: error))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere), [], "nothing was written through the link")
    }

    func test_aBackupGoesIntoAnEmptyDirectory() async throws {
        let store = try openStore()
        try await store.append(event("s"))
        try FileManager.default.createDirectory(atPath: backupPath(), withIntermediateDirectories: true)
        XCTAssertEqual(try store.backup(to: backupPath()).headPosition, 1)
    }

    /// A writer process appends without pause while this process takes backups from a
    /// read-only open: each backup is a consistent prefix of the log that verifies.
    func test_backupsTakenWhileAnotherProcessAppendsVerifyAndAreAPrefixOfTheLog() async throws {
        let executable = try CrashWriterProcess.executable()
        let writer = try CrashWriterProcess(executable: executable, store: path, writerID: "hot", count: 1_000_000, buffered: false,
                                            logDirectory: directory.appendingPathComponent("logs"))
        var stopped = false
        defer { if !stopped { writer.kill(); writer.waitUntilExit() } }
        let source = try await openWhenItHasEvents(at: path, atLeast: 200)

        var results: [BackupResult] = []
        for i in 0..<3 {
            let before = try source.headPosition()
            results.append(try source.backup(to: backupPath("backup-\(i)")))
            let after = try source.headPosition()
            XCTAssertGreaterThanOrEqual(results[i].headPosition, before)
            XCTAssertLessThanOrEqual(results[i].headPosition, after)
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        writer.kill()
        writer.waitUntilExit()
        stopped = true
        XCTAssertTrue(writer.wasKilled, "the writer was still appending when the backups were done: \(writer.exitDescription)\n\(writer.standardError)")
        XCTAssertLessThan(results[0].headPosition, results[2].headPosition, "the writer appended between the backups")

        let log = try source.allEvents()
        for result in results {
            let copy = try openBackup(result.path, projections: [StreamSummaryProjection()])
            defer { copy.close() }
            let report = try copy.verify()
            XCTAssertTrue(report.isClean, "\(result.path): " + report.findings.map(\.description).joined(separator: "\n"))
            XCTAssertEqual(report.views.first?.outcome, .equal)
            let events = try copy.allEvents()
            XCTAssertEqual(UInt64(events.count), result.headPosition)
            XCTAssertEqual(events.map(\.storage), log.prefix(events.count).map(\.storage), "the backup is a prefix of the log")
        }
    }

    /// Opens the store read-only once a writer process has created it and appended `count` events.
    private func openWhenItHasEvents(at path: String, atLeast count: UInt64) async throws -> ColonyStore {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let store = try? openStore(projections: [], { $0.readOnly = true }) {
                if try store.headPosition() >= count { return store }
                store.close()
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("the writer process did not append \(count) events within 60 s")
        throw StoreError.closed
    }
}
