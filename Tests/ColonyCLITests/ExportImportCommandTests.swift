import ColonyContext
import ColonyStore
import Foundation
import XCTest

final class ExportImportCommandTests: CLITestCase {
    func test_exportImportIntoAnEmptyStoreAndExportAgainGivesIdenticalBytes() async throws {
        try await makeStore(at: path("source"), events: 300)

        let first = try colony(["export", "--store", path("source"), "--output", path("first.ndjson")])
        let imported = try colony(["import", "--store", path("copy"), path("first.ndjson"), "--batch-lines", "64"])
        let second = try colony(["export", "--store", path("copy"), "--quiet"])

        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("exported 301 of 301 events"), first.stderr)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertEqual(imported.output, "imported 301, duplicates 0, lines 301, batches 5\n")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr, "")
        let expected = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("first.ndjson"))))
        XCTAssertEqual(second.stdout.count, expected.count)
        XCTAssertTrue(second.stdout == expected, "the export of the imported store differs from the original export")
    }

    func test_importedStoreHasTheSameContextAsTheSource() async throws {
        try await makeStore(at: path("source"), events: 40)
        let export = try colony(["export", "--store", path("source")])
        try colony(["import", "--store", path("copy"), "-"], stdin: export.stdout)

        let source = try Colony.open(at: path("source"))
        defer { source.close() }
        let copy = try Colony.open(at: path("copy"))
        defer { copy.close() }
        for scope in ["acme", "acme/api", "acme/web", "acme/api/s1"] {
            XCTAssertEqual(try copy.context(of: scope).text, try source.context(of: scope).text, scope)
        }
    }

    func test_importFromStandardInputTwiceCountsDuplicates() async throws {
        try await makeStore(at: path("source"), events: 10)
        let export = try colony(["export", "--store", path("source")])

        let first = try colony(["import", "--store", path("copy"), "-"], stdin: export.stdout)
        let again = try colony(["import", "--store", path("copy"), "-"], stdin: export.stdout)

        XCTAssertEqual(first.output, "imported 11, duplicates 0, lines 11, batches 1\n")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.output, "imported 0, duplicates 11, lines 11, batches 1\n")
    }

    func test_importReportsEveryBadLineByNumberAndExitsWithTheBadInputStatus() async throws {
        try await makeStore(at: path("source"), events: 6)
        var lines = try colony(["export", "--store", path("source")]).output.split(separator: "\n").map(String.init)
        lines[1] = "{\"id\":\"nope\"}"
        lines[4] = "not json at all"
        let input = Array((lines.joined(separator: "\n") + "\n").utf8)

        let run = try colony(["import", "--store", path("copy"), "-", "--batch-lines", "1"], stdin: input)

        XCTAssertEqual(run.status, 7, run.stderr)
        XCTAssertTrue(run.stderr.contains("stdin: line 2: id \"nope\" is not a UUID"), run.stderr)
        XCTAssertTrue(run.stderr.contains("stdin: line 5: not valid JSON"), run.stderr)
        XCTAssertTrue(run.stderr.contains("2 bad lines; nothing from line 2 on was imported"), run.stderr)
        XCTAssertEqual(run.output, "imported 1, duplicates 0, lines 7, batches 1\n")
    }

    func test_importOfAMissingFileCreatesNoStore() throws {
        let run = try colony(["import", "--store", path("never"), path("missing.ndjson")])
        XCTAssertEqual(run.status, 66, run.stderr)
        XCTAssertTrue(run.stderr.contains("cannot read"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("never")))
    }

    func test_importRefusesADirectoryHoldingOtherFiles() throws {
        try FileManager.default.createDirectory(atPath: path("home"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: path("home/notes.txt")))
        let run = try colony(["import", "--store", path("home"), "-"], stdin: [])
        XCTAssertEqual(run.status, 4, run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("home")), ["notes.txt"])
    }

    func test_exportRefusesAnExistingOutputFile() async throws {
        try await makeStore(at: path("source"), events: 2)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path("out.ndjson")))
        let run = try colony(["export", "--store", path("source"), "--output", path("out.ndjson")])
        XCTAssertEqual(run.status, 6, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("out.ndjson"), encoding: .utf8), "keep")
    }

    func test_exportToDashWritesStandardOutputAndNoFileNamedDash() async throws {
        try await makeStore(at: path("source"), events: 3)
        let work = URL(fileURLWithPath: path("work"))
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let run = try colony(["export", "--store", path("source"), "--output", "-", "--quiet"], currentDirectory: work)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.output.split(separator: "\n").count, 4, run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("-").path))
    }

    func test_exportFiltersBySinceAndScope() async throws {
        try await makeStore(at: path("source"), events: 12)
        let run = try colony(["export", "--store", path("source"), "--since", "4", "--scope", "acme/web", "--quiet"])
        let streams = run.output.split(separator: "\n").map { line -> String in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return "\(object?["position"] ?? "?") \(object?["stream"] ?? "?")"
        }
        XCTAssertEqual(streams, ["6 acme/web", "10 acme/web"])
    }

    func test_importIntoAStoreOfANewerFormatWritesNothing() async throws {
        try await makeStore(at: path("source"), events: 3)
        let export = try colony(["export", "--store", path("source")])
        try await makeStore(at: path("newer"), events: 1)
        try setFormat(3, ofStoreAt: path("newer"))
        let before = try snapshot(of: path("newer"))

        let run = try colony(["import", "--store", path("newer"), "-"], stdin: export.stdout)

        XCTAssertEqual(run.status, 5, run.stderr)
        XCTAssertTrue(run.stderr.contains("newer than this build"), run.stderr)
        XCTAssertEqual(try snapshot(of: path("newer")), before)
    }
}

