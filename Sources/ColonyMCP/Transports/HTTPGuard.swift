import Foundation

/// Who may talk to the HTTP server: the checks that run before any request is
/// read. Browsers send `Origin`; a page on another site must not reach a
/// server on localhost (DNS rebinding), so a foreign Origin or Host is refused.
///
/// With tokens configured, every request except `/health` must carry one
/// (`Authorization: Bearer …`), and what it may touch is that token's `ScopeGrant`.
public struct HTTPGuard: Sendable {
    /// The bearer tokens accepted, each with its grant; empty means no token is asked for.
    public var tokens: AccessTokens
    /// Origins allowed besides the loopback ones (e.g. `https://app.example.com`).
    public var allowedOrigins: [String]
    /// Whether the server listens on a loopback address only; then the Host header must name loopback too.
    public var loopbackOnly: Bool

    /// A guard with one whole-store token (`COLONY_TOKEN`), or none.
    public init(token: String?, allowedOrigins: [String] = [], loopbackOnly: Bool) {
        var tokens = AccessTokens()
        if let token, !token.isEmpty { try? tokens.add(token, grant: .everything) }
        self.init(tokens: tokens, allowedOrigins: allowedOrigins, loopbackOnly: loopbackOnly)
    }

    public init(tokens: AccessTokens, allowedOrigins: [String] = [], loopbackOnly: Bool) {
        self.tokens = tokens
        self.allowedOrigins = allowedOrigins
        self.loopbackOnly = loopbackOnly
    }

    /// Whether requests must carry a token.
    public var requiresToken: Bool { !tokens.isEmpty }

    public enum Refusal: Equatable {
        case badOrigin(String)
        case badHost(String)
        case unauthorized
    }

    /// What the guard decided about one request.
    public enum Admission: Equatable {
        /// It may proceed, touching only what the grant allows.
        case admitted(ScopeGrant)
        case refused(Refusal)
    }

    /// Checks one request's headers and says what it may touch.
    public func admit(origin: String?, host: String?, authorization: String?, path: String) -> Admission {
        if let origin, !originAllowed(origin) { return .refused(.badOrigin(origin)) }
        if loopbackOnly, let host, !Self.isLoopbackHost(host) { return .refused(.badHost(host)) }
        guard requiresToken else { return .admitted(.everything) }
        if path == "/health" { return .admitted(tokens.grant(forAuthorization: authorization) ?? .everything) }
        guard let grant = tokens.grant(forAuthorization: authorization) else { return .refused(.unauthorized) }
        return .admitted(grant)
    }

    /// Checks one request's headers; `nil` means it may proceed.
    public func check(origin: String?, host: String?, authorization: String?, path: String) -> Refusal? {
        if case .refused(let refusal) = admit(origin: origin, host: host, authorization: authorization, path: path) { return refusal }
        return nil
    }

    func originAllowed(_ origin: String) -> Bool {
        if allowedOrigins.contains(origin) || allowedOrigins.contains("*") { return true }
        guard let url = URL(string: origin), let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host else { return false }
        return Self.isLoopbackName(host)
    }

    /// `localhost`, `127.x.x.x`, `::1`, with or without a port.
    static func isLoopbackHost(_ hostHeader: String) -> Bool {
        var h = Substring(hostHeader)
        if h.hasPrefix("[") {
            guard let close = h.firstIndex(of: "]") else { return false }
            h = h[h.index(after: h.startIndex)..<close]
        } else if let colon = h.lastIndex(of: ":") {
            h = h[..<colon]
        }
        return isLoopbackName(h)
    }

    static func isLoopbackName(_ name: String) -> Bool { isLoopbackName(Substring(name)) }

    /// Runs on every request's Host header, so it compares bytes, ASCII case folded, and
    /// allocates nothing (a `lowercased()` copy here was 1.5% of the server's CPU under load).
    static func isLoopbackName(_ name: Substring) -> Bool {
        var n = name.utf8
        while let c = n.first, c == UInt8(ascii: "[") || c == UInt8(ascii: "]") { n = n.dropFirst() }
        while let c = n.last, c == UInt8(ascii: "[") || c == UInt8(ascii: "]") { n = n.dropLast() }
        return equalFoldingCase(n, "localhost") || equalFoldingCase(n, "::1")
            || equalFoldingCase(n.prefix(4), "127.") || equalFoldingCase(n.suffix(10), ".localhost")
    }

    /// Whether `bytes` spell `lowercase` (all lower-case ASCII) in any ASCII case.
    static func equalFoldingCase(_ bytes: Substring.UTF8View, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        var i = 0
        for b in bytes {
            let folded = b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") ? b | 0x20 : b
            if folded != lowercase.utf8Start[i] { return false }
            i += 1
        }
        return true
    }

    /// Whether a bind address is loopback (so no token is required).
    public static func isLoopbackBind(_ host: String) -> Bool { isLoopbackName(host) }

    /// Whether `presented` equals `expected`, in time that depends only on `expected`'s
    /// length: no early exit on the first differing byte, nor on a length mismatch, so
    /// timing says nothing about how much of a token a guess got right, or how long it is.
    static func constantTimeEqual(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var diff: UInt8 = presented.count == expected.count ? 0 : 1
        for i in 0..<expected.count {
            diff |= (i < presented.count ? presented[i] : 0) ^ expected[i]
        }
        return diff == 0
    }
}
