import ColonyStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// MCP over Streamable HTTP on `/mcp`, beside plain endpoints:
/// `GET /context/{scope}` (the same bytes as the tool), `GET /health`, `GET /metrics`.
///
/// Session-era clients (2025-11-25) get an `Mcp-Session-Id` at `initialize`
/// and a `GET /mcp` event stream for resource notifications; 2026-07-28
/// clients send self-contained POSTs (`MCP-Protocol-Version` header), and
/// `subscriptions/listen` answers with an event stream.
public final class HTTPTransport: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 3000
        public var guardrails: HTTPGuard
        /// Sessions kept at once; an `initialize` past this gets 503.
        public var maxSessions = 10_000
        /// A session unused this long is forgotten.
        public var sessionIdleSeconds: Double = 3_600
        /// Largest total of header names and values accepted; more gets 431. (NIO's parser
        /// already closes a connection whose header block passes 80 KiB; no MCP client needs
        /// more than a few hundred bytes.)
        public var maxHeaderBytes = 16 << 10
        /// Whether requests that need no event stream are answered on the event loop that
        /// read them (`EventLoopResponder`), instead of in a Swift task per connection.
        /// Both give the same answers; this one hands no request between threads.
        public var answerOnEventLoop = true

        public init(host: String = "127.0.0.1", port: Int = 3000, token: String? = nil, allowedOrigins: [String] = []) {
            self.host = host
            self.port = port
            self.guardrails = HTTPGuard(token: token, allowedOrigins: allowedOrigins, loopbackOnly: HTTPGuard.isLoopbackBind(host))
        }

        /// With several tokens, some limited to a scope prefix (`COLONY_TOKENS`, `--tokens-file`).
        public init(host: String = "127.0.0.1", port: Int = 3000, tokens: AccessTokens, allowedOrigins: [String] = []) {
            self.host = host
            self.port = port
            self.guardrails = HTTPGuard(tokens: tokens, allowedOrigins: allowedOrigins, loopbackOnly: HTTPGuard.isLoopbackBind(host))
        }
    }

    /// Why the server refuses to start.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public let description: String
    }

    let server: MCPServer
    let options: Options
    let logger: Logger
    let sessions = Mutex<[String: HTTPSession]>([:])

    public init(server: MCPServer, options: Options, logger: Logger = Logger(label: "colony.http")) throws {
        if !options.guardrails.loopbackOnly && !options.guardrails.requiresToken {
            throw ConfigurationError(description: "refusing to listen on \(options.host), which is not a loopback address, without a token: set COLONY_TOKEN (clients then send Authorization: Bearer <token>)")
        }
        self.server = server
        self.options = options
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT. `onListening` receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let responder = CallbackResponder<BasicRequestContext> { [self] request, _ in
            await self.respond(request)
        }
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [HTTP1ConnectionHeaderInstaller()]
                                                    + (self.options.answerOnEventLoop ? [EventLoopResponder(transport: self)] : []))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: Self.serverName, backlog: 4096),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService()
        let all = sessions.withLock { s -> [HTTPSession] in defer { s = [:] }; return Array(s.values) }
        for s in all { end(s) }
    }

    // MARK: Routing

    static let serverName = "colony"
    static let sessionHeader = HTTPField.Name("Mcp-Session-Id")!
    static let versionHeader = HTTPField.Name("MCP-Protocol-Version")!

    /// A request's body as the router sees it: none, all of it, or too large to read.
    enum Body {
        case none
        case bytes(ByteBuffer)
        case tooLarge
    }

    /// What a request gets, decided without waiting.
    enum Routed {
        case now(PlainResponse)
        /// A write: the answer comes when it is durable.
        case later(LaterReply, modern: Bool)
        /// An event stream (`GET /mcp`, `subscriptions/listen`): only Hummingbird's
        /// response writer can carry its body.
        case stream(Response)
    }

    /// Whether a request opens an event stream, so it must be answered through Hummingbird.
    /// (`HEAD` too, left to Hummingbird's handling.) `body` is nil while only the head is known.
    static func opensStream(_ head: HTTPRequest, path: String, body: ByteBuffer?) -> Bool {
        if head.method == .head { return true }
        guard path == "/mcp" else { return false }
        if head.method == .get { return true }
        if head.method == .post, let body { return isListen(body) }
        return false
    }

    /// The Hummingbird responder: requests that `EventLoopResponder` passed on (event
    /// streams), or all of them when it is not in the pipeline.
    func respond(_ request: Request) async -> Response {
        var body = Body.none
        if request.method == .post && request.uri.path == "/mcp" {
            var request = request
            do {
                body = .bytes(try await request.collectBody(upTo: server.maxMessageBytes))
            } catch {
                body = .tooLarge
            }
        }
        switch route(request.head, uri: request.uri, body: body) {
        case .now(let plain): return plain.response
        case .later(let later, let modern):
            return Self.answer(await later.value(), modern: modern).response
        case .stream(let response): return response
        }
    }

    /// Everything a request needs, given its head and body: the checks, then the endpoint.
    func route(_ head: HTTPRequest, uri: URI, body: Body) -> Routed {
        let path = uri.path
        server.metrics.count("http_requests")
        var headerBytes = head.path?.utf8.count ?? 0
        for field in head.headerFields { headerBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        if headerBytes > options.maxHeaderBytes {
            return .now(Self.text(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                                  "Request Header Fields Too Large: \(headerBytes) bytes of headers, over the limit of \(options.maxHeaderBytes)"))
        }
        let grant: ScopeGrant
        switch options.guardrails.admit(origin: head.headerFields.value(.origin), host: head.authority,
                                        authorization: head.headerFields.value(.authorization), path: path) {
        case .admitted(let g):
            grant = g
        case .refused(let refusal):
            switch refusal {
            case .badOrigin(let o): return .now(Self.text(.forbidden, "Forbidden: Origin \(o.prefix(200)) is not allowed"))
            case .badHost(let h): return .now(Self.text(.misdirectedRequest, "Misdirected Request: Host \(h.prefix(200)) is not a loopback name"))
            case .unauthorized:
                var r = Self.text(.unauthorized, "Unauthorized: send Authorization: Bearer <COLONY_TOKEN>")
                r.headers[.wwwAuthenticate] = "Bearer"
                return .now(r)
            }
        }
        if path == "/mcp" {
            switch head.method {
            case .post: return post(head, body: body, grant: grant)
            case .get: return .stream(openSessionStream(head, grant: grant))
            case .delete: return .now(deleteSession(head, grant: grant))
            default:
                var r = Self.text(.methodNotAllowed, "Method Not Allowed: /mcp takes POST, GET and DELETE")
                r.headers[.allow] = "GET, POST, DELETE"
                return .now(r)
            }
        }
        guard head.method == .get || head.method == .head else {
            return .now(Self.text(.methodNotAllowed, "Method Not Allowed"))
        }
        if path.hasPrefix("/context/") { return .now(context(path: path, query: uri.query, grant: grant)) }
        if path == "/health" { return .now(health()) }
        if path == "/metrics" {
            guard grant.isEverything else { return .now(Self.text(.forbidden, "Forbidden: /metrics describes the whole server; this token may use only \(grant.description)")) }
            return .now(metrics())
        }
        return .now(Self.text(.notFound, "Not Found: try POST /mcp, GET /context/{scope}, /health or /metrics"))
    }

    // MARK: /mcp POST

    func post(_ head: HTTPRequest, body received: Body, grant: ScopeGrant) -> Routed {
        if let type = head.headerFields.value(.contentType), !Self.isJSON(contentType: type) {
            return .now(Self.rpcError(.unsupportedMediaType, .init(JSONRPC.invalidRequest, "Content-Type must be application/json, not \(type.prefix(100))")))
        }
        let body: ByteBuffer
        switch received {
        case .bytes(let b): body = b
        case .none: body = ByteBuffer()
        case .tooLarge:
            return .now(Self.rpcError(.contentTooLarge, .init(JSONRPC.invalidRequest, "message is over the limit of \(server.maxMessageBytes) bytes")))
        }
        let version = head.headerFields.value(Self.versionHeader)
        let modern = version.map { !MCPServer.sessionVersions.contains($0) && $0 != "2024-11-05" } ?? false
        if Self.isListen(body) { return .stream(listenStream(body, grant: grant)) }
        if modern {
            // A 2026-07-28 request: one exchange, no session.
            return exchange(body, session: MCPSession(id: "http-stateless", grant: grant) { _ in }, modern: true)
        }

        // Session era: initialize makes a session; everything else names one.
        let sessionID = head.headerFields.value(Self.sessionHeader)
        let session: HTTPSession
        var created = false
        if let sessionID {
            guard let s = sessions.withLock({ $0[sessionID] }) else {
                return .now(Self.rpcError(.notFound, .init(JSONRPC.invalidRequest, "Session not found: it ended or expired; initialize again")))
            }
            guard s.mcp.grant == grant else { return .now(Self.sessionOfAnotherToken()) }
            session = s
        } else {
            guard Self.isInitialize(body) else {
                return .now(Self.rpcError(.badRequest, .init(JSONRPC.invalidRequest, "Bad Request: missing Mcp-Session-Id header (send initialize first)")))
            }
            guard let s = newSession(grant: grant) else {
                return .now(Self.rpcError(.serviceUnavailable, .init(JSONRPC.internalError, "too many sessions (\(options.maxSessions)); try again later")))
            }
            session = s
            created = true
        }
        session.touch()
        let routed = exchange(body, session: session.mcp, modern: false)
        guard created else { return routed }
        // An initialize is answered at once: on success the answer names the new session;
        // an initialize that failed leaves no session behind.
        if case .now(var response) = routed, case .ok = response.status {
            response.headers[Self.sessionHeader] = session.id
            return .now(response)
        }
        forget(session)
        return routed
    }

    /// Hands one message to the server and turns its answer into a response.
    func exchange(_ body: ByteBuffer, session: MCPSession, modern: Bool) -> Routed {
        let later = LaterReply()
        let reply = body.withUnsafeReadableBytes { server.handle($0, session: session, later: { later.resolve($0) }) }
        switch reply {
        case .none: return .now(PlainResponse(status: .accepted, headers: [:], body: ByteBuffer()))
        case .now(let bytes): return .now(Self.answer(bytes, modern: modern))
        case .later: return .later(later, modern: modern)
        case .stream:
            // Listens are routed to listenStream before this; a listen here has no stream to ride.
            return .now(Self.rpcError(.badRequest, .init(JSONRPC.invalidRequest, "subscriptions/listen must be its own POST and accept text/event-stream")))
        }
    }

    /// A JSON-RPC answer as an HTTP response.
    static func answer(_ bytes: [UInt8], modern: Bool) -> PlainResponse {
        Self.json(Self.status(forAnswer: bytes, modern: modern), bytes)
    }

    /// The HTTP status for a JSON-RPC answer: errors about the message itself are 400
    /// (and, for 2026-07-28, an unknown method is 404); everything else is 200.
    static func status(forAnswer answer: [UInt8], modern: Bool) -> HTTPResponse.Status {
        guard let code = errorCode(answer) else { return .ok }
        switch code {
        case JSONRPC.parseError, JSONRPC.invalidRequest: return .badRequest
        case JSONRPC.invalidParams, JSONRPC.unsupportedProtocolVersion: return modern ? .badRequest : .ok
        case JSONRPC.methodNotFound: return modern ? .notFound : .ok
        default: return .ok
        }
    }

    /// The error code of an answer built by `JSONRPC`, read from the bytes right after
    /// its id (an answer is `{"jsonrpc":"2.0","id":ID,"result":…` or `…,"error":{"code":N`),
    /// so a large result is never scanned.
    static func errorCode(_ answer: [UInt8]) -> Int? {
        answer.withUnsafeBytes { a -> Int? in
            let prefix = Array("{\"jsonrpc\":\"2.0\",\"id\":".utf8)
            guard a.count > prefix.count, a.starts(with: prefix) else { return nil }
            var i = prefix.count
            if a[i] == UInt8(ascii: "\"") {
                i += 1
                while i < a.count && a[i] != UInt8(ascii: "\"") { i += a[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
            } else {
                while i < a.count && a[i] != UInt8(ascii: ",") { i += 1 }
            }
            let marker = Array(",\"error\":{\"code\":".utf8)
            guard i + marker.count < a.count, UnsafeRawBufferPointer(rebasing: a[i..<(i + marker.count)]).elementsEqual(marker) else { return nil }
            i += marker.count
            var negative = false
            if a[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            var v = 0
            while i < a.count, a[i] >= 0x30, a[i] <= 0x39 { v = v * 10 + Int(a[i] - 0x30); i += 1 }
            return negative ? -v : v
        }
    }

    static let listenMethod = Array("\"subscriptions/listen\"".utf8)

    /// Whether the body is a `subscriptions/listen` request: a byte search first, so other requests are not parsed twice.
    static func isListen(_ body: ByteBuffer) -> Bool {
        let mentioned = body.withUnsafeReadableBytes { raw -> Bool in
            let n = listenMethod.count
            guard raw.count >= n else { return false }
            var i = 0
            while i <= raw.count - n {
                if raw[i] == UInt8(ascii: "\""), raw[i + 1] == UInt8(ascii: "s"),
                   UnsafeRawBufferPointer(rebasing: raw[i..<(i + n)]).elementsEqual(listenMethod) { return true }
                i += 1
            }
            return false
        }
        return mentioned && (try? body.withUnsafeReadableBytes({ try JSONParser.parse($0) }))?["method"] == .string("subscriptions/listen")
    }

    static func isInitialize(_ body: ByteBuffer) -> Bool {
        guard let v = try? body.withUnsafeReadableBytes({ try JSONParser.parse($0) }) else { return false }
        return v["method"] == .string("initialize")
    }

    // MARK: Event streams

    /// `GET /mcp`: the session's stream of server-to-client notifications.
    func openSessionStream(_ head: HTTPRequest, grant: ScopeGrant) -> Response {
        if head.headerFields.value(Self.versionHeader).map({ !MCPServer.sessionVersions.contains($0) }) == true {
            var r = Self.text(.methodNotAllowed, "Method Not Allowed: 2026-07-28 has no GET stream; use subscriptions/listen")
            r.headers[.allow] = "POST"
            return r.response
        }
        guard let id = head.headerFields.value(Self.sessionHeader) else {
            return Self.rpcError(.badRequest, .init(JSONRPC.invalidRequest, "Bad Request: missing Mcp-Session-Id header")).response
        }
        guard let session = sessions.withLock({ $0[id] }) else {
            return Self.rpcError(.notFound, .init(JSONRPC.invalidRequest, "Session not found")).response
        }
        guard session.mcp.grant == grant else { return Self.sessionOfAnotherToken().response }
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        guard session.attach(continuation) else {
            return Self.rpcError(.conflict, .init(JSONRPC.invalidRequest, "Conflict: this session already has an open GET stream")).response
        }
        let keepalive = Self.keepalive(continuation)
        continuation.onTermination = { [weak session] _ in
            keepalive.cancel()
            session?.detach()
        }
        session.touch()
        return Self.eventStream(stream, sessionID: id)
    }

    /// A 2026-07-28 `subscriptions/listen`: the acknowledgement, then notifications, until the client closes.
    func listenStream(_ body: ByteBuffer, grant: ScopeGrant) -> Response {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let session = MCPSession(id: "listen-\(UUID().uuidString.lowercased())", grant: grant) { bytes in
            continuation.yield(Self.event(bytes))
        }
        let reply = body.withUnsafeReadableBytes { self.server.handle($0, session: session, later: { bytes in
            continuation.yield(Self.event(bytes))
            continuation.finish()
        }) }
        if case .now(let answer) = reply {
            // Refused (bad filter, bad version…): a plain JSON error, no stream.
            server.close(session)
            continuation.finish()
            return Self.answer(answer, modern: true).response
        }
        let keepalive = Self.keepalive(continuation)
        continuation.onTermination = { [server] _ in
            keepalive.cancel()
            server.close(session)
        }
        return Self.eventStream(stream, sessionID: nil)
    }

    static func event(_ json: [UInt8]) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(json.count + 24)
        b.writeString("event: message\ndata: ")
        b.writeBytes(json)
        b.writeString("\n\n")
        return b
    }

    /// A comment every 15 s keeps proxies and clients from timing the stream out.
    static func keepalive(_ continuation: AsyncStream<ByteBuffer>.Continuation) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 15_000_000_000)
                if Task.isCancelled { return }
                if case .terminated = continuation.yield(ByteBuffer(string: ": ping\n\n")) { return }
            }
        }
    }

    static func eventStream(_ stream: AsyncStream<ByteBuffer>, sessionID: String?) -> Response {
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache, no-transform"]
        if let sessionID { headers[sessionHeader] = sessionID }
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: stream))
    }

    // MARK: Sessions

    func newSession(grant: ScopeGrant) -> HTTPSession? {
        let now = Date()
        return sessions.withLock { s -> HTTPSession? in
            if s.count >= options.maxSessions {
                // Forget idle sessions before refusing a new one.
                for (id, session) in s where now.timeIntervalSince(session.lastUsed) > options.sessionIdleSeconds { s[id] = nil }
                if s.count >= options.maxSessions { return nil }
            }
            let session = HTTPSession(id: UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), grant: grant, metrics: server.metrics)
            s[session.id] = session
            return session
        }
    }

    func deleteSession(_ head: HTTPRequest, grant: ScopeGrant) -> PlainResponse {
        guard let id = head.headerFields.value(Self.sessionHeader) else {
            return Self.rpcError(.badRequest, .init(JSONRPC.invalidRequest, "Bad Request: missing Mcp-Session-Id header"))
        }
        guard let found = sessions.withLock({ $0[id] }) else {
            return Self.rpcError(.notFound, .init(JSONRPC.invalidRequest, "Session not found"))
        }
        guard found.mcp.grant == grant else { return Self.sessionOfAnotherToken() }
        guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else {
            return Self.rpcError(.notFound, .init(JSONRPC.invalidRequest, "Session not found"))
        }
        end(session)
        return PlainResponse(status: .ok, headers: [:], body: ByteBuffer())
    }

    func forget(_ session: HTTPSession) {
        _ = sessions.withLock { $0.removeValue(forKey: session.id) }
        end(session)
    }

    func end(_ session: HTTPSession) {
        server.close(session.mcp)
        session.finish()
    }

    // MARK: Plain endpoints

    /// `GET /context/{scope}?max_events=&max_insights=&max_bytes=&since_position=`: the same JSON as the tool's structured content.
    func context(path: String, query: String?, grant: ScopeGrant) -> PlainResponse {
        let start = monotonicNanoseconds()
        let encoded = String(path.dropFirst("/context/".count))
        guard let scope = encoded.removingPercentEncoding, !scope.isEmpty else {
            return Self.jsonError(.badRequest, "the path must be /context/{scope}, with a percent-encoded scope")
        }
        guard grant.allows(scope) else { return Self.jsonError(.forbidden, grant.refusal(scope: scope)) }
        var arguments: [(String, JSONValue)] = [("scope", .string(scope))]
        for pair in (query ?? "").split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let raw = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            // The scope is the path's, and the one the grant was checked against: a `scope`
            // in the query would override it (the last of a repeated argument wins).
            if name == "scope" {
                return Self.jsonError(.badRequest, "the scope is given by the path (/context/{scope}), not by a query parameter")
            }
            if let i = Int64(raw) { arguments.append((name, .int(i))) } else { arguments.append((name, .string(raw))) }
        }
        let outcome = server.tools.contextJSON(.object(arguments))
        server.metrics.record("http_get_context", nanoseconds: monotonicNanoseconds() &- start, failed: outcome.failed)
        switch outcome {
        case .success(let json): return Self.json(.ok, json)
        case .failure(let message): return Self.jsonError(.badRequest, message)
        }
    }

    func health() -> PlainResponse {
        guard let head = try? server.store.headPosition() else {
            return Self.json(.serviceUnavailable, Array(#"{"status":"unavailable"}"#.utf8))
        }
        var out: [UInt8] = []
        JSONWriter.raw("{\"status\":\"ok\",\"head_position\":", to: &out)
        JSONWriter.uint(head, to: &out)
        JSONWriter.raw("}", to: &out)
        return Self.json(.ok, out)
    }

    func metrics() -> PlainResponse {
        let text = PrometheusText.render(server: server, sessions: sessions.withLock { $0.count })
        return PlainResponse(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: ByteBuffer(string: text))
    }

    /// Whether a Content-Type names JSON (`application/json`, any case, parameters allowed),
    /// compared on bytes: this runs on every POST.
    static func isJSON(contentType: String) -> Bool {
        HTTPGuard.equalFoldingCase(Substring(contentType).utf8.prefix(16), "application/json")
    }

    // MARK: Responses

    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> PlainResponse {
        PlainResponse(status: status, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: bytes))
    }

    static func rpcError(_ status: HTTPResponse.Status, _ failure: JSONRPC.Failure) -> PlainResponse {
        json(status, JSONRPC.error(.null, failure))
    }

    static func jsonError(_ status: HTTPResponse.Status, _ message: String) -> PlainResponse {
        var out: [UInt8] = []
        JSONWriter.raw("{\"error\":", to: &out)
        JSONWriter.string(message, to: &out)
        out.append(UInt8(ascii: "}"))
        return json(status, out)
    }

    /// A session belongs to the token that initialized it; another token may not use it,
    /// even one that knows its id.
    static func sessionOfAnotherToken() -> PlainResponse {
        rpcError(.forbidden, .init(JSONRPC.invalidRequest, "Forbidden: this session was started with another token"))
    }

    static func text(_ status: HTTPResponse.Status, _ message: String) -> PlainResponse {
        PlainResponse(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ByteBuffer(string: message + "\n"))
    }
}

