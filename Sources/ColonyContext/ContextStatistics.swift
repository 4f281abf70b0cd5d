import ColonyStore

/// How many scopes the context view holds, and which hold the most events.
public struct ContextStatistics: Sendable, Codable, Equatable {
    /// A scope and the events counted in its context (its own and those of the scopes below it).
    public struct ScopeEvents: Sendable, Codable, Equatable {
        public var scope: String
        public var events: UInt64
    }

    /// Keys of the context view: every scope with an event, and each ancestor of one.
    public var scopes: Int
    /// The scopes with the most events, most first (ties by name).
    public var topScopes: [ScopeEvents]
}

extension ColonyStore {
    /// Counts the context view's scopes and finds the `top` with the most events.
    ///
    /// One read transaction and one pass over the view's keys, reading each scope's
    /// event count from its stored value without decoding the rest.
    ///
    /// ```swift
    /// let stats = try store.contextStatistics(top: 5)
    /// for s in stats.topScopes { print(s.scope, s.events) }
    /// ```
    public func contextStatistics(top: Int = 10) throws -> ContextStatistics {
        do {
            return try withView("context") { view in
                var scopes = 0
                var best: [ContextStatistics.ScopeEvents] = []
                try view.scan(prefix: []) { key, value in
                    if ScopeState.isBodyKey(key) { return true }
                    scopes += 1
                    guard top > 0 else { return true }
                    guard let events = ScopeState.eventCount(stored: value) else {
                        throw StoreError.corruptView(view: "context", key: String(decoding: key, as: UTF8.self), reason: "malformed value")
                    }
                    if best.count == top, let last = best.last, events <= last.events { return true }
                    let entry = ContextStatistics.ScopeEvents(scope: String(decoding: key, as: UTF8.self), events: events)
                    let at = best.firstIndex { $0.events < events || ($0.events == events && $0.scope > entry.scope) } ?? best.count
                    best.insert(entry, at: at)
                    if best.count > top { best.removeLast() }
                    return true
                }
                return ContextStatistics(scopes: scopes, topScopes: best)
            }
        } catch StoreError.unknownView {
            throw ContextError.contextViewNotRegistered
        }
    }
}

extension ScopeState {
    /// The event count of a stored head value, found by skipping the sections before it; `nil` if malformed.
    static func eventCount(stored: UnsafeRawBufferPointer) -> UInt64? {
        func u16(at o: Int) -> Int? { guard o >= 0, o + 2 <= stored.count else { return nil }; return Int(UInt16(littleEndian: stored.loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
        func u32(at o: Int) -> Int? { guard o >= 0, o + 4 <= stored.count else { return nil }; return Int(UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        guard stored.count >= 5, stored[0] == format, let head = u32(at: 1) else { return nil }
        var offset = 5 + head + 1
        guard let recent = u16(at: offset) else { return nil }
        offset += 2
        var fragments = 0
        for i in 0..<recent { guard let l = u32(at: offset + i * 12 + 8) else { return nil }; fragments += l }
        offset += recent * 12 + fragments
        guard offset >= 0, offset + 8 <= stored.count else { return nil }
        return UInt64(littleEndian: stored.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
