import Foundation
import Synchronization

/// One client's conversation with the server: a stdio connection, an HTTP
/// session (`Mcp-Session-Id`), or a 2026-07-28 listen stream. Holds its
/// subscriptions and how to send it notifications; the protocol version is
/// read from each message, so none is kept here.
public final class MCPSession: Sendable {
    struct State {
        var subscriptions: Set<String> = []
        var closed = false
        /// Open 2026-07-28 `subscriptions/listen` streams, by request id.
        var listens: [JSONRPC.ID: MCPSession] = [:]
    }

    /// A process-unique id (also the HTTP session id).
    public let id: String
    private let state = Mutex(State())
    /// Sends a server-to-client message (a notification) on this session's channel.
    let sendNotification: @Sendable ([UInt8]) -> Void

    /// For a 2026-07-28 listen stream: the id of its `subscriptions/listen` request, sent in each notification's `_meta`.
    let subscriptionID: JSONRPC.ID?
    /// What this client may read and write: the whole store, or the scopes its token was limited to.
    public let grant: ScopeGrant

    public init(id: String = UUID().uuidString.lowercased(), grant: ScopeGrant = .everything,
                sendNotification: @escaping @Sendable ([UInt8]) -> Void) {
        self.id = id
        self.subscriptionID = nil
        self.grant = grant
        self.sendNotification = sendNotification
    }

    init(id: String, subscriptionID: JSONRPC.ID, grant: ScopeGrant, sendNotification: @escaping @Sendable ([UInt8]) -> Void) {
        self.id = id
        self.subscriptionID = subscriptionID
        self.grant = grant
        self.sendNotification = sendNotification
    }

    /// Sends `notifications/resources/updated` for `uri`.
    func resourceUpdated(uri: String) {
        var out: [UInt8] = []
        JSONWriter.raw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{", to: &out)
        if let subscriptionID {
            JSONWriter.raw("\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":", to: &out)
            out.append(contentsOf: subscriptionID.json)
            JSONWriter.raw("},", to: &out)
        }
        JSONWriter.raw("\"uri\":", to: &out)
        JSONWriter.string(uri, to: &out)
        JSONWriter.raw("}}", to: &out)
        sendNotification(out)
    }

    func addListen(_ id: JSONRPC.ID, _ listen: MCPSession) { state.withLock { $0.listens[id] = listen } }
    func removeListen(_ id: JSONRPC.ID) -> MCPSession? { state.withLock { $0.listens.removeValue(forKey: id) } }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Returns whether the scope was newly added.
    @discardableResult
    func subscribe(_ scope: String) -> Bool { state.withLock { $0.subscriptions.insert(scope).inserted } }
    func unsubscribe(_ scope: String) { state.withLock { _ = $0.subscriptions.remove(scope) } }

    /// Marks the session over; its subscriptions and listen streams end. Returns the
    /// sessions (itself and its listens) with the scopes each was subscribed to.
    func close() -> [(MCPSession, Set<String>)] {
        let (scopes, listens) = state.withLock { s in
            s.closed = true
            defer { s.subscriptions = []; s.listens = [:] }
            return (s.subscriptions, Array(s.listens.values))
        }
        return [(self, scopes)] + listens.flatMap { $0.close() }
    }
}
