import ColonyContext
import ColonyStore
import Foundation
import XCTest
@testable import ColonyMCP

/// A client whose token is limited to a scope prefix can neither read nor write
/// outside it, through tools, resources, subscriptions or tickets; whole-store
/// operations are refused to it.
final class ScopedAccessTests: MCPTestCase {
    let scoped = MCPSession(id: "scoped", grant: try! .under("acme/api")) { _ in }

    func callScoped(_ tool: String, _ arguments: String) async throws -> JSONValue {
        let answer = try await send(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"\#(tool)","arguments":\#(arguments)}}"#,
                                    session: scoped)
        return try XCTUnwrap(answer?["result"], "no result: \(String(describing: answer))")
    }

    func assertForbidden(_ result: JSONValue, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result["isError"], .bool(true), "refused: \(result.jsonText)", file: file, line: line)
        XCTAssertTrue(result.jsonText.contains("forbidden"), result.jsonText, file: file, line: line)
    }

    func test_aScopeGrantAllowsItsPrefixAndWhatIsBelowByBytes() throws {
        let grant = try ScopeGrant.under("acme/api")
        XCTAssertTrue(grant.allows("acme/api"))
        XCTAssertTrue(grant.allows("acme/api/session-7"))
        XCTAssertFalse(grant.allows("acme"), "an ancestor's context holds its other children")
        XCTAssertFalse(grant.allows("acme/apix"))
        XCTAssertFalse(grant.allows("acme/web"))
        let composed = try ScopeGrant.under("caf\u{E9}")
        XCTAssertFalse(composed.allows("cafe\u{301}/x"), "a canonically equal spelling is another scope in the store")
        XCTAssertTrue(ScopeGrant.everything.allows("anything"))
    }

    func test_aScopedTokenReadsAndWritesInsideItsPrefix() async throws {
        let logged = try await callScoped("log_event", #"{"scope":"acme/api/s1","text":"deployed"}"#)
        XCTAssertEqual(logged["isError"], .bool(false), logged.jsonText)
        let insight = try await callScoped("log_insight", #"{"scope":"acme/api","text":"cache warm"}"#)
        XCTAssertEqual(insight["isError"], .bool(false), insight.jsonText)
        let context = try await callScoped("get_context", #"{"scope":"acme/api"}"#)
        XCTAssertEqual(context["structuredContent"]?["events"], .int(2))
    }

    func test_aScopedTokenCannotReadOrWriteOutsideItsPrefix() async throws {
        try await store.logEvent(scope: "acme/web", text: "secret of web")
        assertForbidden(try await callScoped("get_context", #"{"scope":"acme"}"#))
        assertForbidden(try await callScoped("get_context", #"{"scope":"acme/web"}"#))
        assertForbidden(try await callScoped("get_context", #"{"scope":"acme/apix"}"#))
        assertForbidden(try await callScoped("log_event", #"{"scope":"acme/web","text":"x"}"#))
        assertForbidden(try await callScoped("log_insight", #"{"scope":"acme","text":"x"}"#))
        XCTAssertEqual(try store.headPosition(), 1, "nothing was written outside the prefix")
    }

    func test_aScopedTokenCannotSupersedeAnInsightOutsideItsPrefix() async throws {
        let outside = EventID()
        try await store.logInsight(scope: "acme/web", text: "use blue-green deploys", id: outside)
        let result = try await callScoped("log_insight", #"{"scope":"acme/api","text":"no","supersedes":"\#(outside)"}"#)
        assertForbidden(result)
        let web = try store.context(of: "acme/web")
        XCTAssertTrue(String(decoding: web.json, as: UTF8.self).contains("blue-green"), "the insight outside is untouched")
    }

    func test_aScopedTokenCannotReadSubscribeOrListenOutsideItsPrefix() async throws {
        for method in ["resources/read", "resources/subscribe"] {
            let answer = try await send(#"{"jsonrpc":"2.0","id":4,"method":"\#(method)","params":{"uri":"colony://context/acme"}}"#, session: scoped)
            XCTAssertEqual(answer?["error"]?["code"], .int(Int64(JSONRPC.invalidParams)), "\(method): \(answer?.jsonText ?? "nil")")
            XCTAssertTrue(answer?.jsonText.contains("forbidden") == true)
        }
        let listen = try await send(#"{"jsonrpc":"2.0","id":5,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":["colony://context/acme%2Fweb"]}}}"#, session: scoped)
        XCTAssertTrue(listen?.jsonText.contains("forbidden") == true, "percent-encoded scopes are decoded before the check: \(listen?.jsonText ?? "nil")")
        let inside = try await send(#"{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"colony://context/acme/api"}}"#, session: scoped)
        XCTAssertNotNil(inside?["result"], "inside the prefix a resource reads: \(inside?.jsonText ?? "nil")")
    }

    func test_wholeStoreOperationsAreRefusedToAScopedToken() async throws {
        for tool in ["get_stats", "start_backup", "start_verify", "start_rebuild"] {
            assertForbidden(try await callScoped(tool, "{}"))
        }
        assertForbidden(try await callScoped("start_export", "{}"))
        assertForbidden(try await callScoped("start_export", #"{"scope":"acme"}"#))
        let inside = try await callScoped("start_export", #"{"scope":"acme/api"}"#)
        XCTAssertEqual(inside["isError"], .bool(false), "an export of its own subtree is allowed: \(inside.jsonText)")
    }

    func test_aScopedTokenSeesOnlyTicketsStartedUnderItsGrant() async throws {
        let full = try await call("start_verify", "{}")
        let ticket = try XCTUnwrap(full["structuredContent"]?["ticket"]?.stringValue)
        let seen = try await callScoped("get_ticket", #"{"ticket":"\#(ticket)"}"#)
        XCTAssertEqual(seen["isError"], .bool(true))
        XCTAssertTrue(seen.jsonText.contains("no ticket"), seen.jsonText)
    }

    // MARK: Tokens

    func test_tokensMapToTheirGrantsAndUnknownTokensAreRefused() throws {
        var tokens = AccessTokens()
        try tokens.add("full-access-token", grant: .everything)
        try tokens.addList("api-token-0123456789=acme/api, web-token-0123456789=acme/web")
        try tokens.addFile(contents: "# comment\nfile-token-0123456789  team one/notes\n")
        let guardrails = HTTPGuard(tokens: tokens, loopbackOnly: true)
        func admit(_ token: String?) -> HTTPGuard.Admission {
            guardrails.admit(origin: nil, host: "127.0.0.1:3000", authorization: token.map { "Bearer \($0)" }, path: "/mcp")
        }
        XCTAssertEqual(admit("full-access-token"), .admitted(.everything))
        XCTAssertEqual(admit("api-token-0123456789"), .admitted(try .under("acme/api")))
        XCTAssertEqual(admit("web-token-0123456789"), .admitted(try .under("acme/web")))
        XCTAssertEqual(admit("file-token-0123456789"), .admitted(try .under("team one/notes")))
        XCTAssertEqual(admit("api-token-012345678"), .refused(.unauthorized), "a prefix of a token is not the token")
        XCTAssertEqual(admit(nil), .refused(.unauthorized))
    }

    func test_loopbackHostHeadersAreRecognisedWithPortsBracketsAndAnyCase() {
        for host in ["localhost", "localhost:8080", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:3000", "127.9.9.9",
                     "[::1]", "[::1]:8080", "app.localhost:80"] {
            XCTAssertTrue(HTTPGuard.isLoopbackHost(host), host)
        }
        for host in ["evil.example", "evil.example:80", "128.0.0.1", "[::2]:8080", "localhost.evil.example", "[evil]", ""] {
            XCTAssertFalse(HTTPGuard.isLoopbackHost(host), host)
        }
        XCTAssertTrue(HTTPGuard.isLoopbackBind("[::1]"), "a bracketed IPv6 bind address")
        XCTAssertFalse(HTTPGuard.isLoopbackBind("0.0.0.0"))
    }

    func test_tokenComparisonMatchesOnlyTheWholeToken() {
        let token = Array("s3cret-token".utf8)
        XCTAssertTrue(HTTPGuard.constantTimeEqual(token, token))
        for other in ["", "s3cret", "s3cret-token2", "s3cret-tokem", "S3cret-token", "s3cret-token\0"] {
            XCTAssertFalse(HTTPGuard.constantTimeEqual(Array(other.utf8), token), other)
        }
        XCTAssertFalse(HTTPGuard.constantTimeEqual(token, []), "no token is configured as the empty string")
    }

    func test_badTokenListsAreRefusedAtStart() {
        var tokens = AccessTokens()
        XCTAssertThrowsError(try tokens.addList("short=acme"), "a scoped token under 16 bytes")
        XCTAssertThrowsError(try tokens.addList("long-enough-token-123=../etc"), "a prefix that is not a scope")
        XCTAssertThrowsError(try tokens.addList("no-equals-sign-at-all-here"))
        XCTAssertThrowsError(try tokens.addList("same-token-0123456789=a,same-token-0123456789=b"), "a token listed twice")
    }

    // MARK: Where tickets write

    func test_anExportTicketRefusesASymlinkPlantedInTheWorkDirectory() async throws {
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("colony-elsewhere-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try FileManager.default.createDirectory(atPath: path + "/work", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/work/exports", withDestinationPath: elsewhere.path)
        try await store.logEvent(scope: "acme", text: "x")

        let started = try await call("start_export", "{}")
        let ticket = try XCTUnwrap(started["structuredContent"]?["ticket"]?.stringValue)
        var state = JSONValue.null
        for _ in 0..<500 {
            state = try await call("get_ticket", #"{"ticket":"\#(ticket)"}"#)["structuredContent"] ?? .null
            if state["state"] != .string("running") { break }
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        XCTAssertEqual(state["state"], .string("failed"), state.jsonText)
        XCTAssertTrue(state["error"]?.stringValue?.contains("symbolic link") == true, state.jsonText)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [], "nothing was written through the link")
    }
}
