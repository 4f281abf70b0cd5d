import Foundation
import ColonyStore

/// Opening a store with the context view, the way `colony serve` does.
///
/// ```swift
/// let store = try Colony.open(at: "/tmp/colony")
/// try await store.logEvent(scope: "acme/api", text: "deployed v2")
/// try await store.logInsight(scope: "acme/api", text: "deploys need the DB migration first", importance: 0.9)
/// print(try store.context(of: "acme").text)
/// store.close()
/// ```
public enum Colony {
    /// Opens (creating if needed) a store with the context projection and any `extra` projections.
    public static func open(at path: String, options: StoreOptions = StoreOptions(),
                            context: ContextProjection = ContextProjection(),
                            extra: [any Projection] = []) throws -> ColonyStore {
        try ColonyStore.open(at: path, options: options, projections: [context] + extra)
    }
}

extension ColonyStore {
    /// The context of `scope`: one read transaction, one B-tree descent (to the scope's
    /// head value and the body stored right after it), and the stored bytes assembled
    /// into the answer. A scope with no events has an empty context.
    public func context(of scope: String, _ query: ContextQuery = ContextQuery()) throws -> ContextDocument {
        let checked = try Scope(scope)
        try query.validate()
        do {
            return try withView("context") { view in
                try view.withValueAndNext(checked.key) { head, next in
                    do {
                        let body = next.flatMap { ScopeState.isBody($0.key, of: checked.key) ? $0.value : nil }
                        return try ContextRenderer.render(head: head, body: body, scope: checked.path, query: query)
                    } catch let e as ByteReader.Failure {
                        throw StoreError.corruptView(view: "context", key: checked.path, reason: e.reason)
                    }
                }
            }
        } catch StoreError.unknownView {
            throw ContextError.contextViewNotRegistered
        }
    }

    /// The position of the last event in `scope`'s context (0 for an empty scope):
    /// what changed when it moved. One lookup; nothing is rendered.
    public func contextPosition(of scope: String) throws -> UInt64 {
        let checked = try Scope(scope)
        do {
            return try withView("context") { view in
                try view.withValue(checked.key) { stored in
                    guard let stored, stored.count > 5 else { return 0 }
                    return ContextRenderer.position(inHeadOf: stored)
                }
            }
        } catch StoreError.unknownView {
            throw ContextError.contextViewNotRegistered
        }
    }

    /// Appends an agent event to `scope`.
    ///
    /// - Parameters:
    ///   - kind: what sort of event (`[A-Za-z0-9._-]`, not `insight`); defaults to `event`.
    ///   - data: optional JSON value kept with the event.
    ///   - agent: who logged it.
    ///   - id: pass the same id on a retry to make it idempotent.
    @discardableResult
    public func logEvent(scope: String, text: String, kind: String = "event", data: [UInt8]? = nil,
                         agent: String? = nil, priority: NewEvent.Priority = .normal,
                         id: EventID = EventID()) async throws -> AppendResult {
        try await append(agentEvent(scope: scope, text: text, kind: kind, data: data, agent: agent, priority: priority, id: id))
    }

    /// The event `logEvent` appends, checked and built but not appended: give it to
    /// `append(_:expectedVersion:completion:)` to be told of the commit on the writer's
    /// thread instead of awaiting it. Throws what `logEvent` throws for bad input.
    ///
    /// ```swift
    /// let event = try store.agentEvent(scope: "acme/api", text: "deployed v2")
    /// store.append([event]) { result in print(result) }
    /// ```
    public func agentEvent(scope: String, text: String, kind: String = "event", data: [UInt8]? = nil,
                           agent: String? = nil, priority: NewEvent.Priority = .normal,
                           id: EventID = EventID()) throws -> NewEvent {
        let checked = try Scope(scope)
        try ContextEvents.checkText(text)
        if kind == "insight" { throw StoreError.invalidKind(kind, reason: "use logInsight for insights") }
        if let data {
            do { try JSONValidator.validate(data) } catch {
                throw StoreError.invalidJSON(field: "data", reason: error.reason, offset: error.offset)
            }
        }
        var payload: [UInt8] = []
        JSONFragments.appendRaw("{\"text\":", to: &payload)
        JSONFragments.appendString(text, to: &payload)
        if let agent {
            JSONFragments.appendRaw(",\"agent\":", to: &payload)
            JSONFragments.appendString(agent, to: &payload)
        }
        if let data {
            JSONFragments.appendRaw(",\"data\":", to: &payload)
            payload.append(contentsOf: data)
        }
        payload.append(UInt8(ascii: "}"))
        return NewEvent(id: id, stream: checked.path, kind: kind, payload: payload, priority: priority)
    }

