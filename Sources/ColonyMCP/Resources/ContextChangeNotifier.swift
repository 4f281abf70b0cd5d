import ColonyContext
import ColonyStore
import Synchronization

/// Tells subscribed sessions when the context of a scope changes, whoever wrote
/// the change: this process, or another process on the same store.
///
/// While anyone is subscribed, one task waits for the log's head to move and
/// then compares each subscribed scope's context position (one view lookup per
/// scope) with the last one it announced.
final class ContextChangeNotifier: Sendable {
    struct Watch {
        var sessions: [String: MCPSession] = [:]
        var lastPosition: UInt64
    }

    struct State {
        var watches: [String: Watch] = [:]
        var task: Task<Void, Never>?
        var stopped = false
    }

    private let store: ColonyStore
    private let metrics: ServerMetrics
    private let state = Mutex(State())

    init(store: ColonyStore, metrics: ServerMetrics) {
        self.store = store
        self.metrics = metrics
    }

    /// Starts notifying `session` of changes to `scope`'s context after its current position.
    func subscribe(_ session: MCPSession, scope: String) throws {
        let position = try store.contextPosition(of: scope)
        state.withLock { s in
            guard !s.stopped else { return }
            s.watches[scope, default: Watch(lastPosition: position)].sessions[session.id] = session
            if s.task == nil { s.task = Task.detached { [weak self] in await self?.run() } }
        }
    }

    func unsubscribe(_ session: MCPSession, scope: String) {
        state.withLock { s in
            s.watches[scope]?.sessions[session.id] = nil
            if s.watches[scope]?.sessions.isEmpty == true { s.watches[scope] = nil }
        }
    }

    /// Drops every subscription of a session that ended.
    func remove(_ session: MCPSession, scopes: Set<String>) {
        for scope in scopes { unsubscribe(session, scope: scope) }
    }

    func stop() {
        let task = state.withLock { s -> Task<Void, Never>? in
            s.stopped = true
            s.watches = [:]
            defer { s.task = nil }
            return s.task
        }
        task?.cancel()
    }

    private func run() async {
        var head = (try? store.headPosition()) ?? 0
        while !Task.isCancelled {
            let scopes = state.withLock { s -> [String] in
                if s.watches.isEmpty { s.task = nil }
                return Array(s.watches.keys)
            }
            if scopes.isEmpty { return }
            await store.waitForCommit(after: head)
            if Task.isCancelled || store.isClosed { return }
            guard let now = try? store.headPosition() else { return }
            head = now
            for scope in scopes {
                guard let position = try? store.contextPosition(of: scope) else { continue }
                let targets = state.withLock { s -> [MCPSession] in
                    guard var w = s.watches[scope], w.lastPosition != position else { return [] }
                    w.lastPosition = position
                    s.watches[scope] = w
                    return Array(w.sessions.values)
                }
                let uri = ContextResource.uri(scope: scope)
                for session in targets where !session.isClosed {
                    session.resourceUpdated(uri: uri)
                    metrics.count("notifications_sent")
                }
            }
        }
    }
}
