import ColonyStore
import ColonySwarm
import Foundation
import XCTest
@testable import ColonyMCP

/// The swarm tools over the protocol layer, on a real store with the swarm view.
final class SwarmToolTests: MCPTestCase {
    func structured(_ result: JSONValue, file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        XCTAssertNotEqual(result["isError"], .bool(true), result.jsonText, file: file, line: line)
        return try XCTUnwrap(result["structuredContent"], result.jsonText, file: file, line: line)
    }

    func errorText(_ result: JSONValue, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertEqual(result["isError"], .bool(true), result.jsonText, file: file, line: line)
        guard case .array(let content)? = result["content"] else { return "" }
        return content.first?["text"]?.stringValue ?? ""
    }

    func testAgentsTakeTasksAndReportResults() async throws {
        let a1 = try structured(try await call("register_agent", #"{"agent":"a1","capabilities":["swift","review"],"capacity":2}"#))
        XCTAssertEqual(a1["capacity"], .int(2))
        XCTAssertEqual(a1["alive"], .bool(true))
        _ = try structured(try await call("register_agent", #"{"agent":"a2","capabilities":["python"]}"#))
        _ = try structured(try await call("heartbeat", #"{"agent":"a2"}"#))

        let task = try structured(try await call("create_task", #"{"task":"t1","type":"review","requires":["swift"],"priority":5,"payload":{"pr":42}}"#))
        XCTAssertEqual(task["state"], .string("queued"))
        let assigned = try structured(try await call("assign_task", #"{"task":"t1","seed":7}"#))
        guard case .array(let outcomes)? = assigned["assignments"] else { return XCTFail(assigned.jsonText) }
        XCTAssertEqual(outcomes.first?["agent_id"], .string("a1"), "only a1 has swift")
        guard case .int(let decisionSeed)? = outcomes.first?["seed"] else { return XCTFail("no seed: \(assigned.jsonText)") }
        XCTAssertEqual(UInt64(bitPattern: decisionSeed), SplitMix64.derive(7, index: 0), "the decision's seed, derived from the call's")

        let explained = try structured(try await call("explain_assignment", #"{"task":"t1"}"#))
        XCTAssertEqual(explained["decision"]?["agent_id"], .string("a1"), explained.jsonText)

        let done = try structured(try await call("complete_task", #"{"task":"t1","success":true,"duration_ms":1200,"agent":"a1"}"#))
        XCTAssertEqual(done["state"], .string("succeeded"))
        let again = errorText(try await call("complete_task", #"{"task":"t1","success":true,"duration_ms":5}"#))
        XCTAssertTrue(again.contains("succeeded already"), again)

        let swarm = try structured(try await call("get_swarm", "{}"))
        XCTAssertEqual(swarm["agent_count"], .int(2))
        XCTAssertEqual(swarm["task_counts"]?["succeeded"], .int(1), swarm.jsonText)
    }

    func testATaskNobodyCanTakeStaysQueuedWithAClearAnswer() async throws {
        _ = try structured(try await call("register_agent", #"{"agent":"a1","capabilities":["swift"]}"#))
        _ = try structured(try await call("create_task", #"{"task":"t9","type":"ml","requires":["cuda"]}"#))

        let one = errorText(try await call("assign_task", #"{"task":"t9"}"#))
        let many = try structured(try await call("assign_task", #"{"tasks":["t9"]}"#))

        XCTAssertTrue(one.contains("no eligible agent for task \"t9\""), one)
        XCTAssertTrue(one.contains("stays queued"), one)
        guard case .array(let outcomes)? = many["assignments"] else { return XCTFail(many.jsonText) }
        XCTAssertNil(outcomes.first?["agent_id"])
        XCTAssertNotNil(outcomes.first?["reason"]?.stringValue)
        XCTAssertEqual(try store.task("t9").state, .queued)
    }

    func testVotesDecideAProposal() async throws {
        for a in ["a1", "a2", "a3"] { _ = try structured(try await call("register_agent", #"{"agent":"\#(a)"}"#)) }
        let opened = try structured(try await call("open_proposal", #"{"proposal":"p1","title":"Ship?","options":["yes","no"],"voters":["a1","a2","a3"],"quorum":2,"rule":"majority","deadline_seconds":3600}"#))
        XCTAssertEqual(opened["status"], .string("open"))

        _ = try structured(try await call("cast_vote", #"{"proposal":"p1","agent":"a1","option":"yes"}"#))
        let decided = try structured(try await call("cast_vote", #"{"proposal":"p1","agent":"a2","option":"yes"}"#))

        XCTAssertEqual(decided["status"], .string("decided"), decided.jsonText)
        XCTAssertEqual(decided["winner"], .string("yes"))
        let late = errorText(try await call("cast_vote", #"{"proposal":"p1","agent":"a3","option":"no"}"#))
        XCTAssertTrue(late.contains("closed"), late)
        let outsider = errorText(try await call("cast_vote", #"{"proposal":"p1","agent":"zz","option":"no"}"#))
        XCTAssertFalse(outsider.isEmpty)
        let read = try structured(try await call("get_proposal", #"{"proposal":"p1"}"#))
        XCTAssertEqual(read["votes_cast"], .int(2))
    }

    func testBadArgumentsAreToolErrorsThatNameTheArgumentAndWriteNothing() async throws {
        let head = try store.headPosition()
        let cases: [(String, String, String)] = [
            ("register_agent", #"{"agent":"a1","capacity":0}"#, "capacity"),
            ("register_agent", #"{"capabilities":["x"]}"#, "agent"),
            ("register_agent", #"{"agent":"bad id!"}"#, "agent id"),
            ("create_task", #"{"task":"t1"}"#, "type"),
            ("assign_task", #"{"task":"t1","tasks":["t2"]}"#, "exactly one of"),
            ("assign_task", #"{"task":"nope"}"#, "no task \"nope\""),
            ("complete_task", #"{"task":"t1","success":"yes","duration_ms":1}"#, "success"),
            ("open_proposal", #"{"proposal":"p","options":["a","b"],"voters":["x"]}"#, "deadline"),
            ("open_proposal", #"{"proposal":"p","options":["a","b"],"voters":["x"],"deadline_seconds":60}"#, "x"),
            ("cast_vote", #"{"proposal":"nope","agent":"a","option":"b"}"#, "no proposal \"nope\""),
            ("heartbeat", #"{"agent":"ghost"}"#, "ghost"),
        ]
        for (tool, arguments, expected) in cases {
            let text = errorText(try await call(tool, arguments))
            XCTAssertTrue(text.contains(expected), "\(tool) \(arguments): \(text)")
        }
        XCTAssertEqual(try store.headPosition(), head, "nothing was written")
    }
}
