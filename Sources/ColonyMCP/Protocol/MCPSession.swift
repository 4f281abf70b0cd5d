import Foundation
import Synchronization

/// One client's conversation with the server: a stdio connection, or an HTTP
/// session (`Mcp-Session-Id`). Holds what the client negotiated and how to
/// send it notifications.
public final class MCPSession: Sendable {
    struct State {
        var protocolVersion: String?
        var initialized = false
        var clientName: String?
        var subscriptions: Set<String> = []
        var closed = false
    }

    /// A process-unique id (also the HTTP session id).
    public let id: String
    private let state = Mutex(State())
    /// Sends a server-to-client message (a notification) on this session's channel.
    let sendNotification: @Sendable ([UInt8]) -> Void

    public init(id: String = UUID().uuidString.lowercased(), sendNotification: @escaping @Sendable ([UInt8]) -> Void) {
        self.id = id
        self.sendNotification = sendNotification
    }

    /// The protocol version agreed at `initialize`, if any.
    public var protocolVersion: String? { state.withLock { $0.protocolVersion } }
    public var isInitialized: Bool { state.withLock { $0.initialized } }
    public var clientName: String? { state.withLock { $0.clientName } }
    public var isClosed: Bool { state.withLock { $0.closed } }
    var subscriptions: Set<String> { state.withLock { $0.subscriptions } }

    func negotiated(version: String, clientName: String?) {
        state.withLock {
            $0.protocolVersion = version
            $0.clientName = clientName
        }
    }

    func markInitialized() { state.withLock { $0.initialized = true } }

    /// Returns whether the scope was newly added.
    @discardableResult
    func subscribe(_ scope: String) -> Bool { state.withLock { $0.subscriptions.insert(scope).inserted } }
    func unsubscribe(_ scope: String) { state.withLock { _ = $0.subscriptions.remove(scope) } }

    /// Marks the session over; its subscriptions end.
    func close() -> Set<String> {
        state.withLock { s in
            s.closed = true
            let scopes = s.subscriptions
            s.subscriptions = []
            return scopes
        }
    }
}
