import Foundation

/// The bearer tokens an HTTP server accepts and what each grants.
///
/// `COLONY_TOKEN` grants the whole store. `COLONY_TOKENS` and `--tokens-file`
/// add tokens limited to a scope prefix:
///
/// ```
/// COLONY_TOKENS="s3cret-api=acme/api,s3cret-web=acme/web"
/// ```
///
/// A tokens file holds one `TOKEN SCOPE_PREFIX` per line (the prefix may hold
/// spaces and commas; `#` starts a comment line); `*` as the prefix grants the
/// whole store.
public struct AccessTokens: Sendable {
    struct Entry: Sendable {
        var token: [UInt8]
        var grant: ScopeGrant
    }

    private(set) var entries: [Entry] = []

    public init() {}

    /// Whether any token is configured (then every request but `/health` needs one).
    public var isEmpty: Bool { entries.isEmpty }

    /// Why a token list was refused.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Scoped tokens are at least this long, so one cannot be guessed from another.
    public static let minimumScopedTokenBytes = 16

    /// Adds `token` with `grant`. Tokens are visible ASCII and distinct; a scoped one
    /// is at least 16 bytes, so a guessable or ambiguous token is refused at start-up.
    public mutating func add(_ token: String, grant: ScopeGrant) throws {
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty else { throw Invalid(description: "a token is empty") }
        if !grant.isEverything && bytes.count < Self.minimumScopedTokenBytes {
            throw Invalid(description: "a scoped token must be at least \(Self.minimumScopedTokenBytes) bytes long (one is \(bytes.count))")
        }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw Invalid(description: "a token must be visible ASCII without spaces") }
        guard !entries.contains(where: { $0.token == bytes }) else { throw Invalid(description: "a token is listed twice") }
        entries.append(Entry(token: bytes, grant: grant))
    }

    /// Parses `COLONY_TOKENS`: `TOKEN=PREFIX` pairs separated by commas.
    public mutating func addList(_ list: String) throws {
        for pair in list.split(separator: ",") where !pair.allSatisfy(\.isWhitespace) {
            guard let eq = pair.firstIndex(of: "=") else {
                throw Invalid(description: "COLONY_TOKENS holds TOKEN=SCOPE_PREFIX pairs separated by commas; one has no '='")
            }
            try add(String(pair[..<eq]).trimmingCharacters(in: .whitespaces),
                    grant: try Self.grant(String(pair[pair.index(after: eq)...]).trimmingCharacters(in: .whitespaces)))
        }
    }

    /// Parses a tokens file: `TOKEN SCOPE_PREFIX` per line.
    public mutating func addFile(contents: String) throws {
        for (number, raw) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw Invalid(description: "line \(number + 1) of the tokens file has no scope prefix (write TOKEN SCOPE_PREFIX, or TOKEN * for the whole store)")
            }
            do {
                try add(String(line[..<space]), grant: try Self.grant(String(line[space...]).trimmingCharacters(in: .whitespaces)))
            } catch let e as Invalid {
                throw Invalid(description: "line \(number + 1) of the tokens file: \(e.description)")
            }
        }
    }

    static func grant(_ prefix: String) throws -> ScopeGrant {
        if prefix == "*" { return .everything }
        do { return try .under(prefix) } catch { throw Invalid(description: "scope prefix \"\(prefix.prefix(80))\": \(error)") }
    }

    /// The grant of the token an `Authorization` header carries, or nil.
    ///
    /// Every configured token is compared, each in constant time, so the time taken
    /// says nothing about which token (or how much of one) matched.
    public func grant(forAuthorization authorization: String?) -> ScopeGrant? {
        guard let authorization, authorization.hasPrefix("Bearer ") else { return nil }
        let presented = Array(authorization.utf8.dropFirst(7))
        var match: ScopeGrant?
        for entry in entries where HTTPGuard.constantTimeEqual(presented, entry.token) {
            match = entry.grant
        }
        return match
    }
}
