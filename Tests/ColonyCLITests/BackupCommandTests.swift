import ColonyContext
import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class BackupCommandTests: CLITestCase {
    func test_backupOfAStoreAnotherProcessKeepsAppendingToOpensAndVerifies() async throws {
        let store = path("live")
        try await makeStore(at: store, events: 10)  // the context view exists, so the backup's verify compares it
        let writer = Process()
        writer.executableURL = try Self.builtExecutable("colony-crash-writer")
        writer.arguments = [store, "hot", "1000000", "--durable"]
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        var stopped = false
        defer { if !stopped { kill(writer.processIdentifier, SIGKILL); writer.waitUntilExit() } }
        try await waitForHead(of: store, atLeast: 300)

        let first = try colony(["backup", "--store", store, path("backup-1")])
        try await Task.sleep(nanoseconds: 200_000_000)
        let second = try colony(["backup", "--store", store, path("backup-2"), "--json"])
        XCTAssertTrue(writer.isRunning, "the writer was appending during both backups")
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        stopped = true

        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.output.contains("backed up \(store) to \(path("backup-1")): head "), first.output)
        XCTAssertTrue(first.output.contains("verified: clean"), first.output)
        XCTAssertEqual(second.status, 0, second.stderr)
        struct Output: Decodable { var backup: BackupResult; var verified: Bool? }
        let output = try JSONDecoder().decode(Output.self, from: Data(second.stdout))
        XCTAssertEqual(output.verified, true)
        XCTAssertGreaterThan(output.backup.headPosition, 310)

        for backup in [path("backup-1"), path("backup-2")] {
            let verify = try colony(["verify", "--store", backup])
            XCTAssertEqual(verify.status, 0, verify.output + verify.stderr)
            XCTAssertTrue(verify.output.contains("equal to a rebuild"), verify.output)
        }
    }

    func test_backupRefusesAnExistingDestinationWithItsOwnStatus() async throws {
        try await makeStore(at: path("s"), events: 3)
        try FileManager.default.createDirectory(atPath: path("taken"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("taken/file")))
        try Data("x".utf8).write(to: URL(fileURLWithPath: path("a-file")))

        for destination in [path("taken"), path("a-file")] {
            let run = try colony(["backup", "--store", path("s"), destination])
            XCTAssertEqual(run.status, 6, run.stderr)
            XCTAssertTrue(run.stderr.contains("refusing to write over it"), run.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("taken")), ["file"])
    }

    func test_backupOfWhatIsNotAStoreCreatesNothing() throws {
        let run = try colony(["backup", "--store", path("absent"), path("dest")])
        XCTAssertEqual(run.status, 4, run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("absent")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("dest")))
    }

    func test_aRestoredBackupServesTheSameContext() async throws {
        try await makeStore(at: path("s"), events: 30)
        XCTAssertEqual(try colony(["backup", "--store", path("s"), path("b")]).status, 0)
        // Restore as documented: with no process on the store, put the backup's directory in its place.
        try FileManager.default.moveItem(atPath: path("s"), toPath: path("s-old"))
        try FileManager.default.copyItem(atPath: path("b"), toPath: path("s"))

        let restored = try Colony.open(at: path("s"))
        defer { restored.close() }
        let old = try Colony.open(at: path("s-old"))
        defer { old.close() }
        XCTAssertEqual(try restored.context(of: "acme").text, try old.context(of: "acme").text)
        try await restored.logEvent(scope: "acme/api", text: "after the restore")
        XCTAssertEqual(try restored.headPosition(), 32)
    }

    private func waitForHead(of store: String, atLeast count: UInt64) async throws {
        let deadline = Date().addingTimeInterval(60)
        var options = StoreOptions()
        options.readOnly = true
        while Date() < deadline {
            if let s = try? ColonyStore.open(at: store, options: options) {
                let head = try s.headPosition()
                s.close()
                if head >= count { return }
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        XCTFail("the writer did not reach \(count) events in 60 s")
    }
}
