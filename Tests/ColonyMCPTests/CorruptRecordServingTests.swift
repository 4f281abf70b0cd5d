import ColonyContext
import ColonyStore
import Foundation
import XCTest
@testable import ColonyMCP

/// A flipped byte in one stored record: the server goes on answering everything
/// that does not need that record, refuses what does with an error naming its
/// position, and verify reports it.
final class CorruptRecordServingTests: MCPTestCase {
    private let marker = "CORRUPT-ME-\(UUID().uuidString)"

    /// Logs three events in `acme` (the 2nd carries `marker`), flips a byte of the
    /// marker wherever it is in data.mdb, and reopens the store and the server.
    override func setUpWithError() throws {
        try super.setUpWithError()
        let store = self.store!, marker = self.marker
        let done = expectation(description: "logged")
        Task {
            try await store.logEvent(scope: "acme", text: "first")
            try await store.logEvent(scope: "acme", text: marker)
            try await store.logEvent(scope: "acme", text: "third")
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
        server.shutdown()
        store.close()
        let file = URL(fileURLWithPath: path + "/data.mdb")
        var data = [UInt8](try Data(contentsOf: file))
        let needle = Array(marker.utf8)
        var flipped = 0
        var i = 0
        while i + needle.count <= data.count {
            if data[i] == needle[0] && Array(data[i..<(i + needle.count)]) == needle { data[i] ^= 0x01; flipped += 1 }
            i += 1
        }
        XCTAssertGreaterThan(flipped, 0, "the marker is stored verbatim")
        try Data(data).write(to: file)
        self.store = try Colony.open(at: path)
        server = MCPServer(store: self.store)
    }

    func waitForTicket(_ ticket: String) async throws -> JSONValue {
        for _ in 0..<1_000 {
            let state = try await call("get_ticket", #"{"ticket":"\#(ticket)"}"#)["structuredContent"] ?? .null
            if state["state"] != .string("running") { return state }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        XCTFail("ticket \(ticket) still running")
        return .null
    }

    func test_theServerKeepsServingContextAndWritesBesideACorruptRecord() async throws {
        let context = try await call("get_context", #"{"scope":"acme"}"#)
        XCTAssertEqual(context["isError"], .bool(false), "the context view does not read the log: \(context.jsonText)")
        let logged = try await call("log_event", #"{"scope":"acme","text":"after the damage"}"#)
        XCTAssertEqual(logged["structuredContent"]?["position"], .int(4), logged.jsonText)
        let stats = try await call("get_stats", "{}")
        XCTAssertEqual(stats["structuredContent"]?["head_position"], .int(4))
    }

    func test_anExportThroughTheCorruptRecordFailsNamingItsPosition() async throws {
        let started = try await call("start_export", "{}")
        let state = try await waitForTicket(try XCTUnwrap(started["structuredContent"]?["ticket"]?.stringValue))
        XCTAssertEqual(state["state"], .string("failed"), state.jsonText)
        XCTAssertTrue(state["error"]?.stringValue?.contains("position 2") == true, state.jsonText)
        let after = try await call("get_context", #"{"scope":"acme"}"#)
        XCTAssertEqual(after["isError"], .bool(false), "the failed export did not stop the server")
    }

    func test_verifyOverMCPReportsTheCorruptRecord() async throws {
        let started = try await call("start_verify", "{}")
        let state = try await waitForTicket(try XCTUnwrap(started["structuredContent"]?["ticket"]?.stringValue))
        XCTAssertEqual(state["state"], .string("succeeded"), state.jsonText)
        XCTAssertEqual(state["result"]?["clean"], .bool(false))
        XCTAssertTrue(state["result"]?["findings"]?.jsonText.contains("position 2") == true, state.jsonText)
    }
}