/// A response whose body is all in memory: what every endpoint but the event streams answers.
struct PlainResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: ByteBuffer

    var response: Response { Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body)) }
}

/// One session-era HTTP client: its MCP session and its open GET stream, if any.
final class HTTPSession: Sendable {
    let id: String
    let mcp: MCPSession
    private let stream = Mutex<AsyncStream<ByteBuffer>.Continuation?>(nil)
    private let used = Mutex(Date())

    init(id: String, grant: ScopeGrant, metrics: ServerMetrics) {
        self.id = id
        // Notifications go to the GET stream when one is open; otherwise they are dropped and counted.
        let holder = SessionRef()
        self.mcp = MCPSession(id: id, grant: grant) { bytes in
            if holder.session?.deliver(HTTPTransport.event(bytes)) != true { metrics.count("notifications_dropped") }
        }
        holder.session = self
    }

    var lastUsed: Date { used.withLock { $0 } }
    func touch() { used.withLock { $0 = Date() } }

    func attach(_ c: AsyncStream<ByteBuffer>.Continuation) -> Bool {
        stream.withLock { s in
            if s != nil { return false }
            s = c
            return true
        }
    }

    func detach() { stream.withLock { $0 = nil } }

    func deliver(_ event: ByteBuffer) -> Bool {
        guard let c = stream.withLock({ $0 }) else { return false }
        if case .enqueued = c.yield(event) { return true }
        return false
    }

