import ColonyContext
import ColonyStore
import ColonyTestSupport
import Foundation
import XCTest

final class StatsCommandTests: CLITestCase {
    func test_textShowsEventsStreamsScopesSizesViewsReadersAndTopScopes() async throws {
        try await makeStore(at: path("s"), events: 20)
        let run = try colony(["stats", "--store", path("s"), "--top", "2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let text = run.output
        // 6 scopes: a head each, and a body for the two whose events were folded (acme, acme/api).
        for expected in ["head         21\n", "events       21\n", "streams      6\n", "scopes       6\n",
                         "view         context v", "checkpoint 21, lag 0, 8 keys",
                         "table        events: 21 entries, ", "table        view:context: 8 entries, ",
                         "readers      ", "top scopes   acme      20\n", "             acme/api  15\n"] {
            XCTAssertTrue(text.contains(expected), "missing \(expected.debugDescription) in:\n\(text)")
        }
        XCTAssertEqual(text.components(separatedBy: "\n").filter { $0.hasPrefix("top scopes") || $0.hasPrefix("             ") }.count, 2)
    }

    func test_theEmptyShadowTablesOfAFinishedRebuildAreLeftOutOfTheText() async throws {
        try await makeStore(at: path("s"), events: 20)
        XCTAssertEqual(try colony(["rebuild", "--store", path("s"), "--quiet"]).status, 0)

        let run = try colony(["stats", "--store", path("s")])
        let json = try colony(["stats", "--store", path("s"), "--json"])

        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.output.contains("table        view:context: "), run.output)
        XCTAssertFalse(run.output.contains("table        rebuild:"), run.output)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let names = try XCTUnwrap(object["tables"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        XCTAssertTrue(names.contains("rebuild:context"), "--json lists every table: \(names)")
    }

    func test_jsonKeepsTheStatisticsFieldsAndAddsScopes() async throws {
        try await makeStore(at: path("s"), events: 8)
        let run = try colony(["stats", "--store", path("s"), "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        XCTAssertEqual(object["headPosition"] as? Int, 9)
        XCTAssertEqual(object["events"] as? Int, 9)
        XCTAssertEqual(object["scopes"] as? Int, 6)
        XCTAssertEqual((object["topScopes"] as? [[String: Any]])?.first?["scope"] as? String, "acme")
        XCTAssertEqual((object["views"] as? [[String: Any]])?.first?["lagEvents"] as? Int, 0)
        XCTAssertNotNil(object["tables"] as? [[String: Any]])
        XCTAssertNotNil(object["readersInUse"] as? Int)
    }

    func test_viewsWithoutTheirProjectionAreListedWithTheirLag() async throws {
        try await makeStore(at: path("s"), events: 4)  // 5 events, context view at 5
        let other = try ColonyStore.open(at: path("s"), projections: [StreamSummaryProjection()])
        try await other.append(NewEvent(stream: "x", kind: "k", payload: Array("1".utf8)))
        other.close()

        let run = try colony(["stats", "--store", path("s")])

        XCTAssertTrue(run.output.contains("checkpoint 5, lag 1"), run.output)
        XCTAssertTrue(run.output.contains("view         stream-summary v1: checkpoint 6, lag 0, 6 keys (projection not registered here)"), run.output)
    }

    func test_aStoreWithoutAContextViewStillHasStats() async throws {
        let store = try ColonyStore.open(at: path("plain"))
        try await store.append(NewEvent(stream: "x", kind: "k", payload: Array("1".utf8)))
        store.close()
        let run = try colony(["stats", "--store", path("plain")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.output.contains("scopes       no context view"), run.output)
    }

    func test_statsNeverCreatesOrWritesAStore() async throws {
        let missing = try colony(["stats", "--store", path("absent")])
        XCTAssertEqual(missing.status, 4, missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("absent")))
        try await makeStore(at: path("s"), events: 3)
        let before = try snapshot(of: path("s"))
        XCTAssertEqual(try colony(["stats", "--store", path("s")]).status, 0)
        XCTAssertEqual(try snapshot(of: path("s")), before)
    }
}
