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
    let notifier: ContextChangeNotifier
    /// Largest message accepted, in bytes.
    public let maxMessageBytes: Int

    public init(store: ColonyStore, metrics: ServerMetrics = ServerMetrics(), maxMessageBytes: Int = 4 << 20) {
        self.store = store
        self.metrics = metrics
        self.tools = ContextTools(store: store, metrics: metrics)
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
        notifier.remove(session, scopes: session.close())
    }

    /// Stops background work (subscriptions).
    public func shutdown() {
        notifier.stop()
    }

    // MARK: Notifications

    private func notification(_ rpc: RPCMessage, session: MCPSession) {
        switch rpc.method {
        case "notifications/initialized": session.markInitialized()
        default: break  // cancelled, progress, roots changed…: nothing to do for a server that answers at once
        }
    }

    // MARK: Requests

    private func request(_ rpc: RPCMessage, id: JSONRPC.ID, session: MCPSession,
                         later: @escaping @Sendable ([UInt8]) -> Void) -> Reply {
        let start = monotonicNanoseconds()
        do throws(JSONRPC.Failure) {
            switch rpc.method {
            case "tools/call":
                return try callTool(rpc.params, id: id, start: start, later: later)
            case "initialize":
                return .now(JSONRPC.result(id, try initialize(rpc.params, session: session)))
            case "ping":
                return .now(JSONRPC.result(id, json: Array("{}".utf8)))
            case "tools/list":
                return .now(JSONRPC.result(id, json: ToolCatalog.listResult))
            case "resources/list":
                return .now(JSONRPC.result(id, json: Array("{\"resources\":[]}".utf8)))
            case "resources/templates/list":
                return .now(JSONRPC.result(id, .object([("resourceTemplates", .array([ToolCatalog.resourceTemplate]))])))
            case "resources/read":
                return .now(JSONRPC.result(id, json: try readResource(rpc.params)))
            case "resources/subscribe":
                let scope = try ContextResource.scope(of: try uriParam(rpc.params))
                do {
                    if session.subscribe(scope) { try notifier.subscribe(session, scope: scope) }
                } catch {
                    session.unsubscribe(scope)
                    throw Self.failure(error)
                }
                return .now(JSONRPC.result(id, json: Array("{}".utf8)))
            case "resources/unsubscribe":
                let scope = try ContextResource.scope(of: try uriParam(rpc.params))
                session.unsubscribe(scope)
                notifier.unsubscribe(session, scope: scope)
                return .now(JSONRPC.result(id, json: Array("{}".utf8)))
            case "prompts/list":
                return .now(JSONRPC.result(id, json: Array("{\"prompts\":[]}".utf8)))
            case "logging/setLevel":
                return .now(JSONRPC.result(id, json: Array("{}".utf8)))
            default:
                throw JSONRPC.Failure(JSONRPC.methodNotFound, "method not found: \(rpc.method.prefix(100))")
            }
        } catch {
            return .now(JSONRPC.error(id, error))
        }
    }

    private func initialize(_ params: JSONValue?, session: MCPSession) throws(JSONRPC.Failure) -> JSONValue {
        guard let params, case .string(let requested)? = params["protocolVersion"] else {
            throw .invalidParams("initialize needs params.protocolVersion (a string), e.g. \"\(Self.sessionVersions[0])\"")
        }
        // Answer with the client's version when we speak it, else our newest session version.
        let version = Self.sessionVersions.contains(requested) ? requested : Self.sessionVersions[0]
        let clientName = params["clientInfo"]?["name"]?.stringValue
        session.negotiated(version: version, clientName: clientName)
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
        guard let params, case .string(let uri)? = params["uri"] else {
            throw .invalidParams("missing params.uri (a string such as \"colony://context/acme\")")
        }
        return uri
    }

    private func readResource(_ params: JSONValue?) throws(JSONRPC.Failure) -> [UInt8] {
        let uri = try uriParam(params)
        let scope = try ContextResource.scope(of: uri)
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

    private func callTool(_ params: JSONValue?, id: JSONRPC.ID, start: UInt64,
                          later: @escaping @Sendable ([UInt8]) -> Void) throws(JSONRPC.Failure) -> Reply {
        guard let params, let nameValue = params["name"] else { throw .invalidParams("tools/call needs params.name") }
        guard case .string(let name) = nameValue else { throw .invalidParams("params.name must be a string, not \(nameValue.typeName)") }
        let arguments = params["arguments"]
        switch name {
        case "get_context":
            return finish(tools.getContext(arguments), id: id, tool: name, start: start)
        case "get_stats":
            return finish(tools.getStats(arguments), id: id, tool: name, start: start)
        case "log_event", "log_insight":
            let write: ContextTools.Write
            do {
                write = name == "log_event" ? try tools.checkLogEvent(arguments) : try tools.checkLogInsight(arguments)
            } catch {
                return finish(ContextTools.toolError(error), id: id, tool: name, start: start)
            }
            let tools = self.tools
            Task {
                let outcome = await tools.perform(write)
                if case .now(let bytes) = self.finish(outcome, id: id, tool: name, start: start) { later(bytes) }
            }
            return .later
        default:
            throw .invalidParams("unknown tool \"\(name.prefix(100))\"; the tools are \(ToolCatalog.names.joined(separator: ", "))")
        }
    }

    private func finish(_ outcome: ToolOutcome, id: JSONRPC.ID, tool: String, start: UInt64) -> Reply {
        let bytes: [UInt8]
        let failed: Bool
        switch outcome {
        case .result(let result, let f):
            var out: [UInt8] = []
            out.reserveCapacity(result.count + 40)
            JSONRPC.resultPrefix(id, to: &out)
            out.append(contentsOf: result)
            out.append(UInt8(ascii: "}"))
            bytes = out
            failed = f
        case .protocolError(let failure):
            bytes = JSONRPC.error(id, failure)
            failed = true
        }
        metrics.record(tool, nanoseconds: monotonicNanoseconds() &- start, failed: failed)
        return .now(bytes)
    }
}
