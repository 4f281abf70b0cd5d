import ColonyContext
import ColonyStore
import ColonySwarm
import Foundation
import LMDB
import Synchronization
import XCTest
@testable import ColonyMCP

/// The protocol layer in process, on a real store in a temporary directory.
class MCPTestCase: XCTestCase {
    var path: String!
    var store: ColonyStore!
    var server: MCPServer!

    override func setUpWithError() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("colony-mcp-\(UUID().uuidString)").path
        store = try Colony.open(at: path, extra: [SwarmProjection()])
        server = MCPServer(store: store)
    }

    override func tearDown() {
        server.shutdown()
        store.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Sends one message and returns the parsed answer (waiting for a later one), or nil for none.
    func send(_ text: String, session: MCPSession? = nil) async throws -> JSONValue? {
        let session = session ?? MCPSession(id: "t") { _ in }
        let box = Mutex<[UInt8]?>(nil)
        let reply = server.handle(Array(text.utf8), session: session) { bytes in box.withLock { $0 = bytes } }
        switch reply {
        case .none, .stream: return nil
        case .now(let bytes): return try JSONParser.parse(bytes)
        case .later:
            for _ in 0..<2_000 {
                if let bytes = box.withLock({ $0 }) { return try JSONParser.parse(bytes) }
                try await Task.sleep(nanoseconds: 1_000_000)
            }
            XCTFail("no answer to \(text)")
            return nil
        }
    }

    func call(_ tool: String, _ arguments: String, id: Int = 7) async throws -> JSONValue {
        let answer = try await send(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#)
        return try XCTUnwrap(answer?["result"], "no result: \(String(describing: answer))")
    }
}

final class MCPServerTests: MCPTestCase {
    func testInitializeNegotiatesTheVersion() async throws {
        let a = try await send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}"#)
        XCTAssertEqual(a?["result"]?["protocolVersion"], .string("2025-06-18"))
        let b = try await send(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{}}}"#)
        XCTAssertEqual(b?["result"]?["protocolVersion"], .string("2025-11-25"))
        XCTAssertEqual(b?["result"]?["capabilities"]?["resources"]?["subscribe"], .bool(true))
    }

    func testLogThenGetContext() async throws {
        let logged = try await call("log_event", #"{"scope":"acme/api","text":"deployed v2","kind":"deploy","data":{"v":2}}"#)
        XCTAssertEqual(logged["isError"], .bool(false))
        XCTAssertEqual(logged["structuredContent"]?["position"], .int(1))
        _ = try await call("log_insight", #"{"scope":"acme","text":"migrate first","importance":0.9,"tags":["db"]}"#)
        let ctx = try await call("get_context", #"{"scope":"acme"}"#)
        let structured = try XCTUnwrap(ctx["structuredContent"])
        XCTAssertEqual(structured["position"], .int(2))
        XCTAssertEqual(structured["events"], .int(2))
        guard case .array(let recent)? = structured["recent"], case .array(let insights)? = structured["insights"] else {
            return XCTFail("no arrays in \(structured.jsonText)")
        }
        XCTAssertEqual(recent.first?["text"], .string("deployed v2"))
        XCTAssertEqual(insights.first?["text"], .string("migrate first"))
        // The text content is the same JSON as the structured content.
        guard case .array(let content)? = ctx["content"], let text = content.first?["text"]?.stringValue else { return XCTFail("no text") }
        XCTAssertEqual(try JSONParser.parse(text), structured)

        let since = try await call("get_context", #"{"scope":"acme","since_position":1}"#)
        XCTAssertEqual(since["structuredContent"]?["recent"], .array([]))
        let md = try await call("get_context", #"{"scope":"acme","format":"markdown"}"#)
        guard case .array(let mdContent)? = md["content"], let markdown = mdContent.first?["text"]?.stringValue else { return XCTFail() }
        XCTAssertTrue(markdown.contains("| 0.9 | migrate first |"), markdown)
    }

    func testStatsReportTheWritersTimePerBatch() async throws {
        for i in 0..<3 { _ = try await call("log_event", #"{"scope":"w","text":"event \#(i)"}"#) }

        let answer = try await call("get_stats", "{}")
        let stats = try XCTUnwrap(answer["structuredContent"])

        let writer = try XCTUnwrap(stats["writer"], stats.jsonText)
        XCTAssertEqual(writer["batches"], .int(3), writer.jsonText)
        XCTAssertEqual(writer["events"], .int(3), writer.jsonText)
        for key in ["work_p50_us", "work_p99_us", "commit_p50_us", "commit_p99_us", "commit_max_us"] {
            guard case .double(let us)? = writer[key] else { return XCTFail("no \(key) in \(writer.jsonText)") }
            XCTAssertGreaterThan(us, 0, key)
        }
    }

    func testMarkdownTablesHoldAtMostTenRows() async throws {
        for i in 0..<15 { try await store.logEvent(scope: "m", text: "event \(i)") }
        let md = try await call("get_context", #"{"scope":"m","format":"markdown","max_events":50}"#)
        guard case .array(let content)? = md["content"], let markdown = content.first?["text"]?.stringValue else { return XCTFail() }
        XCTAssertEqual(markdown.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.contains("event ") }.count, 10, markdown)
        XCTAssertTrue(markdown.contains("5 more events"), markdown)
    }

    func testIdempotentRetryAndBadArguments() async throws {
        let id = "01a1fe8d-431f-7e93-915a-bcdfe2e4598a"
        let first = try await call("log_event", #"{"scope":"s","text":"once","event_id":"\#(id)"}"#)
        let again = try await call("log_event", #"{"scope":"s","text":"once","event_id":"\#(id)"}"#)
        XCTAssertEqual(first["structuredContent"]?["position"], again["structuredContent"]?["position"])
        XCTAssertEqual(again["structuredContent"]?["duplicate"], .bool(true))

        let bad: [(String, String, String)] = [
            ("get_context", #"{}"#, "missing required argument \"scope\""),
            ("get_context", #"{"scope":"a","max_events":999}"#, "max_events 999 is outside"),
            ("get_context", #"{"scope":"a","format":"xml"}"#, "format must be one of"),
            ("get_context", #"{"scope":"a","colour":1}"#, "unknown argument \"colour\""),
            ("get_context", #"{"scope":"a:b"}"#, "invalid scope"),
            ("log_event", #"{"scope":"a","text":""}"#, "invalid text"),
            ("log_event", #"{"scope":"a","text":"x","event_id":"nope"}"#, "not a UUID"),
            ("log_insight", #"{"scope":"a","text":"x","importance":2}"#, "importance 2.0 is outside"),
            ("log_insight", #"{"scope":"a","text":"x","supersedes":"\#(id)"}"#, "not an insight"),
        ]
        for (tool, args, expected) in bad {
            let r = try await call(tool, args)
            XCTAssertEqual(r["isError"], .bool(true), "\(tool) \(args)")
            guard case .array(let c)? = r["content"], let text = c.first?["text"]?.stringValue else { XCTFail(); continue }
            XCTAssertTrue(text.contains(expected), "\(tool) \(args): \(text)")
        }
        XCTAssertEqual(try store.headPosition(), 1, "bad calls wrote nothing")
    }

    func testProtocolErrors() async throws {
        let cases: [(String, Int, JSONValue)] = [
            ("{", JSONRPC.parseError, .null),
            ("[]", JSONRPC.invalidRequest, .null),
            (#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#, JSONRPC.invalidRequest, .int(3)),
            (#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, JSONRPC.invalidRequest, .null),
            (#"{"jsonrpc":"2.0","id":4,"method":7}"#, JSONRPC.invalidRequest, .int(4)),
            (#"{"jsonrpc":"2.0","id":5,"method":"nope/nope"}"#, JSONRPC.methodNotFound, .int(5)),
            (#"{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"drop_tables"}}"#, JSONRPC.invalidParams, .string("s")),
            (#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":[1]}"#, JSONRPC.invalidParams, .int(6)),
            (#"{"jsonrpc":"2.0","id":8,"method":"resources/read","params":{"uri":"file:///etc/passwd"}}"#, JSONRPC.resourceNotFound, .int(8)),
        ]
        for (text, code, id) in cases {
            let a = try await send(text)
            XCTAssertEqual(a?["error"]?["code"], .int(Int64(code)), text)
            XCTAssertEqual(a?["id"], id, text)
            XCTAssertNotNil(a?["error"]?["message"]?.stringValue, text)
        }
        let none = try await send(#"{"jsonrpc":"2.0","method":"notifications/unknown"}"#)
        XCTAssertNil(none)
    }

    /// Polls get_ticket until the operation ends.
    func finished(_ started: JSONValue) async throws -> JSONValue {
        let ticket = try XCTUnwrap(started["structuredContent"]?["ticket"]?.stringValue, "no ticket in \(started.jsonText)")
        for _ in 0..<1_000 {
            let state = try await call("get_ticket", #"{"ticket":"\#(ticket)"}"#)
            if state["structuredContent"]?["state"] != .string("running") { return try XCTUnwrap(state["structuredContent"]) }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("ticket \(ticket) still running")
        return .null
    }

    func testLongOperationsAnswerWithATicket() async throws {
        for i in 0..<50 { try await store.logEvent(scope: "t/\(i % 5)", text: "event \(i)") }
        let export = try await finished(try await call("start_export", #"{"scope":"t/1"}"#))
        XCTAssertEqual(export["state"], .string("succeeded"), export.jsonText)
        let exportPath = try XCTUnwrap(export["result"]?["path"]?.stringValue)
        XCTAssertTrue(exportPath.hasPrefix(path + "/work/exports/"), exportPath)
        let lines = try String(contentsOfFile: exportPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 10, "one scope's events")
        XCTAssertEqual(export["progress"]?["done"], .int(50), "progress counts the lines over the log's head")

        let backup = try await finished(try await call("start_backup", "{}"))
        let backupPath = try XCTUnwrap(backup["result"]?["path"]?.stringValue, backup.jsonText)
        let copy = try Colony.open(at: backupPath)
        XCTAssertEqual(try copy.headPosition(), 50)
        XCTAssertTrue(try copy.verify().isClean)
        copy.close()

        let verify = try await finished(try await call("start_verify", "{}"))
        XCTAssertEqual(verify["result"]?["clean"], .bool(true), verify.jsonText)

        let liveContext = try store.context(of: "t").json
        let rebuild = try await finished(try await call("start_rebuild", #"{"view":"context"}"#))
        XCTAssertEqual(rebuild["state"], .string("succeeded"), rebuild.jsonText)
        XCTAssertEqual(rebuild["result"]?["events_applied"], .int(50), rebuild.jsonText)
        XCTAssertEqual(rebuild["result"]?["log_events"], .int(50), rebuild.jsonText)
        XCTAssertEqual(rebuild["result"]?["position"], .int(50), rebuild.jsonText)
        XCTAssertEqual(try store.context(of: "t").json, liveContext, "the swapped-in view is the live one, rebuilt")
        let badView = try await call("start_rebuild", #"{"view":"nope"}"#)
        XCTAssertEqual(badView["isError"], .bool(true), badView.jsonText)

        let unknown = try await call("get_ticket", #"{"ticket":"export-nope"}"#)
        XCTAssertEqual(unknown["isError"], .bool(true))
        let badArgument = try await call("start_verify", #"{"check_views":"yes"}"#)
        XCTAssertEqual(badArgument["isError"], .bool(true))
    }

    /// A long operation whose thread cannot be started is a tool error saying so, and no
    /// ticket is left "running" forever (it would also hold one of the running slots).
    func testALongOperationWithoutAThreadIsAToolErrorAndLeavesNoTicket() async throws {
        DetachedThread.injectedFailures.withLock { $0["colony-verify"] = EAGAIN }
        defer { DetachedThread.injectedFailures.withLock { $0["colony-verify"] = nil } }
        // As many failures as there are running slots: a leaked ticket would fill them all.
        for _ in 0..<TicketRegistry.maxRunning {
            let failed = try await call("start_verify", "{}")
            XCTAssertEqual(failed["isError"], .bool(true), failed.jsonText)
            XCTAssertTrue(failed.jsonText.contains("pthread_create colony-verify"), failed.jsonText)
        }
        DetachedThread.injectedFailures.withLock { $0["colony-verify"] = nil }
        let started = try await call("start_verify", "{}")
        XCTAssertNotEqual(started["isError"], .bool(true), "failed starts still hold the running slots: \(started.jsonText)")
        let verify = try await finished(started)
        XCTAssertEqual(verify["result"]?["clean"], .bool(true), verify.jsonText)
    }

    /// Over stdio: a reader thread that cannot be started is an error from `run` (the
    /// server exits with it), not a server that never reads its input.
    func testStdioWithoutAReaderThreadFailsInsteadOfHanging() async throws {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        let transport = StdioTransport(server: server, input: fds[0], output: fds[1])
        DetachedThread.injectedFailures.withLock { $0["colony-stdio"] = EAGAIN }
        defer { DetachedThread.injectedFailures.withLock { $0["colony-stdio"] = nil } }
        do {
            try await transport.run(drainSeconds: 0)
            XCTFail("run returned without reading and without an error")
        } catch let error as LMDBError {
            XCTAssertEqual(error.code, EAGAIN)
        }
    }

    /// The reader polls for the next line before it blocks; whether a line arrives inside that
    /// window, after it, or polling is off, every call is answered, in order.
    func testStdioAnswersCallsThatArriveWhileItPollsAndAfterItSleeps() async throws {
        try await store.logEvent(scope: "spin/s", text: "seen")
        for spin in [0, 50, 10_000] {
            var input: [Int32] = [0, 0], output: [Int32] = [0, 0]
            XCTAssertEqual(pipe(&input), 0)
            XCTAssertEqual(pipe(&output), 0)
            let transport = StdioTransport(server: server, input: input[0], output: output[1], spinMicroseconds: spin)
            let running = Task { try await transport.run(drainSeconds: 1) }
            func call(_ id: Int) throws -> JSONValue {
                let line = #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"get_context","arguments":{"scope":"spin"}}}"# + "\n"
                XCTAssertEqual(line.utf8.withContiguousStorageIfAvailable { write(input[1], $0.baseAddress, $0.count) }, line.utf8.count)
                var answer: [UInt8] = []
                var descriptor = pollfd(fd: output[0], events: Int16(POLLIN), revents: 0)
                var byte: UInt8 = 0
                while answer.last != 0x0A {
                    guard poll(&descriptor, 1, 5_000) == 1, read(output[0], &byte, 1) == 1 else {
                        XCTFail("no answer within 5 s (spin \(spin) µs, call \(id))")
                        throw CancellationError()
                    }
                    answer.append(byte)
                }
                return try JSONParser.parse(answer.dropLast())
            }
            for id in 1...3 {
                let answer = try call(id)
                XCTAssertEqual(answer["id"], .int(Int64(id)), "spin \(spin) µs")
                XCTAssertEqual(answer["result"]?["structuredContent"]?["events"], .int(1), "spin \(spin) µs: \(answer.jsonText)")
                if id == 2 { usleep(30_000) }  // past a 50 µs window, inside a 10 ms one: the reader has blocked, or not
            }
            close(input[1])
            try await running.value
            close(input[0]); close(output[0]); close(output[1])
        }
    }

    func testReadAndSubscribeToAContextResource() async throws {
        let notified = Mutex<[String]>([])
        let session = MCPSession(id: "sub") { bytes in
            if let v = try? JSONParser.parse(bytes), let uri = v["params"]?["uri"]?.stringValue { notified.withLock { $0.append(uri) } }
        }
        let sub = try await send(#"{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":"colony://context/team/x"}}"#, session: session)
        XCTAssertEqual(sub?["result"], .object([]))
        try await store.logEvent(scope: "team/y", text: "not below team/x")
        try await store.logEvent(scope: "team/x/deep", text: "below team/x")
        for _ in 0..<500 where notified.withLock({ $0.isEmpty }) { try await Task.sleep(nanoseconds: 2_000_000) }
        XCTAssertEqual(notified.withLock { $0 }, ["colony://context/team/x"])

        let read = try await send(#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"colony://context/team/x"}}"#)
        guard case .array(let contents)? = read?["result"]?["contents"], let text = contents.first?["text"]?.stringValue else {
            return XCTFail("\(String(describing: read))")
        }
        XCTAssertEqual(try JSONParser.parse(text)["events"], .int(1))
    }
}

/// The stateless 2026-07-28 protocol: no initialize, the version in every request's _meta.
final class StatelessProtocolTests: MCPTestCase {
    static let envelope = #""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}"#

    func testDiscoverAndModernResults() async throws {
        let d = try await send(#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{\#(Self.envelope)}}"#)
        XCTAssertEqual(d?["result"]?["resultType"], .string("complete"))
        XCTAssertEqual(d?["result"]?["cacheScope"], .string("private"))
        XCTAssertEqual(d?["result"]?["supportedVersions"]?.jsonText.contains("2026-07-28"), true)
        let list = try await send(#"{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{\#(Self.envelope)}}"#)
        XCTAssertEqual(list?["result"]?["ttlMs"], .int(0))
        let call = try await send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"log_event","arguments":{"scope":"z","text":"t"},\#(Self.envelope)}}"#)
        XCTAssertEqual(call?["result"]?["resultType"], .string("complete"))
        XCTAssertEqual(call?["result"]?["structuredContent"]?["position"], .int(1))
        XCTAssertNotNil(call?["result"]?["_meta"]?["io.modelcontextprotocol/serverInfo"])
        let ping = try await send(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#)
        XCTAssertEqual(ping?["result"], .object([]), "a session-era request has no modern members")
    }

    func testUnsupportedVersion() async throws {
        let a = try await send(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01"}}}"#)
        XCTAssertEqual(a?["error"]?["code"], .int(-32022))
        XCTAssertEqual(a?["error"]?["data"]?["requested"], .string("2099-01-01"))
    }

    func testListenAcknowledgesNotifiesAndCancels() async throws {
        let frames = Mutex<[JSONValue]>([])
        let session = MCPSession(id: "l") { bytes in if let v = try? JSONParser.parse(bytes) { frames.withLock { $0.append(v) } } }
        let listen = #"{"jsonrpc":"2.0","id":"listen-1","method":"subscriptions/listen","params":{"notifications":{"toolsListChanged":true,"resourceSubscriptions":["colony://context/p"]},\#(Self.envelope)}}"#
        let reply = server.handle(Array(listen.utf8), session: session) { _ in XCTFail("a listen is not answered while open") }
        guard case .stream = reply else { return XCTFail("\(reply)") }
        let ack = try XCTUnwrap(frames.withLock { $0.first })
        XCTAssertEqual(ack["method"], .string("notifications/subscriptions/acknowledged"))
        XCTAssertEqual(ack["params"]?["notifications"], .object([("resourceSubscriptions", .array([.string("colony://context/p")]))]))
        XCTAssertEqual(ack["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"], .string("listen-1"))

        try await store.logEvent(scope: "p/q", text: "x")
        for _ in 0..<500 where frames.withLock({ $0.count }) < 2 { try await Task.sleep(nanoseconds: 2_000_000) }
        let update = try XCTUnwrap(frames.withLock { $0.dropFirst().first })
        XCTAssertEqual(update["params"]?["uri"], .string("colony://context/p"))
        XCTAssertEqual(update["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"], .string("listen-1"))

        _ = server.handle(Array(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"listen-1"}}"#.utf8), session: session) { _ in }
        try await store.logEvent(scope: "p", text: "after cancel")
        try await Task.sleep(nanoseconds: 150_000_000)
        XCTAssertEqual(frames.withLock { $0.count }, 2, "no notification after the listen was cancelled")
    }
}