    /// Appends an insight to `scope`: something learned, ranked by `importance` (0...1).
    ///
    /// An insight whose normalised text matches an earlier one in the same scope
    /// is merged with it. `supersedes` names an earlier insight's event id that
    /// this one replaces. Insights are never shed under load.
    @discardableResult
    public func logInsight(scope: String, text: String, importance: Double = 0.5, tags: [String] = [],
                           supersedes: EventID? = nil, agent: String? = nil,
                           id: EventID = EventID()) async throws -> AppendResult {
        try await append(insightEvent(scope: scope, text: text, importance: importance, tags: tags,
                                      supersedes: supersedes, agent: agent, id: id))
    }

    /// The event `logInsight` appends, checked and built but not appended (see `agentEvent`).
    /// A `supersedes` id is looked up now, in a read transaction.
    public func insightEvent(scope: String, text: String, importance: Double = 0.5, tags: [String] = [],
                             supersedes: EventID? = nil, agent: String? = nil,
                             id: EventID = EventID()) throws -> NewEvent {
        let checked = try Scope(scope)
        try ContextEvents.checkText(text)
        guard importance.isFinite, (0...1).contains(importance) else { throw ContextError.invalidImportance(importance) }
        try ContextEvents.checkTags(tags)
        if let supersedes {
            guard let position = try position(of: supersedes), let target = try event(at: position),
                  target.kind == "insight" else { throw ContextError.unknownInsight(supersedes) }
        }
        var payload: [UInt8] = []
        JSONFragments.appendRaw("{\"text\":", to: &payload)
        JSONFragments.appendString(text, to: &payload)
        JSONFragments.appendRaw(",\"importance\":", to: &payload)
        JSONFragments.appendImportance(importance, to: &payload)
        if !tags.isEmpty {
            JSONFragments.appendRaw(",\"tags\":[", to: &payload)
            for (i, t) in tags.enumerated() {
                if i > 0 { payload.append(UInt8(ascii: ",")) }
                JSONFragments.appendString(t, to: &payload)
            }
            payload.append(UInt8(ascii: "]"))
        }
        if let supersedes {
            JSONFragments.appendRaw(",\"supersedes\":", to: &payload)
            JSONFragments.appendString(supersedes.description, to: &payload)
        }
        if let agent {
            JSONFragments.appendRaw(",\"agent\":", to: &payload)
            JSONFragments.appendString(agent, to: &payload)
        }
        payload.append(UInt8(ascii: "}"))
        return NewEvent(id: id, stream: checked.path, kind: "insight", payload: payload)
    }
}

/// Limits on what agents log.
enum ContextEvents {
    static let maxTextBytes = 64 * 1024
    static let maxTags = 16
    static let maxTagBytes = 64

    static func checkText(_ text: String) throws {
        // Stops at the first non-blank character; Foundation's trimmingCharacters bridged the
        // whole text through NSString on every log_event (4% of a write-bound server's CPU).
        if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { throw ContextError.invalidText(reason: "empty") }
        if text.utf8.count > maxTextBytes {
            throw ContextError.invalidText(reason: "\(text.utf8.count) bytes, over the limit of \(maxTextBytes)")
        }
    }

    static func checkTags(_ tags: [String]) throws {
        if tags.count > maxTags { throw ContextError.invalidTags(reason: "\(tags.count) tags, over the limit of \(maxTags)") }
        for t in tags where t.isEmpty || t.utf8.count > maxTagBytes {
            throw ContextError.invalidTags(reason: "tag \"\(t.prefix(80))\" must be 1-\(maxTagBytes) bytes")
        }
    }
}
