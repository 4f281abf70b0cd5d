/// What part of a scope's context to return, and how large it may be.
///
/// ```swift
/// let doc = try store.context(of: "acme/api", ContextQuery(maxEvents: 5, maxBytes: 4_096))
/// ```
public struct ContextQuery: Sendable, Equatable {
    /// At most this many recent events (newest first), 0...255.
    public var maxEvents: Int
    /// At most this many insights (best first), 0...255.
    public var maxInsights: Int
    /// The answer's size cap in bytes, 4 KiB...16 MiB. Insights are kept before events; what
    /// does not fit is left out and the answer says `"truncated":true`.
    public var maxBytes: Int
    /// Only events and insights after this position (what changed since a previous answer's `position`).
    public var sincePosition: UInt64?

    public static let defaultMaxBytes = 64 * 1024

    public init(maxEvents: Int = 20, maxInsights: Int = 10, maxBytes: Int = ContextQuery.defaultMaxBytes,
                sincePosition: UInt64? = nil) {
        self.maxEvents = maxEvents
        self.maxInsights = maxInsights
        self.maxBytes = maxBytes
        self.sincePosition = sincePosition
    }

    func validate() throws {
        guard (0...255).contains(maxEvents) else { throw ContextError.invalidLimit("maxEvents \(maxEvents) is outside 0...255") }
        guard (0...255).contains(maxInsights) else { throw ContextError.invalidLimit("maxInsights \(maxInsights) is outside 0...255") }
        guard (4_096...(16 << 20)).contains(maxBytes) else { throw ContextError.invalidLimit("maxBytes \(maxBytes) is outside 4096...16777216") }
    }
}

/// A scope's context as JSON, ready to send.
///
/// ```json
/// {"scope":"acme/api","position":1234,"events":87,"first_time":"…","last_time":"…",
///  "counts":{"event":80,"insight":7},"recent":[{…}],"insights":[{…}],"truncated":false}
/// ```
public struct ContextDocument: Sendable {
    /// The JSON answer (UTF-8).
    public let json: [UInt8]
    /// Whether the byte cap left something out.
    public let truncated: Bool

    /// The JSON as a string.
    public var text: String { String(decoding: json, as: UTF8.self) }
}
