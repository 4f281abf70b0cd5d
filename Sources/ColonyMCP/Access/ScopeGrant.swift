import ColonyContext

/// What one caller may touch: the whole store, or one scope and everything below it.
///
/// A grant for `acme/api` allows `acme/api` and `acme/api/session-7`, but not
/// `acme` (whose context holds what was logged in `acme/web` too), not `acme/apix`,
/// and none of the whole-store operations (backup, verify, rebuild, statistics).
/// Scopes are compared as UTF-8 bytes, as the store keys them, so a canonically
/// equivalent spelling of the prefix is not mistaken for it.
///
/// ```swift
/// let grant = try ScopeGrant.under("acme/api")
/// grant.allows("acme/api/session-7")  // true
/// grant.allows("acme")                // false
/// ```
public struct ScopeGrant: Sendable, Hashable, CustomStringConvertible {
    /// The scope prefix, or nil for the whole store.
    public let prefix: String?

    /// Every scope and every operation: stdio clients, `COLONY_TOKEN`, an open loopback server.
    public static let everything = ScopeGrant(prefix: nil)

    private init(prefix: String?) { self.prefix = prefix }

    /// A grant of `prefix` and the scopes below it; `prefix` must be a valid scope.
    public static func under(_ prefix: String) throws -> ScopeGrant {
        _ = try Scope(prefix)
        return ScopeGrant(prefix: prefix)
    }

    public var isEverything: Bool { prefix == nil }

    /// Whether `scope` is the prefix or below it.
    public func allows(_ scope: String) -> Bool {
        guard let prefix else { return true }
        let s = Array(scope.utf8), p = Array(prefix.utf8)
        guard s.starts(with: p) else { return false }
        return s.count == p.count || s[p.count] == UInt8(ascii: "/")
    }

    public var description: String { prefix.map { "scopes under \"\($0)\"" } ?? "the whole store" }

    /// Why a call outside the grant is refused, in words a client can act on.
    func refusal(scope: String) -> String {
        "forbidden: this token may use only \(description); \"\(scope.prefix(200))\" is outside it"
    }

    func refusal(operation: String) -> String {
        "forbidden: \(operation) works on the whole store, and this token may use only \(description)"
    }
}