final class BadInvocationTests: CLITestCase {
    func test_readOnlyCommandsOnAMissingDirectoryCreateNothing() throws {
        for command in [["export"], ["verify"], ["backup", path("dest")], ["replay"], ["stats"], ["context", "acme"]] {
            let run = try colony(command + ["--store", path("absent")])
            XCTAssertEqual(run.status, 4, "\(command): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("is not a Colony store: no such directory"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("absent")), "\(command) created the directory")
        }
    }

    func test_readOnlyCommandsOnAStoreWhoseCreationNeverCompletedSaySoAndTheFirstWriteCreatesIt() throws {
        // A power cut while a store is being made can leave data.mdb empty (Tests/e2e/test_power_loss.py).
        try FileManager.default.createDirectory(atPath: path("cut"), withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: path("cut") + "/data.mdb", contents: Data()))
        for command in [["export"], ["verify"], ["stats"], ["context", "acme"]] {
            let run = try colony(command + ["--store", path("cut")])
            XCTAssertEqual(run.status, 4, "\(command): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("data.mdb is empty: the store was never completely created (a crash or power cut while it was being made); the first write to it (colony log, colony serve) creates it"), "\(command): \(run.stderr)")
        }
        XCTAssertEqual(try colony(["log", "--store", path("cut"), "acme", "first"]).status, 0)
        let export = try colony(["export", "--store", path("cut"), "--quiet"])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.output.contains(#""position":1"#), export.output)
    }

    func test_readOnlyCommandsOnADirectoryWithoutAStoreLeaveItAsItWas() throws {
        try FileManager.default.createDirectory(atPath: path("empty"), withIntermediateDirectories: true)
        for command in [["export"], ["verify"], ["backup", path("dest")], ["replay"], ["stats"], ["context", "acme"]] {
            let run = try colony(command + ["--store", path("empty")])
            XCTAssertEqual(run.status, 4, "\(command): \(run.stderr)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("empty")), [], "\(command) wrote into it")
        }
    }

    func test_aFileThatIsNotLMDBIsNotAStore() throws {
        try FileManager.default.createDirectory(atPath: path("junk"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 65_536).write(to: URL(fileURLWithPath: path("junk/data.mdb")))
        let run = try colony(["export", "--store", path("junk")])
        XCTAssertEqual(run.status, 4, run.stderr)
    }

    func test_aStoreOfANewerFormatIsRefusedByReadOnlyCommands() async throws {
        try await makeStore(at: path("newer"), events: 1)
        try setFormat(3, ofStoreAt: path("newer"))
        for command in [["export"], ["verify"], ["backup", path("dest")], ["replay"], ["stats"], ["context", "acme"]] {
            let run = try colony(command + ["--store", path("newer")])
            XCTAssertEqual(run.status, 5, "\(command): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("store format 3 is newer than this build supports (2)"), run.stderr)
        }
    }

    func test_unknownOptionsExitWithTheUsageStatus() throws {
        for command in [["export", "--bogus"], ["import", "-", "--bogus"], ["export", "--since", "minus-one"], ["verify", "--bogus"],
                        ["backup"], ["replay", "--follow", "--bogus"], ["stats", "--top", "x"], ["bogus-command"]] {
            let run = try colony(command + ["--store", path("s")])
            XCTAssertEqual(run.status, 64, "\(command): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("s")))
        }
    }

    func test_helpDocumentsTheExitStatuses() throws {
        for command in ["export", "import", "verify", "backup", "replay", "stats"] {
            let run = try colony([command, "--help"])
            XCTAssertEqual(run.status, 0)
            XCTAssertTrue(run.output.contains("4 not a store"), "\(command) --help:\n\(run.output)")
            XCTAssertTrue(run.output.contains("6 destination exists"), "\(command) --help")
        }
    }
}