    func finish() {
        // Finish outside the lock: finishing runs onTermination, which detaches.
        let c = stream.withLock { s in defer { s = nil }; return s }
        c?.finish()
    }
}

/// A weak link from a session's notification closure back to the session.
final class SessionRef: @unchecked Sendable {
    weak var session: HTTPSession?
}

/// An answer that arrives after `handle` returned (a write waiting for durability), taken
/// either by one `await value()` (Hummingbird's path) or by one `whenResolved` callback
/// (`EventLoopResponder`'s).
final class LaterReply: Sendable {
    private enum Waiter {
        case task(CheckedContinuation<[UInt8], Never>)
        case callback(@Sendable ([UInt8]) -> Void)
    }
    private let state = Mutex<(value: [UInt8]?, waiter: Waiter?)>((nil, nil))

    func resolve(_ bytes: [UInt8]) {
        let waiter = state.withLock { s -> Waiter? in
            if let w = s.waiter { s.waiter = nil; return w }
            s.value = bytes
            return nil
        }
        switch waiter {
        case .task(let c): c.resume(returning: bytes)
        case .callback(let f): f(bytes)
        case nil: break
        }
    }

    func value() async -> [UInt8] {
        await withCheckedContinuation { c in
            let ready = state.withLock { s -> [UInt8]? in
                if let v = s.value { return v }
                s.waiter = .task(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    /// Calls `body` with the answer: at once if it is here, else on the thread that resolves it.
    func whenResolved(_ body: @escaping @Sendable ([UInt8]) -> Void) {
        let ready = state.withLock { s -> [UInt8]? in
            if let v = s.value { return v }
            s.waiter = .callback(body)
            return nil
        }
        if let ready { body(ready) }
    }
}

extension HTTPFields {
    /// The field's value as `self[name]` gives it, without the joined copy that subscript
    /// makes when the field is sent once (the usual case; those copies were about 2% of the
    /// server's CPU under load). A field sent several times is still joined.
    func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            if found != nil { return self[name] }
            found = field.value
        }
        return found
    }
}
