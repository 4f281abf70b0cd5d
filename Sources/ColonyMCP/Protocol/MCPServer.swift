import ColonyContext
import ColonyStore
import Foundation

/// Colony's MCP server: turns JSON-RPC messages into answers, whatever the
/// transport. Reads touch only views; writes go through the store's writer.
///
/// `handle` answers at once when it can (every read), and later through the
/// `later` callback when the answer waits for a durable write.
public final class MCPServer: Sendable {
    /// Protocol versions spoken, newest first. 2026-07-28 is stateless (no
    /// `initialize`); the others are session based.
    public static let statelessVersion = "2026-07-28"
    public static let sessionVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]
    public static var supportedVersions: [String] { [statelessVersion] + sessionVersions }

    public static let serverName = "colony"
    public static let serverVersion = "0.1.0"

    public let store: ColonyStore
    public let metrics: ServerMetrics
    let tools: ContextTools
    let ticketTools: TicketTools
    let swarmTools: SwarmTools
    let notifier: ContextChangeNotifier
    /// Largest message accepted, in bytes.
    public let maxMessageBytes: Int

    /// - Parameter workDirectory: where `start_export` and `start_backup` write (default: `work/` in the store directory).
    public init(store: ColonyStore, metrics: ServerMetrics = ServerMetrics(), maxMessageBytes: Int = 4 << 20,
                workDirectory: String? = nil) {
        self.store = store
        self.metrics = metrics
        self.tools = ContextTools(store: store, metrics: metrics)
        self.swarmTools = SwarmTools(store: store)
        self.ticketTools = TicketTools(store: store, tickets: TicketRegistry(store: store, workDirectory: workDirectory ?? store.path + "/work"))
        self.notifier = ContextChangeNotifier(store: store, metrics: metrics)
        self.maxMessageBytes = maxMessageBytes
    }

    /// How a message was answered.
    public enum Reply {
        /// Nothing to send (a notification, or a client's response).
        case none
        /// The answer, now.
        case now([UInt8])
        /// The answer will be passed to `later`.
        case later
        /// A stream was opened (`subscriptions/listen`): notifications follow on the
        /// session; the request is answered, if ever, only when the stream ends.
        case stream
    }

    /// Handles one message.
    public func handle(_ message: UnsafeRawBufferPointer, session: MCPSession,
                       later: @escaping @Sendable ([UInt8]) -> Void) -> Reply {
        if message.count > maxMessageBytes { return .now(oversized(message.count)) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(message)
        } catch {
            metrics.count("messages_refused")
            return .now(JSONRPC.error(.null, .init(JSONRPC.parseError, "parse error: \(error.reason) at byte \(error.offset)")))
        }
        let rpc: RPCMessage
        do {
            rpc = try RPCMessage.check(value)
        } catch {
            metrics.count("messages_refused")
            return .now(JSONRPC.error(error.id, error.failure))
        }
        switch rpc.kind {
        case .response:
            return .none
        case .notification:
            notification(rpc, session: session)
            return .none
        case .request(let id):
            return request(rpc, id: id, session: session, later: later)
        }
    }

    public func handle(_ message: [UInt8], session: MCPSession, later: @escaping @Sendable ([UInt8]) -> Void) -> Reply {
        message.withUnsafeBytes { handle($0, session: session, later: later) }
    }

    /// The answer to a message over the size limit, sent without reading it.
    public func oversized(_ size: Int) -> [UInt8] {
        metrics.count("messages_refused")
        return JSONRPC.error(.null, .init(JSONRPC.invalidRequest, "message of \(size) bytes is over the limit of \(maxMessageBytes) bytes"))
    }

    /// Ends a session: its subscriptions stop.
    public func close(_ session: MCPSession) {
        for (s, scopes) in session.close() { notifier.remove(s, scopes: scopes) }
    }

    /// Stops background work (subscriptions).
    public func shutdown() {
        notifier.stop()
    }

    // MARK: Notifications

    private func notification(_ rpc: RPCMessage, session: MCPSession) {
        switch rpc.method {
        case "notifications/cancelled":
            if let raw = rpc.params?["requestId"], let id = JSONRPC.ID(raw) { cancelListen(id, session: session) }
        default: break  // initialized, progress, roots changed…: nothing to do for a server that answers at once
        }
    }

    // MARK: Requests

    static let versionKey = "io.modelcontextprotocol/protocolVersion"

    private func request(_ rpc: RPCMessage, id: JSONRPC.ID, session: MCPSession,
                         later: @escaping @Sendable ([UInt8]) -> Void) -> Reply {
        let start = monotonicNanoseconds()
        // A 2026-07-28 request names its version in _meta; a session-era request does not.
        var modern = false
        if let version = rpc.params?["_meta"]?[Self.versionKey] {
            guard version == .string(Self.statelessVersion) else {
                metrics.count("messages_refused")
                return .now(JSONRPC.error(id, .init(JSONRPC.unsupportedProtocolVersion,
                    "unsupported protocol version \(version.jsonText.prefix(40)): this server speaks \(Self.supportedVersions.joined(separator: ", "))",
                    data: .object([("supported", .array(Self.supportedVersions.map { .string($0) })), ("requested", version)]))))
            }
            modern = true
        }
        func ok(_ json: [UInt8], cacheable: Bool = false) -> Reply {
            .now(JSONRPC.result(id, json: json, modern: modern, cacheable: cacheable))
        }
        do throws(JSONRPC.Failure) {
            switch rpc.method {
            case "tools/call":
                return try callTool(rpc.params, id: id, modern: modern, grant: session.grant, start: start, later: later)
            case "initialize":
                return ok(try initialize(rpc.params).jsonBytes)
            case "server/discover":
                return ok(Self.discoverResult, cacheable: true)
            case "ping":
                return ok(Array("{}".utf8))
            case "tools/list":
                return ok(ToolCatalog.listResult, cacheable: true)
            case "resources/list":
                return ok(Array("{\"resources\":[]}".utf8), cacheable: true)
            case "resources/templates/list":
                return ok(JSONValue.object([("resourceTemplates", .array([ToolCatalog.resourceTemplate]))]).jsonBytes, cacheable: true)
            case "resources/read":
                return ok(try readResource(rpc.params, grant: session.grant), cacheable: true)
            case "resources/subscribe":
                let scope = try ContextResource.scope(of: try uriParam(rpc.params))
                try Self.check(session.grant, scope: scope)
                try subscribe(session, scope: scope)
                return ok(Array("{}".utf8))
            case "resources/unsubscribe":
                let scope = try ContextResource.scope(of: try uriParam(rpc.params))
                session.unsubscribe(scope)
                notifier.unsubscribe(session, scope: scope)
                return ok(Array("{}".utf8))
            case "subscriptions/listen":
                try listen(rpc.params, id: id, session: session)
                return .stream
            case "prompts/list":
                return ok(Array("{\"prompts\":[]}".utf8), cacheable: true)
            case "logging/setLevel":
                return ok(Array("{}".utf8))
            default:
                throw JSONRPC.Failure(JSONRPC.methodNotFound, "method not found: \(rpc.method.prefix(100))")
            }
        } catch {
            return .now(JSONRPC.error(id, error))
        }
    }

    private func subscribe(_ session: MCPSession, scope: String) throws(JSONRPC.Failure) {
        guard session.subscribe(scope) else { return }
        do {
            try notifier.subscribe(session, scope: scope)
        } catch {
            session.unsubscribe(scope)
            throw Self.failure(error)
        }
    }

    /// 2026-07-28 `subscriptions/listen`: a stream of the notifications the client
    /// opted in to. Colony honours `resourceSubscriptions` to context resources;
    /// its tool, prompt and resource lists never change, so it agrees to nothing else.
    private func listen(_ params: JSONValue?, id: JSONRPC.ID, session: MCPSession) throws(JSONRPC.Failure) {
        guard let filter = params?["notifications"], case .object = filter else {
            throw .invalidParams("subscriptions/listen needs params.notifications (an object)")
        }
        var uris: [String] = []
        if let list = filter["resourceSubscriptions"] {
            guard case .array(let items) = list else { throw .invalidParams("notifications.resourceSubscriptions must be an array of URIs") }
            for item in items {
                guard case .string(let uri) = item else { throw .invalidParams("notifications.resourceSubscriptions must hold only strings") }
                try Self.check(session.grant, scope: try ContextResource.scope(of: uri))
                uris.append(uri)
            }
        }
        let stream = MCPSession(id: "\(session.id)#\(id)", subscriptionID: id, grant: session.grant,
                                sendNotification: session.sendNotification)
        session.addListen(id, stream)
        for uri in uris { try subscribe(stream, scope: try ContextResource.scope(of: uri)) }
        var ack: [UInt8] = []
        JSONWriter.raw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":", to: &ack)
        ack.append(contentsOf: id.json)
        JSONWriter.raw("},\"notifications\":", to: &ack)
        JSONValue.object(uris.isEmpty ? [] : [("resourceSubscriptions", .array(uris.map { .string($0) }))]).write(to: &ack)
        JSONWriter.raw("}}", to: &ack)
        session.sendNotification(ack)
    }

    /// Ends a listen stream the client cancelled.
    private func cancelListen(_ id: JSONRPC.ID, session: MCPSession) {
        guard let stream = session.removeListen(id) else { return }
        for (s, scopes) in stream.close() { notifier.remove(s, scopes: scopes) }
    }

    static let discoverResult: [UInt8] = JSONValue.object([
        ("supportedVersions", .array(supportedVersions.map { .string($0) })),
        ("capabilities", capabilities),
        ("instructions", .string(instructions)),
    ]).jsonBytes

    private func initialize(_ params: JSONValue?) throws(JSONRPC.Failure) -> JSONValue {
        guard let params, case .string(let requested)? = params["protocolVersion"] else {
            throw .invalidParams("initialize needs params.protocolVersion (a string), e.g. \"\(Self.sessionVersions[0])\"")
        }
        // Answer with the client's version when we speak it, else our newest session version.
        let version = Self.sessionVersions.contains(requested) ? requested : Self.sessionVersions[0]
        return .object([
            ("protocolVersion", .string(version)),
            ("capabilities", Self.capabilities),
            ("serverInfo", Self.serverInfo),
            ("instructions", .string(Self.instructions)),
        ])
    }

    static let capabilities = JSONValue.object([
        ("tools", .object([("listChanged", .bool(false))])),
        ("resources", .object([("subscribe", .bool(true)), ("listChanged", .bool(false))])),
        ("logging", .object([])),
    ])

    static let serverInfo = JSONValue.object([
        ("name", .string(serverName)), ("title", .string("Colony")), ("version", .string(serverVersion)),
    ])

    static let instructions = """
        Colony is a memory shared by every agent on this machine or team. Call get_context(scope) \
        at the start of a task to see what others did and learned in that scope; log_event records \
        what you did, log_insight records what you learned. Scopes are paths like "project/area"; \
        the context of a scope includes everything below it.
        """

    private func uriParam(_ params: JSONValue?) throws(JSONRPC.Failure) -> String {
        guard let value = params?["uri"] else {
            throw .invalidParams("missing params.uri (a string such as \"colony://context/acme\")")
        }
        guard case .string(let uri) = value else { throw .invalidParams("params.uri must be a string, not \(value.typeName)") }
        return uri
    }

    private func readResource(_ params: JSONValue?, grant: ScopeGrant) throws(JSONRPC.Failure) -> [UInt8] {
        let uri = try uriParam(params)
        let scope = try ContextResource.scope(of: uri)
        try Self.check(grant, scope: scope)
        let doc: ContextDocument
        do { doc = try store.context(of: scope) } catch { throw Self.failure(error) }
        var out: [UInt8] = []
        JSONWriter.raw("{\"contents\":[{\"uri\":", to: &out)
        JSONWriter.string(uri, to: &out)
        JSONWriter.raw(",\"mimeType\":\"application/json\",\"text\":", to: &out)
        JSONWriter.escaped(doc.json, to: &out)
        JSONWriter.raw("}]}", to: &out)
        return out
    }

    /// Refuses a scope outside the caller's grant. The refusal is an `invalidParams`
    /// error naming the grant, so a client learns what it may use, and nothing of the
    /// scope (not even whether it exists) is read.
    static func check(_ grant: ScopeGrant, scope: String) throws(JSONRPC.Failure) {
        guard grant.allows(scope) else { throw .invalidParams(grant.refusal(scope: scope)) }
    }

    /// A store or context error as a protocol error.
    static func failure(_ error: any Error) -> JSONRPC.Failure {
        switch error {
        case let e as ContextError: return .invalidParams(e.description)
        case let e as StoreError where e.isRetryable: return JSONRPC.Failure(JSONRPC.overloaded, e.description)
        case let e as StoreError: return JSONRPC.Failure(JSONRPC.internalError, e.description)
        default: return JSONRPC.Failure(JSONRPC.internalError, "\(error)")
        }
    }

    // MARK: Tools

    private func callTool(_ params: JSONValue?, id: JSONRPC.ID, modern: Bool, grant: ScopeGrant, start: UInt64,
                          later: @escaping @Sendable ([UInt8]) -> Void) throws(JSONRPC.Failure) -> Reply {
        guard let params, let nameValue = params["name"] else { throw .invalidParams("tools/call needs params.name") }
        guard case .string(let name) = nameValue else { throw .invalidParams("params.name must be a string, not \(nameValue.typeName)") }
        let arguments = params["arguments"]
        if let refusal = ToolAccess.refusal(tool: name, arguments: arguments, grant: grant, store: store) {
            return finish(.failed(message: refusal), id: id, modern: modern, tool: name, start: start)
        }
        switch name {
        case "get_context":
            return finish(tools.getContext(arguments), id: id, modern: modern, tool: name, start: start)
        case "get_stats":
            return finish(tools.getStats(arguments), id: id, modern: modern, tool: name, start: start)
        case "start_export":
            return finish(ticketTools.startExport(arguments, grant: grant), id: id, modern: modern, tool: name, start: start)
        case "start_backup":
            return finish(ticketTools.startBackup(arguments), id: id, modern: modern, tool: name, start: start)
        case "start_verify":
            return finish(ticketTools.startVerify(arguments), id: id, modern: modern, tool: name, start: start)
        case "start_rebuild":
            return finish(ticketTools.startRebuild(arguments), id: id, modern: modern, tool: name, start: start)
        case "get_ticket":
            return finish(ticketTools.getTicket(arguments, grant: grant), id: id, modern: modern, tool: name, start: start)
        case "log_event", "log_insight":
            let write: ContextTools.Write
            do {
                write = name == "log_event" ? try tools.checkLogEvent(arguments) : try tools.checkLogInsight(arguments)
            } catch {
                return finish(ContextTools.toolError(error), id: id, modern: modern, tool: name, start: start)
            }
            // Answered from the writer's thread once committed: no task, no hop.
            tools.perform(write) { outcome in
                if case .now(let bytes) = self.finish(outcome, id: id, modern: modern, tool: name, start: start) { later(bytes) }
            }
            return .later
        case _ where SwarmTools.readOnly.contains(name):
            return finish(swarmTools.callReading(name, arguments), id: id, modern: modern, tool: name, start: start)
        case _ where SwarmTools.names.contains(name):
            let swarm = self.swarmTools
            Task {
                let outcome = await swarm.call(name, arguments)
                if case .now(let bytes) = self.finish(outcome, id: id, modern: modern, tool: name, start: start) { later(bytes) }
            }
            return .later
        default:
            throw .invalidParams("unknown tool \"\(name.prefix(100))\"; the tools are \(ToolCatalog.names.joined(separator: ", "))")
        }
    }

    private func finish(_ outcome: ToolOutcome, id: JSONRPC.ID, modern: Bool, tool: String, start: UInt64) -> Reply {
        let bytes: [UInt8]
        let failed: Bool
        switch outcome {
        case .structured(let json, let text):
            bytes = ToolResultWriter.answer(id: id, modern: modern, structured: json, text: text)
            failed = false
        case .failed(let message):
            bytes = ToolResultWriter.failure(id: id, modern: modern, message: message)
            failed = true
        case .protocolError(let failure):
            bytes = JSONRPC.error(id, failure)
            failed = true
        }
        metrics.record(tool, nanoseconds: monotonicNanoseconds() &- start, failed: failed)
        return .now(bytes)
    }
}
