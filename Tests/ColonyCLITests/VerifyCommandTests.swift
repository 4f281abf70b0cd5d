import ColonyContext
import ColonyStore
import Foundation
import XCTest

final class VerifyCommandTests: CLITestCase {
    private let marker = "FLIP\(UInt32.random(in: 100_000...999_999))"

    /// A store with the context view where one event's text is `marker`, at position 3 in scope acme/api.
    private func makeMarkedStore() async throws -> String {
        let store = try Colony.open(at: path("s"))
        try await store.logEvent(scope: "acme/web", text: "one")
        try await store.logEvent(scope: "acme/web", text: "two")
        try await store.logEvent(scope: "acme/api", text: marker)
        try await store.logInsight(scope: "acme", text: "an insight", importance: 0.8)
        store.close()
        return path("s")
    }

    /// XORs the last byte of every occurrence of `needle` in the store's data.mdb.
    private func flipLastByte(of needle: String, in store: String) throws {
        let url = URL(fileURLWithPath: store).appendingPathComponent("data.mdb")
        var data = [UInt8](try Data(contentsOf: url))
        let bytes = Array(needle.utf8)
        var hits = 0
        var i = 0
        while i <= data.count - bytes.count {
            if data[i] == bytes[0] && data[i..<(i + bytes.count)].elementsEqual(bytes) {
                data[i + bytes.count - 1] ^= 0x01
                hits += 1
            }
            i += 1
        }
        XCTAssertGreaterThan(hits, 0, "\(needle) is in data.mdb")
        try Data(data).write(to: url)
    }

    func test_aSoundStoreVerifiesWithStatusZero() async throws {
        let store = try await makeMarkedStore()
        let run = try colony(["verify", "--store", store])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.output.contains("findings   none"), run.output)
        XCTAssertTrue(run.output.contains("view       context v"), run.output)
        XCTAssertTrue(run.output.contains("equal to a rebuild up to position 4"), run.output)
    }

    func test_aFlippedRecordByteExitsOneNamingThePosition() async throws {
        let store = try await makeMarkedStore()
        try flipLastByte(of: #"{"text":"\#(marker)"#, in: store)

        let run = try colony(["verify", "--store", store])

        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.output.contains("FINDING    record position 3: checksum mismatch"), run.output)
        XCTAssertTrue(run.stderr.contains("1 finding in"), run.stderr)
    }

    func test_aFlippedContextViewByteExitsOneNamingTheScope() async throws {
        let store = try await makeMarkedStore()
        try flipLastByte(of: #""scope":"acme/api","text":"\#(marker)"#, in: store)

        let run = try colony(["verify", "--store", store])

        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.output.contains(#"FINDING    view:context key "acme/api": differs from a rebuild"#), run.output)
        XCTAssertTrue(run.output.contains("DIFFERS"), run.output)
    }

    func test_jsonReportListsFindings() async throws {
        let store = try await makeMarkedStore()
        try flipLastByte(of: #"{"text":"\#(marker)"#, in: store)

        let run = try colony(["verify", "--store", store, "--json"])

        XCTAssertEqual(run.status, 1)
        let report = try JSONDecoder().decode(VerifyReport.self, from: Data(run.stdout))
        XCTAssertEqual(report.findings.first?.area, .record)
        XCTAssertEqual(report.findings.first?.position, 3)
        XCTAssertEqual(report.eventsChecked, 3)
    }

    func test_readOnlyCommandsWriteNothingToTheStore() async throws {
        let store = try await makeMarkedStore()
        let before = try snapshot(of: store)
        for command in [["verify"], ["export", "--quiet"], ["replay"], ["stats"], ["context", "acme"], ["backup", path("b")]] {
            let run = try colony(command + ["--store", store])
            XCTAssertEqual(run.status, 0, "\(command): \(run.stderr)")
            XCTAssertEqual(try snapshot(of: store), before, "\(command) changed the store")
        }
    }

    func test_exportAndReplayStopAtACorruptRecordWithTheirOwnStatus() async throws {
        let store = try await makeMarkedStore()
        try flipLastByte(of: #"{"text":"\#(marker)"#, in: store)

        let export = try colony(["export", "--store", store, "--output", path("out.ndjson")])
        let replay = try colony(["replay", "--store", store])

        XCTAssertEqual(export.status, 8, export.stderr)
        XCTAssertTrue(export.stderr.contains("record at position 3 is corrupt: checksum mismatch"), export.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.ndjson")), "a failed export leaves no file")
        XCTAssertEqual(replay.status, 8, replay.stderr)
        XCTAssertEqual(replay.output.split(separator: "\n").count, 2, "the events before the corrupt one are printed")
    }

    func test_verifyRefusesWhatIsNotAStoreAndNewerFormats() async throws {
        XCTAssertEqual(try colony(["verify", "--store", path("absent")]).status, 4)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("absent")))
        let store = try await makeMarkedStore()
        try setFormat(3, ofStoreAt: store)
        XCTAssertEqual(try colony(["verify", "--store", store]).status, 5)
    }
}
